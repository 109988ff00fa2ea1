"""Real local senders of helpdesk events: they sign every request as Zendesk does (or as the
generic shape asks) and POST it over HTTP to a running Frontdesk."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from server.helpdesk.signatures import generic_signature, zendesk_signature


def iso(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    )


@dataclass
class ZendeskSender:
    """A Zendesk webhook: one ticket event per request, `X-Zendesk-Webhook-Signature` =
    base64(HMAC-SHA256(timestamp + body)) with its signing secret."""

    url: str  # .../api/v1/helpdesk/events?source=...
    secret: str

    def post_raw(self, body: bytes, timestamp: str | None = None) -> httpx.Response:
        stamp = timestamp or iso(int(time.time() * 1000))
        return httpx.post(
            self.url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Zendesk Webhook",
                "X-Zendesk-Webhook-Id": "01GK8E6BKWMJZD2T8Y5AXJQMG5",
                "X-Zendesk-Webhook-Signature": zendesk_signature(self.secret, stamp, body),
                "X-Zendesk-Webhook-Signature-Timestamp": stamp,
            },
            timeout=30,
        )

    def send(
        self,
        kind: str,
        event_id: str,
        ticket: dict[str, Any],
        at: int,
        change: dict[str, Any] | None = None,
    ) -> httpx.Response:
        document = {
            "type": f"zen:event-type:ticket.{kind}",
            "account_id": 88888888,
            "id": event_id,
            "time": iso(at),
            "zendesk_event_version": "2022-11-06",
            "subject": f"zen:ticket:{ticket['id']}",
            "detail": ticket,
            "event": change or {},
        }
        return self.post_raw(json.dumps(document).encode())


@dataclass
class GenericSender:
    """A script posting the generic shape, signed with `X-Frontdesk-Signature`."""

    url: str
    secret: str

    def post_raw(self, body: bytes, timestamp: str | None = None) -> httpx.Response:
        stamp = timestamp or str(int(time.time()))
        return httpx.post(
            self.url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Frontdesk-Signature": generic_signature(self.secret, stamp, body),
                "X-Frontdesk-Timestamp": stamp,
            },
            timeout=30,
        )

    def send(self, *events: dict[str, Any]) -> httpx.Response:
        return self.post_raw(json.dumps({"events": list(events)}).encode())
