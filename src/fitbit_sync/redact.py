"""The one rule for secrets in text we show: URLs, DSNs, error lines and log records.

Every message that may carry a URL, a connection string or an exception's text goes through
``redact`` before it is printed or logged: passwords in a URL's userinfo, query parameters that
carry credentials (InfluxDB 1.x ``?u=..&p=..``, ``token=``, ``access_token=``, ``key=``, ...),
PostgreSQL ``password=`` in key=value form, ``Authorization`` headers and bearer tokens become
``***`` (a URL's user name goes with its password); so does any secret the caller knows (a
configured password, a client secret). Host, port, path and the other query parameters stay, so
the message still says where. ``RedactingFilter`` applies the same rule to every record a logging
handler writes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "***"
MIN_SECRET_LENGTH = 3  # a known secret shorter than this is not replaced everywhere (it would mangle text)

# query parameters (and form fields) whose value is a credential; ``u`` (InfluxDB 1.x user) is a name, not one
SECRET_PARAMS = ("p", "password", "passwd", "pwd", "pass", "token", "access_token", "refresh_token", "id_token",
                 "key", "api_key", "apikey", "secret", "client_secret", "code", "code_verifier", "auth",
                 "authorization", "sig", "signature", "sslpassword")

# scheme://user:password@host -> scheme://***@host (the user goes too); an "@" in the password
# counts as long as another "@" follows within the authority
_USERINFO = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://)[^\s:/?#@]*:(?:[^\s@/?#]|@(?=[^\s/?#]*@))+@")
_QUERY = re.compile(r"(?P<head>[?&;](?:" + "|".join(SECRET_PARAMS) + r")=)[^&;#\s'\"]*", re.IGNORECASE)
# libpq key=value: password=secret or password='se cret' (not a query parameter: those are done above)
_KEY_VALUE = re.compile(r"(?P<head>(?<![?&;\w])(?:password|passwd|pwd|sslpassword)\s*=\s*)"
                        r"(?:'(?:[^'\\]|\\.)*'|[^\s'\"]+)", re.IGNORECASE)
_JSON = re.compile(r"(?P<head>\"(?:password|client_secret|access_token|refresh_token|id_token|token)\"\s*:\s*\")"
                   r"(?:[^\"\\]|\\.)*", re.IGNORECASE)
_AUTH_HEADER = re.compile(r"(?P<head>\b(?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?"
                          r"(?:(?:bearer|basic|token|digest)\s+)?)[^\s,;'\"]+", re.IGNORECASE)
_BEARER = re.compile(r"(?P<head>\bbearer\s+)[A-Za-z0-9._~+/\-]+=*", re.IGNORECASE)
_PATTERNS = (_USERINFO, _QUERY, _KEY_VALUE, _JSON, _AUTH_HEADER, _BEARER)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with credentials in URLs, DSNs and headers, and every known secret, replaced by ``***``."""
    for secret in sorted((s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH), key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _USERINFO.sub(lambda m: m["head"] + MASK + "@", text)
    for pattern in _PATTERNS[1:]:
        text = pattern.sub(lambda m: m["head"] + MASK, text)
    return text


def one_line(text: str, limit: int = 240) -> str:
    """``text`` on one line, at most ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


class RedactingFilter(logging.Filter):
    """A handler filter: the record's message (arguments merged in) and exception text, redacted."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # pragma: no cover - a broken format string: let the handler report it
            return True
        record.msg = redact(message, self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


def add_redaction(handler: logging.Handler, secrets: Iterable[str | None] = ()) -> logging.Handler:
    """``handler`` with a ``RedactingFilter`` (once); returns it."""
    if not any(isinstance(f, RedactingFilter) for f in handler.filters):
        handler.addFilter(RedactingFilter(secrets))
    return handler
