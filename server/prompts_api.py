"""`GET /api/v1/prompts`: the prompts that can apply to a page, reloaded when the file changes."""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from server.admission import Admission
from server.api import check_page_url
from server.problems import invalid, problem_responses
from server.prompts import Limits, Prompt, PromptsError, PromptSet, parse_prompts
from server.schemas import PAGE_URL_PATTERN

logger = logging.getLogger(__name__)


class LivePrompts:
    """The prompts file as it last parsed cleanly; a broken edit is logged and kept out.

    The file (a few KB) is read on every call and parsed again only when its bytes
    changed: a timestamp can miss two same-size saves within one clock tick.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._digest: str | None = None
        self._current = PromptSet(path, Limits(), (), "empty")
        self.error: PromptsError | None = None
        self._lock = threading.Lock()

    def current(self) -> PromptSet:
        try:
            digest: str | None = hashlib.sha256(self.path.read_bytes()).hexdigest()
        except FileNotFoundError:
            digest = None
        if digest == self._digest:
            return self._current
        with self._lock:
            if digest != self._digest:
                self._reload(digest)
        return self._current

    def _reload(self, digest: str | None) -> None:
        self._digest = digest
        if digest is None:
            self._current, self.error = PromptSet(self.path, Limits(), (), "empty"), None
            return
        try:
            self._current, self.error = parse_prompts(self.path), None
            logger.info("prompts: %d from %s", len(self._current.prompts), self.path)
        except PromptsError as exc:
            self.error = exc
            logger.error("%s\nthe previous prompts keep serving", exc)


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
        request: Request[Any, Any, State],
        state: State,
        url: Annotated[
            str | None,
            QueryParameter(max_length=2048, pattern=PAGE_URL_PATTERN, description="The page URL."),
        ] = None,
        route: Annotated[
            str | None,
            QueryParameter(pattern=r"^/\S{0,511}$", description="The host's route template."),
        ] = None,
        locale: Annotated[
            str | None, QueryParameter(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
        ] = None,
    ) -> Response[bytes]:
        """The prompts whose pages match, best first, with triggers, limits and holdout share."""
        if url is None and route is None:
            raise invalid("url", "give the page's url, its route, or both")
        check_page_url(url, "url")
        admission: Admission = state.admission
        admission.check_any_origin(request.headers.get("origin"))
        live: LivePrompts = state.prompts
        current = live.current()
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
