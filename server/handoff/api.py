"""`POST /api/v1/tickets`: the widget's handoff to a human, stored first, delivered later."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import anyio.to_thread
from email_validator import EmailNotValidError, validate_email
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body

from server.ask.answerer import Answerer
from server.handoff.schema import TicketCreated, TicketRequest
from server.handoff.store import TicketStore
from server.platform.admission import Admission
from server.platform.metrics import TICKETS
from server.platform.problems import problem_responses
from server.platform.validation import check_page_url, decode_strictly, invalid


def _article_tags(answerer: Answerer) -> Mapping[str, Sequence[str]]:
    """The tags of the articles, for the ticket's category; a ticket never waits on the index."""
    try:
        snapshot, _ = answerer.current()
    except Exception:  # no index yet, or one that cannot be opened now (a read-only data dir)
        return {}  # categories then come from keywords alone
    return {article_id: info.tags for article_id, info in snapshot.articles.items()}


class TicketsController(Controller):
    path = "/api/v1"
    tags = ("tickets",)

    @post(
        "/tickets",
        request_max_body_size=256 * 1024,
        responses={
            200: ResponseSpec(TicketCreated, description="A retry: the ticket with this id"),
            **problem_responses(400, 403, 413, 429),
        },
    )
    async def create_ticket(
        self,
        data: Annotated[
            TicketRequest,
            Body(description="The contact, the message and the session the ticket comes from."),
        ],
        request: Request[Any, Any, Any],
        ticket_store: NamedDependency[TicketStore],
        answerer: NamedDependency[Answerer],
        admission: NamedDependency[Admission],
    ) -> Response[TicketCreated]:
        """File a ticket with the session's context; a retry with the same `id` files nothing."""
        ticket = decode_strictly(await request.body(), TicketRequest)
        try:
            validate_email(ticket.email, check_deliverability=False)
        except EmailNotValidError as exc:
            raise invalid("email", str(exc)) from None
        if not ticket.message.strip():
            raise invalid("message", "must not be empty")
        check_page_url(ticket.page_url)
        await admission.admit_request(request, "tickets", ticket.site, ticket.visitor_id)
        created = await anyio.to_thread.run_sync(
            ticket_store.create, ticket, _article_tags(answerer)
        )
        if not created.duplicate:
            TICKETS.inc()
        return Response(created, status_code=200 if created.duplicate else 201)
