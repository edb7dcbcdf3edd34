"""Where log lines go, for a command and for the daemon; every handler redacts secrets.

A command (``sync``, ``backfill``, ``demo``) shows warnings (retries, skipped points, withheld
scopes) as ``fitbit-sync: WARNING: ...`` lines on stderr while it runs, and removes its handler
afterwards. The daemon logs with timestamps to stderr and, with ``log_file`` set, to a rotating
file readable by its owner only.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

from fitbit_sync.config import Settings
from fitbit_sync.errors import ConfigError
from fitbit_sync.files import PrivateRotatingFileHandler, private_dir
from fitbit_sync.redact import add_redaction

DAEMON_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


class _StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is now (Rich's progress display redirects it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(self.format(record), file=sys.stderr)
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


def log_secrets(settings: Settings) -> tuple[str, ...]:
    """The configured secrets a log line must never show (besides what ``redact`` finds by form)."""
    return tuple(s.get_secret_value() for s in (settings.client_secret, settings.influxdb.password,
                                                 settings.influxdb.token))


@contextlib.contextmanager
def command_logging(settings: Settings) -> Iterator[None]:
    """While a command runs: warnings (retries, skipped points, withheld scopes) as
    ``fitbit-sync: WARNING: ...`` lines on stderr; everything with ``log_level = DEBUG``. The
    handler is removed afterwards, so in-process callers (tests) keep their logging as it was."""
    logger = logging.getLogger("fitbit_sync")
    handler = _StderrHandler(logging.DEBUG if settings.log_level == "DEBUG" else logging.WARNING)
    handler.setFormatter(logging.Formatter("fitbit-sync: %(levelname)s: %(message)s"))
    add_redaction(handler, log_secrets(settings))
    previous = logger.level
    logger.addHandler(handler)
    if settings.log_level == "DEBUG":
        logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def daemon_logging(settings: Settings, *, stream: object = None, file_bytes: int, file_backups: int,
                   fmt: str = DAEMON_FORMAT) -> list[logging.Handler]:
    """Log to stderr, and to ``settings.log_file`` (rotating at ``file_bytes``, ``file_backups``
    copies) when set; returns the handlers."""
    logger = logging.getLogger("fitbit_sync")
    logger.setLevel(settings.log_level)
    formatter = logging.Formatter(fmt)
    handlers: list[logging.Handler] = [logging.StreamHandler(stream or sys.stderr)]  # type: ignore[arg-type]
    if settings.log_file is not None:
        try:
            private_dir(settings.log_file.parent)
            handlers.append(PrivateRotatingFileHandler(
                settings.log_file, maxBytes=file_bytes, backupCount=file_backups, encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot open the log file {settings.log_file}: {exc.strerror or exc}") from None
    for handler in handlers:
        handler.setFormatter(formatter)
        add_redaction(handler, log_secrets(settings))
        logger.addHandler(handler)
    return handlers
