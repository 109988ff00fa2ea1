"""Errors as RFC 9457 problem+json whose ``detail`` says what was wrong and where."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any, TypeVar

import msgspec
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)

_FIELD_IN_MESSAGE = re.compile(r"field `([^`]+)`")
PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(msgspec.Struct):
    field: str
    message: str


class Problem(msgspec.Struct):
    """What every error answers (RFC 9457); a 400 also lists the fields that were wrong."""

    status: int
    title: str
    detail: str
    errors: list[FieldError] | None = None


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem+json errors a handler answers with."""
    return {
        status: ResponseSpec(
            Problem,
            generate_examples=False,
            description=HTTPStatus(status).phrase,
            media_type=PROBLEM_MEDIA_TYPE,
        )
        for status in statuses
    }


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


def _field_with_nul(value: object, path: str) -> str | None:
    """The field whose text holds a NUL character (PostgreSQL cannot store one), if any."""
    children: list[tuple[str, object]]
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, msgspec.Struct):
        children = [
            (f"{path}.{name}" if path else name, getattr(value, name))
            for name in value.__struct_fields__
        ]
    elif isinstance(value, dict):
        if any("\x00" in str(key) for key in value):
            return path
        children = [(path, item) for item in value.values()]
    elif isinstance(value, list):
        children = [(f"{path}[{number}]", item) for number, item in enumerate(value)]
    else:
        return None
    for child_path, child in children:
        if (found := _field_with_nul(child, child_path)) is not None:
            return found
    return None


def decode_strictly(body: bytes, type_: type[T]) -> T:
    """Litestar converts leniently ("1" → True); stores want exactly the schema."""
    try:
        value = msgspec.json.decode(body, type=type_)
    except msgspec.ValidationError as exc:
        match = _AT_PATH.match(str(exc))
        assert match is not None
        raise invalid(match["path"] or "body", match["message"]) from None
    field = _field_with_nul(value, "")
    if field is not None:
        raise invalid(field or "body", "must not contain NUL characters")
    return value


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
