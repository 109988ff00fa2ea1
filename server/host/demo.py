"""`/demo/`: a small fake SaaS product (Tasklane) that embeds the widget like a customer would.

It is deliberately unfriendly: a strict Content-Security-Policy and hostile global CSS, so
that the widget's isolation is shown, and tested, on every page. The pages tell the widget
their route (`/settings/billing/plan`, `/projects/:id/board`, …) with `Frontdesk('page', …)`;
the projects section is a single-page app with client-side routing.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Annotated, Any

from litestar import Request, Router, get
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter
from litestar.response import Template
from litestar.static_files import create_static_files_router

# The first line of the embed snippet, byte for byte as in the README.
SNIPPET_STUB = (
    "window.Frontdesk=window.Frontdesk||function(){(Frontdesk.q=Frontdesk.q||[]).push(arguments)}"
)
STUB_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SNIPPET_STUB.encode()).digest()).decode()
CSP = (
    "default-src 'self'; "
    f"script-src 'self' '{STUB_HASH}'; "
    "style-src 'self'; "
    "img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
STATIC = Path(__file__).resolve().parent.parent / "static" / "demo"

# path under /demo/ → (template, route the page reports, page title)
PAGES: dict[str, tuple[str, str, str]] = {
    "": ("dashboard.html", "/dashboard", "Dashboard"),
    "settings/billing": ("billing.html", "/settings/billing/plan", "Billing"),
    "onboarding": ("onboarding.html", "/onboarding", "Get started"),
    "settings/integrations": ("integrations.html", "/settings/integrations", "Integrations"),
    "support": ("support.html", "/support", "Contact support"),
}
SPA_PREFIX = "projects"  # /demo/projects/** is one page; its script routes on the client


def _page(request: Request[Any, Any, Any], path: str) -> Template:
    if path == SPA_PREFIX or path.startswith(SPA_PREFIX + "/"):
        template, route, title = "projects.html", "/projects", "Projects"
    elif path in PAGES:
        template, route, title = PAGES[path]
    else:
        raise NotFoundException(detail=f"the demo has no page /demo/{path}")
    origin = f"{request.url.scheme}://{request.url.netloc}"
    return Template(
        template_name=f"demo/{template}",
        context={
            "stub": SNIPPET_STUB,
            "widget_src": f"{origin}/widget.js",
            "route": route,
            "title": title,
            "path": path,
        },
        headers={
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",
            "Cache-Control": "no-store",
        },
        media_type="text/html",
    )


@get("/", include_in_schema=False, sync_to_thread=False)
def demo_home(request: Request[Any, Any, Any]) -> Template:
    return _page(request, "")


@get("/{path:path}", include_in_schema=False, sync_to_thread=False)
def demo_page(
    request: Request[Any, Any, Any],
    path: Annotated[Path, PathParameter(description="A page of the demo.")],
) -> Template:
    return _page(request, str(path).strip("/"))


def demo_router() -> Router:
    static = create_static_files_router(
        path="/static", directories=[STATIC], include_in_schema=False, cache_control=None
    )
    return Router(path="/demo", route_handlers=[demo_home, static, demo_page])
