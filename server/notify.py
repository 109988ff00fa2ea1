"""Where the dashboard's alerts and weekly reports go: a webhook, an email, or both.

The webhook gets `{"type": ..., "subject": ..., "text": ..., **payload}` as JSON, signed
like ticket webhooks (`X-Frontdesk-Signature`, HMAC-SHA256 of the body with
`FRONTDESK_WEBHOOK_SECRET`); the email is plain text through `FRONTDESK_SMTP_URL`.
"""

from __future__ import annotations

import json
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx

from server.outbox import signature
from server.settings import Settings


@dataclass(frozen=True)
class Notifier:
    webhook_url: str
    secret: str
    smtp_url: str
    sender: str
    recipient: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Notifier:
        return cls(
            settings.notify_webhook_url,
            settings.webhook_secret,
            settings.smtp_url,
            settings.email_from,
            settings.notify_email_to,
        )

    @property
    def configured(self) -> bool:
        return bool(self.webhook_url or (self.smtp_url and self.recipient))

    def send(self, kind: str, subject: str, text: str, payload: dict[str, Any], key: str) -> None:
        """Deliver to every configured destination; raises on the first that fails."""
        if self.webhook_url:
            body = json.dumps({"type": kind, "subject": subject, "text": text, **payload})
            response = httpx.post(
                self.webhook_url,
                content=body.encode(),
                headers={
                    "Content-Type": "application/json",
                    "X-Frontdesk-Signature": signature(self.secret, body.encode()),
                    "Idempotency-Key": key,
                },
                timeout=10,
            )
            response.raise_for_status()
        if self.smtp_url and self.recipient:
            message = EmailMessage()
            message["Subject"] = subject
            message["From"] = self.sender
            message["To"] = self.recipient
            message["Message-ID"] = f"<{key.replace(':', '.')}@frontdesk>"
            message.set_content(text)
            parts = urlsplit(self.smtp_url)
            with smtplib.SMTP(parts.hostname or "localhost", parts.port or 25, timeout=10) as smtp:
                smtp.send_message(message)
