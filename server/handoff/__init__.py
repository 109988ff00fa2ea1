"""Handoff tickets: what the user wrote plus the session's context, the rules that set
category and priority, the store, and delivery through the outbox to each destination."""
