"""Where the dashboard's alerts and weekly reports go: a webhook, an email, or both.

The webhook gets `{"type": ..., "subject": ..., "text": ..., **payload}` as JSON, signed
like ticket webhooks (`X-Frontdesk-Signature`, HMAC-SHA256 of the body with
`FRONTDESK_WEBHOOK_SECRET`); the email is plain text through `FRONTDESK_SMTP_URL`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.platform.delivery import post_signed, send_email
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
            document = {"type": kind, "subject": subject, "text": text, **payload}
            post_signed(self.webhook_url, self.secret, document, key)
        if self.smtp_url and self.recipient:
            send_email(self.smtp_url, self.sender, self.recipient, subject, text, key)
