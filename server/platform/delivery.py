"""Sending to the outside: a signed JSON webhook and a plain email, for tickets, alerts and
reports alike.

A webhook body is signed in `X-Frontdesk-Signature` (`sha256=` + HMAC-SHA256 of the body
with the secret, hex) and carries an `Idempotency-Key`; an email carries a `Message-ID`
made from the same key, so a receiver can drop a repeat of a delivery whose success was
lost. Both raise when the receiver refuses.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx

TIMEOUT_SECONDS = 10


def one_line(text: str) -> str:
    """Text as one line: every run of whitespace, line breaks included, becomes one space (an
    email header may not hold a line break)."""
    return " ".join(text.split())


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_signed(url: str, secret: str, document: Mapping[str, Any], key: str) -> None:
    """POST the document as JSON, signed with the secret; raise unless the receiver took it."""
    body = json.dumps(document).encode()
    response = httpx.post(
        url,
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Frontdesk-Signature": signature(secret, body),
            "Idempotency-Key": key,
        },
        timeout=TIMEOUT_SECONDS,
    )
    response.raise_for_status()


def send_email(
    smtp_url: str,
    sender: str,
    recipient: str,
    subject: str,
    text: str,
    key: str,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Send a plain-text email through `smtp://host:port`; its Message-ID comes from `key`.
    Header values are made one line (a multi-line subject would be refused, forever)."""
    message = EmailMessage()
    message["Subject"] = one_line(subject)
    message["From"] = one_line(sender)
    message["To"] = one_line(recipient)
    for name, value in (headers or {}).items():
        message[name] = one_line(value)
    message["Message-ID"] = f"<{key.replace(':', '.')}@frontdesk>"  # receivers drop repeats
    message.set_content(text)
    parts = urlsplit(smtp_url)
    with smtplib.SMTP(
        parts.hostname or "localhost", parts.port or 25, timeout=TIMEOUT_SECONDS
    ) as smtp:
        smtp.send_message(message)
