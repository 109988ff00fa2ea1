"""`/admin`: the support lead's dashboard; login, sessions, CSRF, roles and its pages.

Every page takes the filters `start`, `end` (UTC days) and `page` (a page pattern). A
viewer reads everything; only an admin may start the actions (rebuild the statistics,
send the weekly report now).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router

from server import figures
from server.figures import parse_scope, parse_week
from server.insights import Scope, day_number
from server.report import send_report, week_name, weekly_report
from server.statistics_job import StatisticsJob
from server.users import User, UserStore

STATIC = Path(__file__).with_name("static") / "admin"
LOGIN = "/admin/login"
NAV = (
    ("/admin/", "Overview"),
    ("/admin/content", "Pages & articles"),
    ("/admin/gaps", "KB gaps"),
    ("/admin/report", "Weekly report"),
)

Start = Annotated[date | None, QueryParameter()]
End = Annotated[date | None, QueryParameter()]
Page = Annotated[str | None, QueryParameter(max_length=512)]


class LoginForm(msgspec.Struct):
    email: Annotated[str, msgspec.Meta(max_length=320)]
    password: Annotated[str, msgspec.Meta(max_length=1024)]


def current_user(request: Request[Any, Any, State]) -> User | None:
    user_id = request.session.get("user_id") if request.session else None
    if not isinstance(user_id, int):
        return None
    store: UserStore = request.app.state.users
    return store.get(user_id)


def _page(
    request: Request[Any, Any, State],
    template: str,
    title: str,
    build: Any,
    start: date | None,
    end: date | None,
    page: str | None,
    **extra: Any,
) -> Response[Any]:
    user = current_user(request)
    if user is None:
        return Redirect(LOGIN)
    state = request.app.state
    error = None
    try:
        scope = parse_scope(state, start, end, page)
    except HTTPException as exc:  # show the form again with what was wrong
        error = exc.detail
        scope = parse_scope(state, None, None, None)
    context = {
        "title": title,
        "user": user,
        "nav": NAV,
        "here": request.url.path,
        "filter_error": error,
        "scope": scope,
        "query": request.url.query,
        **build(state, scope),
        **extra,
    }
    return Template(template, context=context)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _overview(state: State, scope: Scope) -> dict[str, Any]:
    view = figures.overview_view(state, scope)
    summary = view["overview"]
    daily_rows = [
        (
            p.start,
            p.tickets,
            p.deflected_confirmed,
            p.deflected_implied,
            _percent(p.deflection_rate),
        )
        for p in summary.daily
    ]
    weekly_rows = [
        (
            p.start,
            p.tickets,
            p.deflected_confirmed + p.deflected_implied,
            p.sessions,
            _percent(p.deflection_rate),
            _percent(p.resolution_rate),
        )
        for p in summary.weekly
    ]
    return {
        **view,
        "charts": figures.overview_charts(view),
        "daily_rows": daily_rows,
        "weekly_rows": weekly_rows,
        "backlog_rows": [
            (
                day,
                f"{view['savings'].backlog_with[day - 1]:.0f}",
                f"{view['savings'].backlog_without[day - 1]:.0f}",
            )
            for day in (7, 14, 21, 28)
        ],
    }


class DashboardController(Controller):
    path = "/admin"
    include_in_schema = False

    @get("/login", sync_to_thread=True)
    def login_page(self, state: State) -> Template:
        store: UserStore = state.users
        return Template(
            "admin/login.html",
            context={"title": "Log in", "user": None, "no_users": not store.any()},
        )

    @post("/login", sync_to_thread=True, status_code=303)
    def login(
        self,
        request: Request[Any, Any, State],
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        store: UserStore = request.app.state.users
        user = store.authenticate(data.email, data.password)
        if user is None:
            return Template(
                "admin/login.html",
                context={
                    "title": "Log in",
                    "user": None,
                    "error": "Wrong email or password.",
                    "email": data.email,
                },
                status_code=401,
            )
        request.clear_session()
        request.set_session({"user_id": user.id})
        return Redirect("/admin/", status_code=303)

    @post("/logout", status_code=303, sync_to_thread=False)
    def logout(self, request: Request[Any, Any, State]) -> Redirect:
        request.clear_session()
        return Redirect(LOGIN, status_code=303)

    @get("/", sync_to_thread=True)
    def home(
        self, request: Request[Any, Any, State], start: Start, end: End, page: Page
    ) -> Response[Any]:
        return _page(request, "admin/index.html", "Overview", _overview, start, end, page)

    @get("/content", sync_to_thread=True)
    def content(
        self, request: Request[Any, Any, State], start: Start, end: End, page: Page
    ) -> Response[Any]:
        return _page(
            request,
            "admin/content.html",
            "Pages & articles",
            figures.content_view,
            start,
            end,
            page,
        )

    @get("/gaps", sync_to_thread=True)
    def gaps(
        self, request: Request[Any, Any, State], start: Start, end: End, page: Page
    ) -> Response[Any]:
        return _page(request, "admin/gaps.html", "KB gaps", figures.gaps_view, start, end, page)

    @get("/report", sync_to_thread=True)
    def report(
        self,
        request: Request[Any, Any, State],
        week: Annotated[str | None, QueryParameter(max_length=32)] = None,
        sent: Annotated[str | None, QueryParameter(max_length=32)] = None,
        page: Page = None,
    ) -> Response[Any]:
        user = current_user(request)
        if user is None:
            return Redirect(LOGIN)
        monday = parse_week(week, datetime.now(UTC).date())
        error, pages = None, None
        try:
            pages = parse_scope(request.app.state, None, None, page).pages
        except HTTPException as exc:
            error, page = exc.detail, None
        notifier = request.app.state.statistics.reports.notifier
        return Template(
            "admin/report.html",
            context={
                "title": "Weekly report",
                "user": user,
                "nav": NAV,
                "here": request.url.path,
                "week": week_name(monday),
                "previous": (monday - timedelta(days=7)).isoformat(),
                "next": (monday + timedelta(days=7)).isoformat(),
                "markdown": weekly_report(request.app.state.engine, monday, pages),
                "page": page,
                "filter_error": error,
                "can_send": notifier.configured,
                "sent": sent,
            },
        )

    @get("/report.md", sync_to_thread=True)
    def report_download(
        self,
        request: Request[Any, Any, State],
        week: Annotated[str | None, QueryParameter(max_length=32)] = None,
        page: Page = None,
    ) -> Response[Any]:
        if current_user(request) is None:
            return Redirect(LOGIN)
        monday = parse_week(week, datetime.now(UTC).date())
        pages = parse_scope(request.app.state, None, None, page).pages
        return Response(
            weekly_report(request.app.state.engine, monday, pages),
            media_type="text/markdown; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="frontdesk-{week_name(monday)}.md"'
            },
        )

    @post("/report/send", status_code=303, sync_to_thread=True)
    def report_send(
        self,
        request: Request[Any, Any, State],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        _require_admin(request)
        monday = parse_week(data.get("week"), datetime.now(UTC).date())
        name = week_name(monday)
        today = day_number(datetime.now(UTC).date())
        notifier = request.app.state.statistics.reports.notifier
        send_report(request.app.state.engine, notifier, monday, f"report:{name}:manual:{today}")
        return Redirect(f"/admin/report?week={name}&sent={name}", status_code=303)

    @post("/rebuild", status_code=303)
    async def rebuild(self, request: Request[Any, Any, State]) -> Redirect:
        _require_admin(request)
        job: StatisticsJob = request.app.state.statistics
        await anyio.to_thread.run_sync(job.rebuild)
        return Redirect("/admin/", status_code=303)


def _require_admin(request: Request[Any, Any, State]) -> User:
    user = current_user(request)
    if user is None:
        raise HTTPException(status_code=401, detail="log in first")
    if user.role != "admin":
        raise HTTPException(status_code=403, detail="viewers cannot change anything")
    return user


def dashboard_router() -> Router:
    static = create_static_files_router(
        path="/static", directories=[STATIC], include_in_schema=False
    )
    return Router(path="/admin", route_handlers=[static], include_in_schema=False)
