"""Where a ticket goes: a signed webhook, an email to the support inbox, a Zendesk-shaped
helpdesk API, or an issue tracker (`server.handoff.tracker`); each delivery carries its
idempotency key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from sqlalchemy import Engine

from server.handoff.tracker import GapCluster, GitHubIssues
from server.platform.delivery import one_line, post_signed, send_email
from server.settings import Settings


class Destination(Protocol):
    @property
    def name(self) -> str: ...

    def deliver(self, ticket: Mapping[str, Any], key: str) -> None:
        """Deliver or raise; `key` is the idempotency key of this delivery."""


def ticket_document(ticket: Mapping[str, Any]) -> dict[str, Any]:
    """The ticket as JSON for receivers."""
    return {
        "id": ticket["id"],
        "site": ticket["site"],
        "created_at": ticket["created_at"],
        "contact": {"email": ticket["email"], "name": ticket["name"]},
        "message": ticket["message"],
        "category": ticket["category"],
        "priority": ticket["priority"],
        "page_url": ticket["page_url"],
        "session_id": ticket["session_id"],
        "visitor_id": ticket["visitor_id"],
        "user": ticket["context"].get("user"),
        "route": ticket["context"].get("route"),
        "context": {k: v for k, v in ticket["context"].items() if k not in ("user", "route")},
    }


@dataclass(frozen=True)
class Webhook:
    url: str
    secret: str
    name: str = "webhook"

    def deliver(self, ticket: Mapping[str, Any], key: str) -> None:
        document = {"type": "ticket.created", "ticket": ticket_document(ticket)}
        post_signed(self.url, self.secret, document, key)


@dataclass(frozen=True)
class Email:
    smtp_url: str
    sender: str
    recipient: str
    name: str = "email"

    def deliver(self, ticket: Mapping[str, Any], key: str) -> None:
        context = ticket["context"]
        lines = [ticket["message"], "", f"From: {ticket['name'] or ''} <{ticket['email']}>"]
        lines.append(f"Priority: {ticket['priority']}  Category: {ticket['category']}")
        if ticket["page_url"]:
            lines.append(f"Page: {ticket['page_url']}")
        if context["questions"]:
            lines += ["", "Asked before writing:"]
            lines += [f"- {q['question']} ({q['status']})" for q in context["questions"]]
        shown = [a["article_id"] for a in context["answers"]] + context["articles_opened"]
        if shown:
            lines += ["", "Articles shown: " + ", ".join(dict.fromkeys(shown))]
        if context["feedback"]:
            lines += [
                "Feedback: "
                + ", ".join("yes" if f["helpful"] else "no" for f in context["feedback"])
            ]
        route = context.get("route") or {}
        if route.get("rule"):
            fields = [f"{k} {route[k]}" for k in ("group", "assignee") if route.get(k)]
            fields += ["tags " + ", ".join(route["tags"])] if route.get("tags") else []
            lines += [f"Route: {route['rule']}" + (f" ({'; '.join(fields)})" if fields else "")]
        if context["user"]:
            state = "verified" if context["user"]["verified"] else "NOT verified"
            lines += [f"User: {context['user']['id']} ({state})"]
        send_email(
            self.smtp_url,
            self.sender,
            self.recipient,
            f"[{ticket['priority']}] {ticket['category']}: {one_line(ticket['message'])[:60]}",
            "\n".join(lines),
            key,
            {"Reply-To": ticket["email"], "X-Frontdesk-Ticket": ticket["id"]},
        )


PRIORITY_TO_ZENDESK = {"critical": "urgent", "high": "high", "medium": "normal", "low": "low"}


def zendesk_assignment(route: Mapping[str, Any]) -> dict[str, Any]:
    """A route's group and assignee as Zendesk's fields: a numeric group is `group_id` (else
    `group`, by name, for helpdesks that take one); an assignee is `assignee_id` when numeric,
    else `assignee_email`."""
    fields: dict[str, Any] = {}
    group, assignee = route.get("group"), route.get("assignee")
    if group:
        fields["group_id" if group.isdigit() else "group"] = (
            int(group) if group.isdigit() else group
        )
    if assignee:
        fields["assignee_id" if assignee.isdigit() else "assignee_email"] = (
            int(assignee) if assignee.isdigit() else assignee
        )
    return fields


@dataclass(frozen=True)
class Helpdesk:
    """Zendesk's ticket API: `POST /api/v2/tickets.json` (other helpdesks accept the shape too)."""

    url: str
    token: str
    name: str = "helpdesk"

    def deliver(self, ticket: Mapping[str, Any], key: str) -> None:
        document = ticket_document(ticket)
        route = ticket["context"].get("route") or {}
        fields: dict[str, Any] = {
            "subject": one_line(ticket["message"])[:80],
            "comment": {"body": ticket["message"]},
            "requester": {"name": ticket["name"] or ticket["email"], "email": ticket["email"]},
            "priority": PRIORITY_TO_ZENDESK[ticket["priority"]],
            "tags": list(dict.fromkeys(["frontdesk", ticket["category"], *route.get("tags", ())])),
            "external_id": ticket["id"],
            "custom_fields": [],
            "metadata": {"frontdesk": document},
        }
        fields.update(zendesk_assignment(route))
        body = {"ticket": fields}
        response = httpx.post(
            self.url.rstrip("/") + "/api/v2/tickets.json",
            json=body,
            headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": key},
            timeout=10,
        )
        response.raise_for_status()


def destination_names(settings: Settings) -> tuple[str, ...]:
    """The destinations the settings configure, by name."""
    configured = {
        "webhook": bool(settings.webhook_url),
        "email": bool(settings.smtp_url and settings.email_to),
        "helpdesk": bool(settings.helpdesk_url),
        "tracker": bool(settings.tracker_repo),
    }
    return tuple(name for name, on in configured.items() if on)


def destinations(
    settings: Settings, engine: Engine, gap_cluster: GapCluster | None = None
) -> dict[str, Destination]:
    """Every configured destination; the tracker keeps its issues in `engine` and asks
    `gap_cluster` which knowledge-base gap a session ended in."""
    chosen: dict[str, Destination] = {}
    names = destination_names(settings)
    if "webhook" in names:
        chosen["webhook"] = Webhook(settings.webhook_url, settings.webhook_secret)
    if "email" in names:
        chosen["email"] = Email(settings.smtp_url, settings.email_from, settings.email_to)
    if "helpdesk" in names:
        chosen["helpdesk"] = Helpdesk(settings.helpdesk_url, settings.helpdesk_token)
    if "tracker" in names:
        chosen["tracker"] = GitHubIssues(
            settings.tracker_url,
            settings.tracker_token,
            settings.tracker_repo,
            engine,
            settings.tracker_window_days,
            settings.tracker_issue_per,
            gap_cluster,
        )
    return chosen
