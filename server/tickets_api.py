"""`POST /api/v1/tickets`: the widget's handoff to a human, stored first, delivered later."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import anyio.to_thread
from email_validator import EmailNotValidError, validate_email
from litestar import Controller, Request, Response, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body

from server.admission import admit
from server.answering import Answerer, IndexNotReadyError
from server.api import check_page_url
from server.metrics import TICKETS
from server.problems import decode_strictly, invalid, problem_responses
from server.tickets import TicketCreated, TicketRequest, TicketStore


def _article_tags(answerer: Answerer) -> Mapping[str, Sequence[str]]:
    try:
        snapshot, _ = answerer.current()
    except IndexNotReadyError:
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
        request: Request[Any, Any, State],
        state: State,
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
        await admit(request, "tickets", ticket.site, ticket.visitor_id)
        store: TicketStore = state.tickets
        created = await anyio.to_thread.run_sync(
            store.create, ticket, _article_tags(state.answerer)
        )
        if not created.duplicate:
            TICKETS.inc()
        return Response(created, status_code=200 if created.duplicate else 201)
