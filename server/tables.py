"""Every table of the event and ticket database (SQLAlchemy Core); migrations create them."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, MetaData, String, Table, Text

metadata = MetaData()

events = Table(
    "events",
    metadata,
    Column("id", String(64), primary_key=True, comment="client-generated: a retry is a no-op"),
    Column("site", String(64), nullable=False),
    Column("type", String(32), nullable=False),
    Column("session_id", String(128), nullable=False),
    Column("visitor_id", String(128), nullable=False),
    Column("page_url", Text, nullable=False),
    Column("route", Text),
    Column("ts", BigInteger, nullable=False, comment="client time, ms since the epoch"),
    Column("received_at", BigInteger, nullable=False, comment="server time, ms since the epoch"),
    Column("data", JSON, nullable=False, comment="the type's own fields"),
    Index("ix_events_session", "session_id", "ts"),
    Index("ix_events_visitor", "visitor_id"),
    Index("ix_events_type_ts", "type", "ts"),
)
