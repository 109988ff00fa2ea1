"""Every table of the event and ticket database (SQLAlchemy Core); migrations create them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

events = Table(
    "events",
    metadata,
    Column("id", String(64), primary_key=True),  # client-generated: a retry is a no-op
    Column("site", String(64), nullable=False),
    Column("type", String(32), nullable=False),
    Column("session_id", String(128), nullable=False),
    Column("visitor_id", String(128), nullable=False),
    Column("page_url", Text, nullable=False),
    Column("route", Text),
    Column("ts", BigInteger, nullable=False),  # client time, ms since the epoch
    Column("received_at", BigInteger, nullable=False),  # server time, ms since the epoch
    Column("data", JSON, nullable=False),  # the type's own fields
    Index("ix_events_session", "session_id", "ts"),
    Index("ix_events_visitor", "visitor_id"),
    Index("ix_events_type_ts", "type", "ts"),
    Index("ix_events_received", "received_at"),
    Index("ix_events_ts", "ts"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", String(64), primary_key=True),  # the client's ticket id: a retry is a no-op
    Column("site", String(64), nullable=False),
    Column("session_id", String(128), nullable=False),
    Column("visitor_id", String(128), nullable=False),
    Column("email", String(320), nullable=False),
    Column("name", String(200)),
    Column("message", Text, nullable=False),
    Column("page_url", Text),
    Column("user_id", String(128)),
    Column("user_verified", Boolean, nullable=False, default=False),
    Column("category", String(64), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("context", JSON, nullable=False),  # what the session's events tell
    Column("created_at", BigInteger, nullable=False),
    Index("ix_tickets_session", "session_id"),
    Index("ix_tickets_visitor", "visitor_id"),
    Index("ix_tickets_created", "created_at"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String(64), ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
    Column("destination", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("claimed_until", BigInteger, nullable=False, default=0),
    Column("delivered_at", BigInteger),
    Column("last_error", Text),
    UniqueConstraint("ticket_id", "destination", name="uq_outbox_ticket_destination"),
    Index("ix_outbox_due", "delivered_at", "next_attempt_at"),
)

deflections = Table(
    "deflections",
    metadata,
    Column("session_id", String(128), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("visitor_id", String(128), nullable=False),
    Column("outcome", String(24), nullable=False),
    Column("page_url", Text, nullable=False),  # where the session started
    Column("page", Text),  # that page's route, or its path
    Column("questions", JSON, nullable=False),
    Column("answers", JSON, nullable=False),  # answers and articles shown
    Column("prompt_id", String(64)),  # the prompt that opened the session, if any
    Column("started_at", BigInteger, nullable=False),
    Column("ended_at", BigInteger, nullable=False),
    Index("ix_deflections_started", "started_at"),
    Index("ix_deflections_visitor", "visitor_id"),
)

job_state = Table(
    "job_state",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("owner", String(64), nullable=False, default=""),
    Column("lease_until", BigInteger, nullable=False, default=0),
    Column(
        "watermark",
        BigInteger,
        nullable=False,
        default=0,
        # events received before it are done
    ),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),  # argon2id, with its parameters
    Column("role", String(16), nullable=False),  # admin: everything; viewer: read only
    Column("created_at", BigInteger, nullable=False),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("account", String(320), primary_key=True),  # the email tried, as users.email is
    Column("failures", Integer, nullable=False),  # in a row, since the last good login
    Column("last_failure_at", BigInteger, nullable=False),
    Index("ix_login_failures_last", "last_failure_at"),
)

# -- the dashboard's statistics: derived from the events, rebuilt at will ------------------

daily_counts = Table(
    "daily_counts",
    metadata,
    Column("dimension", String(16), nullable=False),  # all, article, prompt, question, category
    Column("day", Integer, nullable=False),  # UTC days since 1970-01-01
    Column("page", Text, nullable=False),  # route, or path
    Column("key", Text, nullable=False),  # the article, prompt, ... ("" for `all`)
    Column("metric", String(24), nullable=False),
    Column("value", Integer, nullable=False),
    Index("ix_daily_counts", "dimension", "day", "page", "key", "metric", unique=True),
)

gap_clusters = Table(
    "gap_clusters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("centroid", LargeBinary, nullable=False),  # float32, unit length
    Column("size", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

gap_questions = Table(
    "gap_questions",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("day", Integer, nullable=False),
    Column("page", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("reason", String(16), nullable=False),  # no_answer, suggested, not_helpful
    Column("cluster_id", Integer),  # None until the job has embedded it
    Index("ix_gap_questions_day", "day", "cluster_id"),
    Index("ix_gap_questions_unclustered", "cluster_id"),
)

prompt_exposures = Table(
    "prompt_exposures",
    metadata,
    Column("prompt_id", String(64), primary_key=True),
    Column("visitor_id", String(128), primary_key=True),
    Column("grp", String(8), nullable=False),  # shown, holdout
    Column("first_ts", BigInteger, nullable=False),
    Column("day", Integer, nullable=False),
    Column("page", Text, nullable=False),
    Column("ticket_ts", BigInteger),  # the first ticket within the window after first_ts
    Index("ix_prompt_exposures_day", "day"),
    Index("ix_prompt_exposures_visitor", "visitor_id"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("day", Integer, nullable=False),  # the day checked; one alert per kind and day
    Column("value", Float, nullable=False),
    Column("threshold", Float, nullable=False),
    Column("message", Text, nullable=False),
    Column("fired_at", BigInteger, nullable=False),
    Column("delivered_at", BigInteger),
    Column("last_error", Text),
    UniqueConstraint("kind", "day", name="uq_alerts_kind_day"),
)

# -- the issue tracker: one issue per topic and window, repeats are comments ----------------

tracker_issues = Table(
    "tracker_issues",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("repo", String(140), nullable=False),  # owner/name
    Column("topic", Text, nullable=False),  # gap:<cluster id>, or page:<category>:<page>
    Column("window_start", Integer, nullable=False),  # UTC day the window starts on
    Column("number", Integer),  # the tracker's issue number; None until it is created
    Column("url", Text),
    # the ticket whose delivery creates the issue (None once delivered, or the ticket erased)
    Column("opened_by", String(64), ForeignKey("tickets.id", ondelete="SET NULL")),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("repo", "topic", "window_start", name="uq_tracker_issues_topic_window"),
)

# -- durable deflection: deflected sessions a later ticket on the same topic undid ----------

deflection_reversals = Table(
    "deflection_reversals",
    metadata,
    Column("session_id", String(128), primary_key=True),  # the deflected session
    Column("visitor_id", String(128), nullable=False),
    Column("day", Integer, nullable=False),  # UTC day the deflected session started on
    Column("ticket_session_id", String(128), nullable=False),
    Column("ticket_ts", BigInteger, nullable=False),
    Column("reason", String(16), nullable=False),  # gap (same cluster) or article (same cited)
    Column("topic", Text, nullable=False),  # the cluster id or the article id
    Index("ix_deflection_reversals_visitor", "visitor_id"),
    Index("ix_deflection_reversals_day", "day"),
)

# -- the helpdesk: what happened to tickets after the handoff ------------------------------

helpdesk_events = Table(
    "helpdesk_events",
    metadata,
    Column("source", String(32), primary_key=True),  # the `helpdesk_secrets` name it came from
    Column("event_id", String(128), primary_key=True),  # the helpdesk's id: a retry is a no-op
    Column("ticket_id", String(128), nullable=False),  # the helpdesk's ticket id
    Column("type", String(16), nullable=False),  # created, status_changed, agent_replied, ...
    Column("at", BigInteger, nullable=False),  # when it happened in the helpdesk
    Column("received_at", BigInteger, nullable=False),
    Index("ix_helpdesk_events_ticket", "source", "ticket_id"),
)

helpdesk_tickets = Table(
    "helpdesk_tickets",
    metadata,
    Column("source", String(32), primary_key=True),
    Column("ticket_id", String(128), primary_key=True),  # the helpdesk's ticket id
    Column("frontdesk_ticket_id", String(64)),  # the external id Frontdesk sent, if it did
    Column("session_id", String(128)),  # the Frontdesk ticket's session and visitor
    Column("visitor_id", String(128)),
    Column("page", Text),  # the Frontdesk ticket's page (route, or path)
    Column("status", String(16), nullable=False),  # new, open, pending, on_hold, solved, closed
    Column("status_at", BigInteger, nullable=False),  # the newest status change applied
    Column("category", String(64), nullable=False),
    Column("priority", String(16), nullable=False),  # critical, high, medium, low
    Column("assignee", String(200)),
    Column("created_at", BigInteger, nullable=False),
    Column("created_day", Integer, nullable=False),
    Column("first_response_at", BigInteger),  # the first public agent reply
    Column("first_response_ms", BigInteger),
    Column("solved_at", BigInteger),  # None while open (a reopened ticket is open again)
    Column("solved_day", Integer),
    Column("resolution_ms", BigInteger),
    Column("reopened", Integer, nullable=False, default=0),
    Column("reply", Text),  # the newest public agent reply: redacted, plain text
    Column("updated_at", BigInteger, nullable=False),
    # covering: the queue's times read every column here for a range of days
    Index(
        "ix_helpdesk_tickets_created",
        "created_day",
        "page",
        "priority",
        "category",
        "created_at",
        "first_response_ms",
        "resolution_ms",
    ),
    Index("ix_helpdesk_tickets_solved", "solved_day", "page"),
    Index("ix_helpdesk_tickets_visitor", "visitor_id"),
    Index("ix_helpdesk_tickets_frontdesk", "frontdesk_ticket_id"),
)

gap_resolutions = Table(
    "gap_resolutions",
    metadata,
    Column("source", String(32), primary_key=True),
    Column("ticket_id", String(128), primary_key=True),  # one per solved helpdesk ticket
    Column("cluster_id", Integer, nullable=False),
    Column("visitor_id", String(128)),
    Column("reply", Text, nullable=False),  # the agent's public reply: redacted, plain text
    Column("solved_at", BigInteger, nullable=False),
    Column("state", String(12), nullable=False),  # pending, accepted, rejected, expired
    Column("attached_at", BigInteger, nullable=False),
    Column("reviewed_at", BigInteger),
    Index("ix_gap_resolutions_cluster", "cluster_id", "state"),
    Index("ix_gap_resolutions_visitor", "visitor_id"),
)
