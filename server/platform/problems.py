"""Errors as RFC 9457 problem+json whose ``detail`` says what was wrong and where."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

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
