"""The widget's events: their schema, the store that keeps each event once, redaction of
personal data, and what a visitor left behind (for erasure)."""
