"""Who may post helpdesk events: an HMAC-SHA256 signature under the source's secret, checked
on the raw body before anything in it is read.

Two ways to sign, one per shape:

- Zendesk's: `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(timestamp + body)), with the
  timestamp (ISO 8601) in `X-Zendesk-Webhook-Signature-Timestamp`; the secret is the
  webhook's signing secret;
- Frontdesk's generic one: `X-Frontdesk-Signature` = `sha256=` + hex(HMAC-SHA256(timestamp +
  "." + body)), with the timestamp (Unix seconds) in `X-Frontdesk-Timestamp`.

A timestamp further from the server's clock than the allowed age is refused, so a captured
request cannot be replayed later; a replay within it stores nothing new (event ids).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Shape = Literal["zendesk", "generic"]
ZENDESK_SIGNATURE = "x-zendesk-webhook-signature"
ZENDESK_TIMESTAMP = "x-zendesk-webhook-signature-timestamp"
GENERIC_SIGNATURE = "x-frontdesk-signature"
GENERIC_TIMESTAMP = "x-frontdesk-timestamp"


class SignatureError(Exception):
    """The request is not signed by a known source (the message says why, for the 401)."""


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def generic_signature(secret: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _seconds(timestamp: str, shape: Shape) -> float:
    try:
        if shape == "generic":
            return float(int(timestamp))
        return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError):
        raise SignatureError(f"the signature timestamp {timestamp[:40]!r} is not valid") from None


@dataclass(frozen=True)
class SourceKeys:
    """The secret of every source (`FRONTDESK_HELPDESK_SECRETS`) and the allowed age."""

    secrets: Mapping[str, str]
    max_age_seconds: int = 3600

    def verify(
        self, source: str | None, headers: Mapping[str, str], body: bytes, now_s: float
    ) -> tuple[str, Shape]:
        """The source and the shape of a correctly signed request; SignatureError otherwise."""
        if ZENDESK_SIGNATURE in headers:
            shape: Shape = "zendesk"
            given, timestamp = headers[ZENDESK_SIGNATURE], headers.get(ZENDESK_TIMESTAMP, "")
        elif GENERIC_SIGNATURE in headers:
            shape = "generic"
            given, timestamp = headers[GENERIC_SIGNATURE], headers.get(GENERIC_TIMESTAMP, "")
        else:
            raise SignatureError(
                "unsigned: send X-Zendesk-Webhook-Signature or X-Frontdesk-Signature"
            )
        name = source or shape
        secret = self.secrets.get(name)
        if not secret:
            raise SignatureError(f"unknown source {name[:40]!r}: not in FRONTDESK_HELPDESK_SECRETS")
        if not timestamp:
            raise SignatureError("the signature timestamp header is missing")
        expected = (zendesk_signature if shape == "zendesk" else generic_signature)(
            secret, timestamp, body
        )
        if not hmac.compare_digest(expected.encode(), given.strip().encode()):
            raise SignatureError("the signature does not match the body and timestamp")
        if abs(now_s - _seconds(timestamp, shape)) > self.max_age_seconds:
            raise SignatureError(
                f"the signature timestamp is more than {self.max_age_seconds} s from the "
                "server's clock"
            )
        return name, shape
