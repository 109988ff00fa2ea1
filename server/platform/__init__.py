"""The serving plumbing every concern stands on: database, errors, logs, admission, metrics,
locks, delivery and day arithmetic. Nothing here knows about answers, events or tickets."""
