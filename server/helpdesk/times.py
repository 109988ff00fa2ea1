"""Helpdesk times: ISO 8601 text to milliseconds since the epoch, or a 400 naming the field."""

from __future__ import annotations

from datetime import UTC, datetime

from server.platform.validation import invalid

FIRST_MS = 0  # 1970
LAST_MS = 253_402_300_799_000  # 9999-12-31


def parse_time(text: str, field: str) -> int:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise invalid(field, f"{text[:40]!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    ms = int(moment.timestamp() * 1000)
    if not FIRST_MS <= ms <= LAST_MS:
        raise invalid(field, f"{text[:40]!r} is outside the years 1970 to 9999")
    return ms
