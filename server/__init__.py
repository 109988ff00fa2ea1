"""Frontdesk server: the HTTP API, the dashboard and the widget."""
