"""Errors as RFC 9457 problem+json whose ``detail`` says what was wrong and where.

An error nobody expected is a 500 problem too: logged once, with its traceback, method,
path and request id, and answered with the request id only (no internals). Storage that
cannot be written (read-only, full) is a 503 naming the cause (`server.platform.storage`).
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)

from server.platform.logs import current_request_id
from server.platform.storage import ALARM, storage_cause

_FIELD_IN_MESSAGE = re.compile(r"field `([^`]+)`")
PROBLEM_MEDIA_TYPE = "application/problem+json"
# what msgspec and the standard library say when JSON is nested past their recursion limit
_TOO_DEEP = re.compile(r"recursion depth exceeded while (deserializing|decoding a JSON)")
logger = logging.getLogger(__name__)


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


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Any other exception: JSON nested too deeply to decode is the client's 400; the rest
    is a 500, logged here once with its traceback."""
    body: dict[str, Any]
    cause = storage_cause(exc)
    if cause is not None:  # read-only, full: logged once, 503 until it can write again
        ALARM.report(cause)
        body = {
            "status": 503,
            "title": "Service Unavailable",
            "detail": f"storage unavailable: {cause}; try again later",
        }
        return Response(
            body, status_code=503, media_type=PROBLEM_MEDIA_TYPE, headers={"Retry-After": "30"}
        )
    if isinstance(exc, RecursionError) and _TOO_DEEP.search(str(exc)):
        message = "JSON nested too deeply"
        body = {
            "status": 400,
            "title": "Invalid request",
            "detail": f"body: {message}",
            "errors": [{"field": "body", "message": message}],
        }
    else:
        request_id = current_request_id()
        logger.error(
            "unexpected error in %s %s (request %s)",
            request.method,
            request.url.path,
            request_id,
            exc_info=exc,
        )
        body = {
            "status": 500,
            "title": "Internal Server Error",
            "detail": f"an unexpected error; the request id is {request_id}",
        }
    return Response(body, status_code=body["status"], media_type=PROBLEM_MEDIA_TYPE)


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
