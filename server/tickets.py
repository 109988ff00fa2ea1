"""Handoff tickets: what the user wrote, plus everything their session's events tell.

A ticket is stored together with one outbox row per configured destination in one
transaction; the outbox worker delivers it later (`server.outbox`). The client's ticket
id makes a retried submission a no-op. A `ticket_created` event is written with it, so
the deflection log can be rebuilt from events alone.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from sqlalchemy import Engine, select

from server.database import upsert_insert
from server.events import EventId, Id
from server.schemas import PageContext, PageUrl, Site
from server.tables import events, outbox, tickets

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
    traits: dict[str, str | int | float | bool] = msgspec.field(default_factory=dict)


class TranscriptLine(msgspec.Struct, forbid_unknown_fields=True):
    role: Literal["user", "frontdesk"]
    text: Annotated[str, msgspec.Meta(max_length=4000)]
    article_id: Id | None = None


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


class TicketCreated(msgspec.Struct):
    ticket_id: str
    category: str
    priority: Priority
    user_verified: bool
    duplicate: bool


def _plain(text: str) -> str:
    """Lower case without apostrophes (straight or curly), so `cant` matches "can't"."""
    return text.lower().replace("'", "").replace("\u2019", "")


@dataclass(frozen=True)
class TicketRules:
    categories: Mapping[str, Sequence[str]]
    priorities: Mapping[RuleLevel, Sequence[str]]
    site_secrets: Mapping[str, str]

    def category(self, text: str, article_tags: Sequence[str]) -> str:
        """Keywords first; else the most common tag of the articles shown; else general."""
        lowered = _plain(text)
        hits = Counter(
            {
                name: sum(lowered.count(w.lower()) for w in words)
                for name, words in self.categories.items()
            }
        )
        best = hits.most_common(1)
        if best and best[0][1] > 0:
            return best[0][0]
        tags = Counter(article_tags)
        for tag, _ in tags.most_common():
            if tag in self.categories:
                return tag
        return tags.most_common(1)[0][0] if tags else "general"

    def priority(self, text: str) -> Priority:
        lowered = _plain(text)
        levels: tuple[RuleLevel, ...] = ("critical", "high", "medium")
        for level in levels:
            if any(_plain(word) in lowered for word in self.priorities.get(level, ())):
                return level
        return "low"

    def verified(self, site: str, user: TicketUser | None) -> bool:
        """True when the host signed the user id with the site's secret (HMAC-SHA256, hex)."""
        secret = self.site_secrets.get(site)
        if not secret or user is None or not user.signature:
            return False
        expected = hmac.new(secret.encode(), user.id.encode(), hashlib.sha256).hexdigest()
        # bytes: a signature in any characters is simply not the right one
        return hmac.compare_digest(expected.encode(), user.signature.lower().encode())


def session_context(engine: Engine, session_id: str) -> dict[str, Any]:
    """What the session's events say: questions, answers, articles, feedback, pages, prompts."""
    with engine.connect() as db:
        rows = db.execute(
            select(events.c.type, events.c.page_url, events.c.data, events.c.ts)
            .where(events.c.session_id == session_id)
            .order_by(events.c.ts)
        ).all()
    context: dict[str, list[Any]] = {
        "questions": [],
        "answers": [],
        "suggestions": [],
        "articles_opened": [],
        "feedback": [],
        "pages": [],
        "prompts": [],
    }
    for kind, page_url, data, _ in rows:
        if page_url not in context["pages"]:
            context["pages"].append(page_url)
        if kind == "question_asked":
            context["questions"].append({"question": data["question"], "status": data["status"]})
        elif kind == "answer_shown":
            context["answers"].append(
                {"article_id": data["article_id"], "section": data["section"]}
            )
        elif kind == "suggestion_shown":
            context["suggestions"].extend(data["article_ids"])
        elif kind == "article_opened":
            context["articles_opened"].append(data["article_id"])
        elif kind == "feedback":
            context["feedback"].append(
                {"article_id": data["article_id"], "helpful": data["helpful"]}
            )
        elif (
            kind in ("prompt_shown", "prompt_clicked")
            and data["prompt_id"] not in context["prompts"]
        ):
            context["prompts"].append(data["prompt_id"])
    return context


def shown_articles(context: Mapping[str, Any]) -> list[str]:
    return (
        [a["article_id"] for a in context["answers"]]
        + list(context["suggestions"])
        + list(context["articles_opened"])
    )


@dataclass(frozen=True)
class TicketStore:
    engine: Engine
    rules: TicketRules
    destinations: tuple[str, ...]  # where the outbox delivers each ticket

    def create(
        self, request: TicketRequest, article_tags: Mapping[str, Sequence[str]]
    ) -> TicketCreated:
        context = session_context(self.engine, request.session_id)
        tags = [t for a in shown_articles(context) for t in article_tags.get(a, ())]
        text = " ".join([request.message, *(q["question"] for q in context["questions"])])
        category = self.rules.category(text, tags)
        priority = self.rules.priority(text)
        verified = self.rules.verified(request.site, request.user)
        ticket_id = request.id or uuid.uuid4().hex
        now = int(time.time() * 1000)
        context["user"] = None
        if request.user is not None:
            user = msgspec.to_builtins(request.user)
            user.pop("signature", None)
            context["user"] = {**user, "verified": verified}
        context["transcript"] = msgspec.to_builtins(request.transcript)
        context["page"] = msgspec.to_builtins(request.page) if request.page else None
        row = {
            "id": ticket_id,
            "site": request.site,
            "session_id": request.session_id,
            "visitor_id": request.visitor_id,
            "email": request.email,
            "name": request.name,
            "message": request.message,
            "page_url": request.page_url,
            "user_id": request.user.id if request.user else None,
            "user_verified": verified,
            "category": category,
            "priority": priority,
            "context": context,
            "created_at": now,
        }
        with self.engine.begin() as db:
            created = db.execute(
                upsert_insert(self.engine, tickets)
                .on_conflict_do_nothing(index_elements=["id"])
                .returning(tickets.c.id),
                row,
            ).first()
            if created is None:  # a retry: answer what was stored the first time
                stored = db.execute(
                    select(tickets.c.category, tickets.c.priority, tickets.c.user_verified).where(
                        tickets.c.id == ticket_id
                    )
                ).one()
                return TicketCreated(
                    ticket_id, stored.category, stored.priority, stored.user_verified, True
                )
            for destination in self.destinations:
                db.execute(
                    outbox.insert().values(
                        ticket_id=ticket_id,
                        destination=destination,
                        attempts=0,
                        next_attempt_at=now,
                        claimed_until=0,
                    )
                )
            db.execute(
                upsert_insert(self.engine, events).on_conflict_do_nothing(index_elements=["id"]),
                {
                    "id": f"ticket-{ticket_id}"[:64],
                    "site": request.site,
                    "type": "ticket_created",
                    "session_id": request.session_id,
                    "visitor_id": request.visitor_id,
                    "page_url": request.page_url
                    or (context["pages"][-1] if context["pages"] else "/"),
                    "route": request.page.route if request.page else None,
                    "ts": now,
                    "received_at": now,
                    "data": {"ticket_id": ticket_id, "category": category, "priority": priority},
                },
            )
        return TicketCreated(ticket_id, category, priority, verified, False)
