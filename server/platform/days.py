"""Day arithmetic, one way: UTC days as numbers since 1970-01-01, ISO weeks, and timestamps
in milliseconds since the epoch (what events and every table store)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

DAY_MS = 86_400_000
EPOCH = date(1970, 1, 1)


def day_of(ms: int) -> int:
    """The UTC day a timestamp (ms) falls on."""
    return ms // DAY_MS


def day_number(day: date) -> int:
    return (day - EPOCH).days


def day_date(day: int) -> date:
    return EPOCH + timedelta(days=day)


def start_ms(day: date) -> int:
    """The first millisecond of a UTC day."""
    return int(datetime.combine(day, time.min, UTC).timestamp() * 1000)


def end_ms(day: date) -> int:
    """The last moment of a UTC day, in ms."""
    return int(datetime.combine(day, time.max, UTC).timestamp() * 1000)


def today(now_ms: int | None = None) -> date:
    """The UTC date now, or at a timestamp (ms)."""
    if now_ms is None:
        return datetime.now(UTC).date()
    return datetime.fromtimestamp(now_ms / 1000, UTC).date()


FIRST = datetime.min.replace(tzinfo=UTC)
LAST = datetime.max.replace(tzinfo=UTC)


def iso(ms: int) -> str:
    """A timestamp (ms) as ISO 8601 in UTC to the second: `2026-11-16T09:30:00Z`; one
    outside the years 1 to 9999 as the nearest moment that has a date."""
    try:
        moment = datetime.fromtimestamp(ms / 1000, UTC)
    except (OverflowError, ValueError, OSError):
        moment = LAST if ms > 0 else FIRST
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def week_of(day: date) -> date:
    """The Monday of the ISO week the day is in."""
    return day - timedelta(days=day.weekday())


def week_name(monday: date) -> str:
    """`2026-W47`: the ISO week of that Monday."""
    iso_week = monday.isocalendar()
    return f"{iso_week.year}-W{iso_week.week:02d}"
