"""`POST /api/v1/helpdesk/events`: what happens to tickets in the helpdesk, signed by the
source; the signature is checked on the raw body before any of it is read."""

from __future__ import annotations

import time
from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import QueryParameter

from server.helpdesk.generic import parse_generic
from server.helpdesk.schema import EventsStored
from server.helpdesk.signatures import SignatureError, SourceKeys
from server.helpdesk.store import HelpdeskStore
from server.helpdesk.zendesk import parse_zendesk
from server.platform.problems import problem_responses

MAX_BODY = 2 * 1024 * 1024
SOURCE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"


class HelpdeskController(Controller):
    path = "/api/v1/helpdesk"
    tags = ("helpdesk",)

    @post(
        "/events",
        status_code=200,
        request_max_body_size=MAX_BODY,
        responses=problem_responses(400, 401, 413),
    )
    async def receive_events(
        self,
        request: Request[Any, Any, Any],
        helpdesk: NamedDependency[HelpdeskStore],
        helpdesk_keys: NamedDependency[SourceKeys],
        source: Annotated[
            str | None,
            QueryParameter(
                pattern=SOURCE_PATTERN,
                description="The source's name in `FRONTDESK_HELPDESK_SECRETS` (default: "
                "`zendesk` for a Zendesk signature, `generic` for a Frontdesk one).",
            ),
        ] = None,
    ) -> EventsStored:
        """Ticket events from a helpdesk: a Zendesk ticket event webhook (signed by Zendesk),
        or a batch in the generic shape (signed with `X-Frontdesk-Signature`). Each event id
        is stored once per source; a retry changes nothing."""
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            name, shape = helpdesk_keys.verify(source, headers, body, time.time())
        except SignatureError as exc:
            raise NotAuthorizedException(detail=str(exc)) from None
        if shape == "zendesk":
            found, ignored = parse_zendesk(body, helpdesk.categories)
        else:
            found, ignored = parse_generic(body)
        return await anyio.to_thread.run_sync(helpdesk.apply, name, found, ignored)
