"""Google's error bodies: ``{"error": {"code", "message", "status", "details"}}`` and OAuth's.

Handlers raise ``ApiError``; the app turns it into the JSON body Google sends. OAuth endpoints
use the flat RFC 6749 form ``{"error": "invalid_grant", "error_description": "..."}``.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

HEALTH_DOMAIN = "health.googleapis.com"
GOOGLEAPIS_DOMAIN = "googleapis.com"
SERVICE = "health.googleapis.com"

ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
QUOTA_FAILURE = "type.googleapis.com/google.rpc.QuotaFailure"
HELP = "type.googleapis.com/google.rpc.Help"

HTTP_STATUS = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "RESOURCE_EXHAUSTED": 429,
    "INTERNAL": 500,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


class ApiError(Exception):
    """An error the v4 API answers with Google's error JSON."""

    def __init__(
        self,
        status: str,
        message: str,
        *,
        reason: str | None = None,
        domain: str = HEALTH_DOMAIN,
        metadata: dict[str, str] | None = None,
        extra_details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or HTTP_STATUS[status]
        self.message = message
        self.reason = reason
        self.domain = domain
        self.metadata = metadata
        self.extra_details = extra_details or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        details: list[dict[str, Any]] = []
        if self.reason:
            info: dict[str, Any] = {"@type": ERROR_INFO, "reason": self.reason, "domain": self.domain}
            if self.metadata:
                info["metadata"] = self.metadata
            details.append(info)
        details.extend(self.extra_details)
        if details:
            error["details"] = details
        return {"error": error}

    def response(self) -> Response:
        return Response(
            orjson.dumps(self.body()),
            status_code=self.code,
            media_type="application/json; charset=UTF-8",
            headers=self.headers,
        )


def invalid_argument(message: str, reason: str | None = None) -> ApiError:
    return ApiError("INVALID_ARGUMENT", message, reason=reason)


def not_found(message: str = "Requested entity was not found.") -> ApiError:
    return ApiError("NOT_FOUND", message)


def unknown_method() -> ApiError:
    return ApiError("NOT_FOUND", "Method not found.")


def unauthenticated(reason: str, method: str) -> ApiError:
    missing = reason == "CREDENTIALS_MISSING"
    message = (
        "Request is missing required authentication credential. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential. "
        "See https://developers.google.com/identity/sign-in/web/devconsole-project."
        if missing
        else "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential. "
        "See https://developers.google.com/identity/sign-in/web/devconsole-project."
    )
    www = 'Bearer realm="https://accounts.google.com/"'
    if not missing:
        www += ', error="invalid_token"'
    return ApiError(
        "UNAUTHENTICATED",
        message,
        reason=reason,
        domain=GOOGLEAPIS_DOMAIN,
        metadata={"service": SERVICE, "method": method},
        headers={"WWW-Authenticate": www},
    )


def scope_insufficient(method: str, needed: str) -> ApiError:
    return ApiError(
        "PERMISSION_DENIED",
        "Request had insufficient authentication scopes.",
        reason="ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        domain=GOOGLEAPIS_DOMAIN,
        metadata={"service": SERVICE, "method": method},
        headers={
            "WWW-Authenticate": (
                f'Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="{needed}"'
            )
        },
    )


def permission_denied(message: str = "The caller does not have permission") -> ApiError:
    return ApiError("PERMISSION_DENIED", message)


def account_not_linked() -> ApiError:
    return ApiError(
        "FAILED_PRECONDITION",
        "The account is not linked to Google Health.",
        reason="ACCOUNT_NOT_LINKED",
        metadata={"redirect_uri": "https://fitbit.google.com/auth/signup"},
    )


def rate_limited(limit: int, retry_after: float | None) -> ApiError:
    metric = "health.googleapis.com/default_requests_per_user"
    quota_limit = "DefaultRequestsPerMinutePerUser"
    headers = {"Retry-After": str(max(1, int(retry_after + 0.999)))} if retry_after is not None else {}
    return ApiError(
        "RESOURCE_EXHAUSTED",
        f"Quota exceeded for quota metric 'Default requests per user' and limit 'Default requests per "
        f"minute per user' of service '{SERVICE}' for consumer 'project_number:000000000000'.",
        reason="RATE_LIMIT_EXCEEDED",
        domain=GOOGLEAPIS_DOMAIN,
        metadata={
            "service": SERVICE,
            "quota_metric": metric,
            "quota_limit": quota_limit,
            "quota_limit_value": str(limit),
            "quota_location": "global",
            "quota_unit": "1/min/{project}/{user}",
            "consumer": "projects/000000000000",
        },
        extra_details=[
            {
                "@type": QUOTA_FAILURE,
                "violations": [
                    {
                        "subject": "user",
                        "description": f"Requests per minute per user exceeded (limit {limit}).",
                    }
                ],
            },
            {
                "@type": HELP,
                "links": [
                    {
                        "description": "Request a higher quota limit.",
                        "url": "https://cloud.google.com/docs/quotas/help/request_increase",
                    }
                ],
            },
        ],
        headers=headers,
    )


def internal() -> ApiError:
    return ApiError("INTERNAL", "Internal error encountered.")


def unavailable() -> ApiError:
    return ApiError("UNAVAILABLE", "The service is currently unavailable.")


def deadline_exceeded() -> ApiError:
    return ApiError("DEADLINE_EXCEEDED", "The request was aborted because it exceeded the deadline.")


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    """RFC 6749 token-endpoint error, as oauth2.googleapis.com sends it."""
    return Response(
        orjson.dumps({"error": error, "error_description": description}),
        status_code=status,
        media_type="application/json; charset=utf-8",
        headers={"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate", "Pragma": "no-cache"},
    )
