"""The shapes of `POST /api/v1/tickets`: what the widget sends and what it gets back."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from server.fields import EventId, Id, PageContext, PageUrl, Site

RuleLevel = Literal["critical", "high", "medium"]
Priority = Literal["critical", "high", "medium", "low"]


class TicketUser(msgspec.Struct, forbid_unknown_fields=True):
    """The user as the host identified them (`Frontdesk('identify', …)`)."""

    id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    email: Annotated[str, msgspec.Meta(max_length=320)] | None = None
    name: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    signature: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=128,
                description="HMAC-SHA256 of `id` with the site's secret, in hex.",
            ),
        ]
        | None
    ) = None
    traits: dict[str, str | float | bool] = msgspec.field(default_factory=dict)  # see ContextValue


class TranscriptLine(msgspec.Struct, forbid_unknown_fields=True):
    role: Literal["user", "frontdesk"]
    text: Annotated[str, msgspec.Meta(max_length=4000)]
    article_id: Id | None = None


class FormSuggestion(msgspec.Struct, forbid_unknown_fields=True):
    """An answer or article the contact form showed for the message before it was sent."""

    article_id: Id
    answered: bool = False  # shown as a confident answer, not only as an article


class TicketRequest(msgspec.Struct, forbid_unknown_fields=True):
    site: Site
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=320)]
    message: Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]
    session_id: Id
    visitor_id: Id
    id: EventId | None = None  # the client's id for this ticket: a retry is a no-op
    name: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    page_url: PageUrl | None = None
    page: PageContext | None = None
    user: TicketUser | None = None
    transcript: Annotated[list[TranscriptLine], msgspec.Meta(max_length=60)] = msgspec.field(
        default_factory=list
    )
    # what the form suggested for the message while it was typed (at most 3 at a time)
    suggested: Annotated[list[FormSuggestion], msgspec.Meta(max_length=12)] = msgspec.field(
        default_factory=list
    )


class TicketCreated(msgspec.Struct):
    ticket_id: str
    category: str
    priority: Priority
    user_verified: bool
    duplicate: bool
