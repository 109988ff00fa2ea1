"""The issue tracker as a destination: GitHub Issues' REST API, one issue per topic and window.

A ticket routed `to: [tracker]` files an issue with its context
(`POST /repos/{owner}/{repo}/issues`) unless its topic already has one in the window, in
which case it becomes a comment on it (`POST /repos/{owner}/{repo}/issues/{number}/comments`).
The topic is the ticket's category and page, or, with `FRONTDESK_TRACKER_ISSUE_PER=gap_cluster`,
the knowledge-base gap cluster its session ended in. Windows are
`FRONTDESK_TRACKER_WINDOW_DAYS` long, counted in UTC days from 1970-01-01.

`tracker_issues` holds one row per repository, topic and window. The ticket whose delivery
inserts the row creates the issue; a delivery that finds the row while that issue is being
created fails and is retried by the outbox, so that two tickets never open two issues. Each
request carries the delivery's idempotency key. No contact data goes to the tracker: the
message and questions as stored (redacted), each in a code block so that nothing a user
typed is rendered as markdown (no mentions, links or images).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine, select, update

from ingest.pages import page_path
from server.platform.database import upsert_insert
from server.platform.days import day_of
from server.platform.delivery import TIMEOUT_SECONDS, one_line
from server.tables import tracker_issues

GapCluster = Callable[[str], tuple[int | None, bool]]  # session → (cluster, some pending)
CLUSTER_WAIT_MS = 3_600_000  # how long a ticket waits for its gap questions to be clustered


class IssuePendingError(RuntimeError):
    """The topic's issue is being created by another ticket's delivery (or the gap cluster
    is not known yet): the outbox tries again later."""


def fenced(text: str) -> str:
    """Text in a code block whose fence is longer than any run of backticks in it."""
    run, longest = 0, 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def ticket_page(ticket: Mapping[str, Any]) -> str:
    """The page a ticket is about: the host's route, else its URL's path, else its session's
    last page."""
    context = ticket["context"]
    page = context.get("page") or {}
    if page.get("route"):
        return str(page["route"])
    url = ticket["page_url"] or (context["pages"][-1] if context.get("pages") else "/")
    return page_path(url)


def report(ticket: Mapping[str, Any]) -> str:
    """The markdown of one report: what the user wrote and what the session shows."""
    context = ticket["context"]
    route = context.get("route") or {}
    lines = [
        f"Frontdesk ticket `{ticket['id']}` · category **{ticket['category']}** · "
        f"priority **{ticket['priority']}** · page `{ticket_page(ticket)}`"
        + (f" · route `{route['rule']}`" if route.get("rule") else ""),
        "",
        fenced(ticket["message"]),
    ]
    if context.get("questions"):
        lines += ["", "Asked before writing:", ""]
        lines += [fenced(f"{q['question']} ({q['status']})") for q in context["questions"]]
    shown = [a["article_id"] for a in context.get("answers", ())]
    shown += list(context.get("articles_opened", ()))
    if shown:
        lines += ["", "Articles shown: " + ", ".join(f"`{a}`" for a in dict.fromkeys(shown))]
    if context.get("feedback"):
        votes = ", ".join("yes" if f["helpful"] else "no" for f in context["feedback"])
        lines += [f"Feedback: {votes}"]
    return "\n".join(lines)


def tracker_labels(category: str, tags: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(["frontdesk", category, *tags]))


@dataclass(frozen=True)
class Topic:
    key: str  # gap:<cluster>, or page:<category>:<page>
    title: str


@dataclass(frozen=True)
class GitHubIssues:
    """Issues in one repository of a GitHub-compatible API."""

    url: str
    token: str
    repo: str
    engine: Engine
    window_days: int
    per: str  # category_page or gap_cluster
    gap_cluster: GapCluster | None = None
    name: str = "tracker"

    def topic(self, ticket: Mapping[str, Any], now: int) -> Topic:
        if self.per == "gap_cluster" and self.gap_cluster is not None:
            cluster, pending = self.gap_cluster(ticket["session_id"])
            if pending and now - ticket["created_at"] < CLUSTER_WAIT_MS:
                raise IssuePendingError("the session's gap questions are not clustered yet")
            if cluster is not None:
                asked = [q["question"] for q in ticket["context"].get("questions", ())]
                about = one_line(asked[-1])[:70] if asked else ticket["category"]
                return Topic(f"gap:{cluster}", f"Knowledge gap #{cluster}: {about}")
        page = ticket_page(ticket)
        return Topic(
            f"page:{ticket['category']}:{page}",
            f"[{ticket['category']}] {page}: {one_line(ticket['message'])[:60]}",
        )

    def deliver(self, ticket: Mapping[str, Any], key: str) -> None:
        now = int(time.time() * 1000)
        topic = self.topic(ticket, now)
        window = day_of(ticket["created_at"]) // self.window_days * self.window_days
        issue = self._claim(topic.key, window, ticket["id"], now)
        if issue.number is not None:
            self._post(
                f"issues/{issue.number}/comments",
                {"body": "Another report.\n\n" + report(ticket)},
                key,
            )
            return
        route = ticket["context"].get("route") or {}
        body: dict[str, Any] = {
            "title": topic.title,
            "body": report(ticket),
            "labels": tracker_labels(ticket["category"], route.get("tags", ())),
        }
        if route.get("assignee"):
            body["assignees"] = [route["assignee"]]
        created = self._post("issues", body, key)
        with self.engine.begin() as db:
            db.execute(
                update(tracker_issues)
                .where(tracker_issues.c.id == issue.id)
                .values(number=int(created["number"]), url=created.get("html_url"), opened_by=None)
            )

    def _claim(self, topic: str, window: int, ticket_id: str, now: int) -> Any:
        """The topic's row for the window: inserted by this ticket, taken over from an erased
        ticket, or another's (IssuePendingError while that one is being created)."""
        with self.engine.begin() as db:
            db.execute(
                upsert_insert(self.engine, tracker_issues).on_conflict_do_nothing(
                    index_elements=["repo", "topic", "window_start"]
                ),
                {
                    "repo": self.repo,
                    "topic": topic,
                    "window_start": window,
                    "opened_by": ticket_id,
                    "created_at": now,
                },
            )
            where = (
                (tracker_issues.c.repo == self.repo)
                & (tracker_issues.c.topic == topic)
                & (tracker_issues.c.window_start == window)
            )
            # the ticket that was to create it is gone (erased): this one creates it
            db.execute(
                update(tracker_issues)
                .where(
                    where, tracker_issues.c.number.is_(None), tracker_issues.c.opened_by.is_(None)
                )
                .values(opened_by=ticket_id)
            )
            row = db.execute(select(tracker_issues).where(where)).one()
        if row.number is None and row.opened_by != ticket_id:
            raise IssuePendingError(f"the issue for {topic} is being created")
        return row

    def _post(self, path: str, body: Mapping[str, Any], key: str) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/repos/{self.repo}/{path}",
            json=body,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "Idempotency-Key": key,
            },
            timeout=TIMEOUT_SECONDS,
        )
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer
