"""`GET /api/v1/prompts`: the prompts that can apply to a page, reloaded when the file changes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from server.platform.admission import Admission
from server.platform.problems import problem_responses
from server.platform.validation import (
    LocaleQuery,
    PageUrlQuery,
    RouteQuery,
    check_page_url,
    invalid,
)
from server.prompts.live import LivePrompts
from server.prompts.schema import Prompt


class PromptOut(msgspec.Struct):
    id: str
    trigger: dict[str, Any]
    message: str
    questions: list[str]
    articles: list[str]
    audience: dict[str, Any]
    priority: int
    max_shows: int
    cooldown_seconds: int
    holdout: float


class PromptsResponse(msgspec.Struct):
    version: str
    limits: dict[str, int]
    prompts: list[PromptOut]


def _out(prompt: Prompt) -> PromptOut:
    return PromptOut(
        id=prompt.id,
        trigger=prompt.trigger.model_dump(),
        message=prompt.message,
        questions=list(prompt.questions),
        articles=list(prompt.articles),
        audience=prompt.audience.model_dump(),
        priority=prompt.priority,
        max_shows=prompt.max_shows,
        cooldown_seconds=prompt.cooldown,
        holdout=prompt.holdout,
    )


class PromptsController(Controller):
    path = "/api/v1"
    tags = ("prompts",)

    @get(
        "/prompts",
        sync_to_thread=False,
        responses={
            200: ResponseSpec(PromptsResponse, description="The prompts for the page"),
            304: ResponseSpec(None, description="Unchanged since the ETag in `If-None-Match`"),
            **problem_responses(400, 403),
        },
    )
    def prompts(
        self,
        request: Request[Any, Any, Any],
        prompts: NamedDependency[LivePrompts],
        admission: NamedDependency[Admission],
        url: PageUrlQuery = None,
        route: RouteQuery = None,
        locale: LocaleQuery = None,
    ) -> Response[bytes]:
        """The prompts whose pages match, best first, with triggers, limits and holdout share."""
        if url is None and route is None:
            raise invalid("url", "give the page's url, its route, or both")
        check_page_url(url, "url")
        admission.check_any_origin(request.headers.get("origin"))
        current = prompts.current()
        chosen = current.prompts_for(url, route, locale, datetime.now(UTC).date())
        body = msgspec.json.encode(
            PromptsResponse(
                version=current.digest,
                limits=current.limits.model_dump(),
                prompts=[_out(p) for p in chosen],
            )
        )
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        headers = {"ETag": etag, "Cache-Control": "public, max-age=60"}
        if request.headers.get("if-none-match") == etag:
            return Response(b"", status_code=304, headers=headers)
        return Response(body, headers=headers, media_type="application/json")
