"""Google's discovery document for the Health API (from the installed google-api-python-client)
and a small validator for its schemas: $ref, types, formats (int64 as strings, durations,
timestamps), enums, and no unknown fields."""

from __future__ import annotations

import base64
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import googleapiclient

_INT = re.compile(r"^-?\d+$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
_DURATION = re.compile(r"^-?\d+(\.\d{1,9})?s$")
INT32 = (-(2**31), 2**31 - 1)


@lru_cache(maxsize=1)
def discovery() -> dict[str, Any]:
    path = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "health.v4.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def methods() -> dict[str, dict[str, Any]]:
    """Every method of the document by id."""
    out: dict[str, dict[str, Any]] = {}

    def walk(resources: dict[str, Any]) -> None:
        for resource in resources.values():
            for method in resource.get("methods", {}).values():
                out[method["id"]] = method
            walk(resource.get("resources", {}))

    walk(discovery()["resources"])
    return out


def response_schema(method_id: str) -> str:
    return str(methods()[method_id]["response"]["$ref"])


class SchemaError(AssertionError):
    pass


def validate(value: Any, ref: str) -> None:
    """Raise SchemaError listing every violation of schema ``ref``."""
    errors: list[str] = []
    _check(value, {"$ref": ref}, ref, errors)
    if errors:
        raise SchemaError("; ".join(errors[:20]))


def _check(value: Any, schema: dict[str, Any], path: str, errors: list[str]) -> None:
    if "$ref" in schema:
        schema = discovery()["schemas"][schema["$ref"]]
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            errors.append(f"{path}: expected object, got {type(value).__name__}")
            return
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                _check(item, props[key], f"{path}.{key}", errors)
            elif extra is not None:
                _check(item, extra, f"{path}.{key}", errors)
            else:
                errors.append(f"{path}: unknown field {key!r}")
        for key, prop in props.items():
            if prop.get("required") and key not in value:
                errors.append(f"{path}: missing required {key!r}")
    elif kind == "array":
        if not isinstance(value, list):
            errors.append(f"{path}: expected array")
            return
        for i, item in enumerate(value):
            _check(item, schema["items"], f"{path}[{i}]", errors)
    elif kind == "string":
        if not isinstance(value, str):
            errors.append(f"{path}: expected string, got {value!r}")
            return
        fmt = schema.get("format")
        if fmt in ("int64", "uint64") and not _INT.match(value):
            errors.append(f"{path}: {value!r} is not an int64 string")
        elif fmt == "google-datetime" and not _DATETIME.match(value):
            errors.append(f"{path}: {value!r} is not an RFC 3339 timestamp")
        elif fmt == "google-duration" and not _DURATION.match(value):
            errors.append(f"{path}: {value!r} is not a duration")
        elif fmt == "byte":
            try:
                base64.b64decode(value.encode(), altchars=b"-_" if "-" in value or "_" in value else None)
            except ValueError:
                errors.append(f"{path}: not base64")
        if "enum" in schema and value not in schema["enum"]:
            errors.append(f"{path}: {value!r} not in enum")
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{path}: expected integer, got {value!r}")
        elif schema.get("format") == "int32" and not INT32[0] <= value <= INT32[1]:
            errors.append(f"{path}: {value} out of int32 range")
    elif kind == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            errors.append(f"{path}: expected number, got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected boolean, got {value!r}")
    elif kind == "any":
        pass
    else:
        errors.append(f"{path}: schema without a type {schema}")


def validate_error(body: Any) -> None:
    """Google's error envelope: {"error": Status + "status"}."""
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) <= {"code", "message", "status", "details"}, error
    assert isinstance(error["code"], int) and isinstance(error["message"], str) and isinstance(error["status"], str)
    status_only = {k: v for k, v in error.items() if k != "status"}
    validate(status_only, "Status")
    for detail in error.get("details", []):
        assert detail["@type"].startswith("type.googleapis.com/google.rpc."), detail
