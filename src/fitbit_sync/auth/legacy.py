"""Recognise a legacy Fitbit Web API setup (app id, fitbit.com URLs, a Fitbit token file).

The Fitbit Web API and Fitbit OAuth were turned off (HTTP 410 Gone); Fitbit tokens cannot be
carried over. Such a setup gets one line pointing to the README instead of a confusing failure.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from fitbit_sync.config import Settings
from fitbit_sync.errors import ConfigError

README_CREDENTIALS = "README: Google Health API credentials"
LEGACY_GONE_MESSAGE = (
    "The Fitbit Web API was turned off (410 Gone) and Fitbit app ids and tokens no longer work: "
    f"create a Google Cloud OAuth client for the Google Health API, see {README_CREDENTIALS}"
)

# Fitbit app ("OAuth 2.0 Client ID") ids are six characters such as 22BXYZ; Google client ids end
# in .apps.googleusercontent.com.
_FITBIT_CLIENT_ID = re.compile(r"^[0-9A-Z]{6}$")
_FITBIT_SCOPES = frozenset({"activity", "heartrate", "sleep", "weight", "profile", "settings", "location",
                            "nutrition", "social", "oxygen_saturation", "respiratory_rate", "temperature",
                            "cardio_fitness", "electrocardiogram", "irregular_rhythm_notifications"})


class LegacyFitbitError(ConfigError):
    """A Fitbit Web API setup (or a 410 from it): exit code 2, one line, points to the README."""

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(f"{LEGACY_GONE_MESSAGE} ({detail})" if detail else LEGACY_GONE_MESSAGE)


def _is_fitbit_host(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "fitbit.com" or host.endswith(".fitbit.com")


def legacy_setting(settings: Settings) -> str | None:
    """The name of the first setting that points at the Fitbit Web API, or None."""
    if _FITBIT_CLIENT_ID.match(settings.client_id.strip()):
        return "client_id"
    for name in ("api_base_url", "auth_url", "token_url", "revoke_url"):
        if _is_fitbit_host(str(getattr(settings, name))):
            return name
    return None


def check_settings(settings: Settings) -> None:
    """Raise ``LegacyFitbitError`` naming the setting when the settings describe a Fitbit app."""
    name = legacy_setting(settings)
    if name is not None:
        raise LegacyFitbitError(f"setting {name}, env FITBIT_SYNC_{name.upper()}, is a Fitbit value")


def looks_like_fitbit_token(data: Any) -> bool:
    """True for a token file written by a Fitbit Web API tool (Fitbit's token response shape)."""
    if not isinstance(data, dict):
        return False
    if "format" in data and str(data["format"]).startswith("fitbit-sync/google"):
        return False
    if "user_id" in data and "access_token" in data:  # Fitbit's token response carries user_id
        return True
    scope = data.get("scope")
    words = scope.split() if isinstance(scope, str) else scope if isinstance(scope, list) else []
    return bool(words) and all(isinstance(w, str) and w in _FITBIT_SCOPES for w in words)
