"""The headers of the admin side: a strict set on every dashboard response (`/admin`), nothing
cached and nothing sniffed on `/api/v1/admin`, and no CORS on either: the app's CORS is
for the widget's public API, and the admin side is never called from another origin.

A `before_send` hook, so that it sees every response, errors and CORS preflights included.
"""

from __future__ import annotations

import re

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

ADMIN_PATHS = re.compile(r"^/(admin|api/v1/admin)(/|$)")
DASHBOARD = re.compile(r"^/admin(/|$)")
# the dashboard runs no script, loads its stylesheet and nothing else, and no page frames it
DASHBOARD_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
ALWAYS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
DASHBOARD_HEADERS = {
    **ALWAYS,
    "Content-Security-Policy": DASHBOARD_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def admin_headers(message: Message, scope: Scope) -> None:
    """`before_send` hook: the admin side's headers, and its CORS headers removed."""
    if message["type"] != "http.response.start" or not ADMIN_PATHS.match(scope["path"]):
        return
    headers = MutableScopeHeaders.from_message(message)
    for name in [n for n in headers if n.lower().startswith("access-control-")]:
        del headers[name]
    wanted = DASHBOARD_HEADERS if DASHBOARD.match(scope["path"]) else ALWAYS
    for name, value in wanted.items():
        headers[name] = value
