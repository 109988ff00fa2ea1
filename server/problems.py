"""Errors as RFC 9457 problem+json whose ``detail`` says what was wrong and where."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any, TypeVar

import msgspec
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)

_FIELD_IN_MESSAGE = re.compile(r"field `([^`]+)`")


def _field_of(error: dict[str, Any]) -> str:
    """The field an error is about; msgspec names whole-body problems after `data`."""
    key = str(error.get("key") or "")
    if key in ("", "data"):
        match = _FIELD_IN_MESSAGE.search(str(error.get("message", "")))
        return match.group(1) if match else "body"
    return key


def validation_problem(exc: ValidationException) -> ProblemDetailsException:
    errors = exc.extra if isinstance(exc.extra, list) else []
    fields = [{"field": _field_of(e), "message": str(e.get("message", ""))} for e in errors]
    if fields:
        detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    else:
        detail = str(exc.detail)
    return ProblemDetailsException(
        status_code=400,
        title="Invalid request",
        detail=detail,
        extra={"errors": fields} if fields else None,
    )


def http_problem(exc: HTTPException) -> ProblemDetailsException:
    """Other HTTP errors: the standard phrase as title, what went wrong as detail."""
    return ProblemDetailsException(
        status_code=exc.status_code,
        title=HTTPStatus(exc.status_code).phrase,
        detail=str(exc.detail),
        headers=exc.headers,
    )


def invalid(field: str, message: str) -> ValidationException:
    """A 400 about one field, for checks the schema cannot express."""
    return ValidationException(
        detail=f"{field}: {message}", extra=[{"key": field, "message": message}]
    )


_AT_PATH = re.compile(r"^(?P<message>.*?)(?: - at `\$\.?(?P<path>[^`]*)`)?$")
T = TypeVar("T")


def decode_strictly(body: bytes, type_: type[T]) -> T:
    """Litestar converts leniently ("1" → True); stores want exactly the schema."""
    try:
        return msgspec.json.decode(body, type=type_)
    except msgspec.ValidationError as exc:
        match = _AT_PATH.match(str(exc))
        assert match is not None
        raise invalid(match["path"] or "body", match["message"]) from None


def problem_details_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            enable_for_all_http_exceptions=True,
            exception_to_problem_detail_map={
                ValidationException: validation_problem,
                HTTPException: http_problem,
            },
        )
    )
