"""Handoff tickets: what the user wrote, plus everything their session's events tell.

A ticket is stored together with one outbox row per destination of its route
(`server.handoff.routing`) in one transaction; the outbox worker delivers it later
(`server.handoff.outbox`). The client's ticket id makes a retried submission a no-op. A
`ticket_created` event is written with it, so the deflection log can be rebuilt from
events alone. Personal data is redacted from every free text and URL query it stores; its
contact fields (email, name, and the identified user's id, email and name) are kept as
given, since support answers there.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import Connection, Engine, delete, select, update

from server.events.redaction import Redactor
from server.events.visitors import VisitorTrace
from server.handoff.routing import Routing
from server.handoff.rules import TicketRules
from server.handoff.schema import TicketCreated, TicketRequest, TicketUser
from server.platform.database import upsert_insert
from server.tables import events, outbox, tickets, tracker_issues


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


def ticket_event_id(ticket_id: str) -> str:
    """The id of a ticket's `ticket_created` event: a hash of the ticket id, so that two ids
    never share one; the `:` keeps it apart from every id a client may send."""
    return "ticket:" + hashlib.sha256(ticket_id.encode()).hexdigest()[:57]


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
    routing: Routing  # which destinations the outbox delivers each ticket to
    redact: Redactor = field(default_factory=lambda: Redactor(()))  # none: keeps everything

    def create(
        self, request: TicketRequest, article_tags: Mapping[str, Sequence[str]]
    ) -> TicketCreated:
        context = session_context(self.engine, request.session_id)
        tags = [t for a in shown_articles(context) for t in article_tags.get(a, ())]
        message = self.redact(request.message)
        page_url = self.redact.url(request.page_url) if request.page_url else None
        text = " ".join([message, *(q["question"] for q in context["questions"])])
        category = self.rules.category(text, tags)
        priority = self.rules.priority(text)
        verified = self.rules.verified(request.site, request.user)
        ticket_id = request.id or uuid.uuid4().hex
        now = int(time.time() * 1000)
        context["user"] = None
        if request.user is not None:
            context["user"] = {**self._user(request.user), "verified": verified}
        context["transcript"] = [
            {**line, "text": self.redact(line["text"])}
            for line in msgspec.to_builtins(request.transcript)
        ]
        context["page"] = self._page(msgspec.to_builtins(request.page)) if request.page else None
        context["route"] = self.routing.route(category, priority, self._where(request, context))
        context["form_suggestions"] = msgspec.to_builtins(request.suggested)
        row = {
            "id": ticket_id,
            "site": request.site,
            "session_id": request.session_id,
            "visitor_id": request.visitor_id,
            "email": request.email,
            "name": request.name,
            "message": message,
            "page_url": page_url,
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
            for destination in context["route"]["destinations"]:
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
                    "id": ticket_event_id(ticket_id),
                    "site": request.site,
                    "type": "ticket_created",
                    "session_id": request.session_id,
                    "visitor_id": request.visitor_id,
                    "page_url": page_url or (context["pages"][-1] if context["pages"] else "/"),
                    "route": request.page.route if request.page else None,
                    "ts": now,
                    "received_at": now,
                    "data": {"ticket_id": ticket_id, "category": category, "priority": priority},
                },
            )
        return TicketCreated(ticket_id, category, priority, verified, False)

    @staticmethod
    def _where(request: TicketRequest, context: Mapping[str, Any]) -> str | None:
        """The page routes match: the host's route, else the ticket's page, else the last
        page of the session."""
        if request.page is not None and request.page.route:
            return request.page.route
        if request.page_url:
            return request.page_url
        return context["pages"][-1] if context["pages"] else None

    def _user(self, user: TicketUser) -> dict[str, Any]:
        """The identified user: id, email and name as given (contact), traits redacted."""
        stored: dict[str, Any] = msgspec.to_builtins(user)
        stored.pop("signature", None)
        stored["traits"] = self._texts(stored["traits"])
        return stored

    def _page(self, page: dict[str, Any]) -> dict[str, Any]:
        """The host's page context with its URL, title and text values redacted."""
        return {
            **page,
            "url": self.redact.url(page["url"]) if page["url"] else None,
            "title": self.redact(page["title"]) if page["title"] else page["title"],
            "context": self._texts(page["context"]),
        }

    def _texts(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self.redact(v) if isinstance(v, str) else v for k, v in values.items()}

    @staticmethod
    def forget(db: Connection, visitor: VisitorTrace) -> int:
        """Delete the visitor's tickets (their deliveries go with them, and a tracker issue
        they were to open waits for the topic's next ticket); returns how many."""
        theirs = select(tickets.c.id).where(tickets.c.visitor_id == visitor.id)
        db.execute(
            update(tracker_issues)
            .where(tracker_issues.c.opened_by.in_(theirs))
            .values(opened_by=None)
        )
        deleted = db.execute(delete(tickets).where(tickets.c.visitor_id == visitor.id))
        return int(deleted.rowcount)
