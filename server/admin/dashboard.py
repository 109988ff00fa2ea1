"""`/admin`: the support lead's dashboard; login, sessions, CSRF, roles and its pages.

A login is refused (429, with Retry-After) beyond the attempts per address, and while the
account's backoff after failed logins runs (`server.admin.logins`).

Every page takes the filters `start`, `end` (UTC days) and `page` (a page pattern). A
viewer reads everything; only an admin may start the actions (rebuild the statistics,
send the weekly report now).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response, Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotFoundException, TooManyRequestsException
from litestar.params import Body, PathParameter, QueryParameter
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router

from server.admin.auth import current_user, require_admin
from server.admin.logins import FailedLogins, account_of
from server.admin.users import UserStore
from server.admin.views import Views, overview_charts, parse_week, queue_charts, review_draft
from server.insights.gap_summary import GapCluster, draft_file, one_cluster
from server.insights.job import StatisticsJob
from server.insights.report import send_report, weekly_report
from server.insights.scope import Scope
from server.platform.admission import Admission
from server.platform.days import day_number, today, week_name
from server.platform.validation import invalid

STATIC = Path(__file__).resolve().parent.parent / "static" / "admin"
LOGIN = "/admin/login"
NAV = (
    ("/admin/", "Overview"),
    ("/admin/content", "Pages & articles"),
    ("/admin/gaps", "KB gaps"),
    ("/admin/queue", "Queue"),
    ("/admin/report", "Weekly report"),
)

Start = Annotated[date | None, QueryParameter()]
End = Annotated[date | None, QueryParameter()]
Page = Annotated[str | None, QueryParameter(max_length=512)]

ClusterId = Annotated[int, PathParameter(ge=1, le=2_147_483_647, description="A gap cluster's id.")]


class LoginForm(msgspec.Struct):
    email: Annotated[str, msgspec.Meta(max_length=320)]
    password: Annotated[str, msgspec.Meta(max_length=1024)]


@dataclass(frozen=True)
class Screen:
    """A dashboard page being asked for: who asks, and the filters they set."""

    request: Request[Any, Any, Any]
    users: UserStore
    views: Views
    filters: tuple[date | None, date | None, str | None]

    def render(
        self, template: str, title: str, build: Callable[[Scope], dict[str, Any]]
    ) -> Response[Any]:
        """The page with the figures `build` makes for the filters; to the login without a
        user; with the filter form again and what was wrong when a filter is bad."""
        user = current_user(self.request, self.users)
        if user is None:
            return Redirect(LOGIN)
        error = None
        try:
            scope = self.views.scope(*self.filters)
        except HTTPException as exc:  # show the form again with what was wrong
            error = exc.detail
            scope = self.views.scope(None, None, None)
        context = {
            "title": title,
            "user": user,
            "nav": NAV,
            "here": self.request.url.path,
            "filter_error": error,
            "scope": scope,
            "query": self.request.url.query,
            **build(scope),
        }
        return Template(template, context=context)


def screen(
    request: Request[Any, Any, Any],
    users: NamedDependency[UserStore],
    views: NamedDependency[Views],
    start: Start,
    end: End,
    page: Page,
) -> Screen:
    return Screen(request, users, views, (start, end, page))


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _overview(views: NamedDependency[Views], scope: Scope) -> dict[str, Any]:
    view = views.overview(scope)
    summary = view["overview"]
    daily_rows = [
        (
            p.start,
            p.tickets,
            p.deflected_confirmed,
            p.deflected_implied,
            p.deflected_form,
            _percent(p.deflection_rate),
        )
        for p in summary.daily
    ]
    weekly_rows = [
        (
            p.start,
            p.tickets,
            p.deflected_confirmed + p.deflected_implied + p.deflected_form,
            p.sessions,
            _percent(p.deflection_rate),
            _percent(p.durable_rate),
            _percent(p.resolution_rate),
        )
        for p in summary.weekly
    ]
    return {
        **view,
        "durable_days": views.settings.durable_days,
        "charts": overview_charts(view),
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


def _queue(views: Views, scope: Scope) -> dict[str, Any]:
    view = views.queue(scope)
    figures = view["queue"]
    return {
        **view,
        "charts": queue_charts(figures),
        "day_rows": [(d.day, d.created, d.resolved, d.open) for d in figures.days],
    }


def _markdown_file(cluster: GapCluster) -> Response[str]:
    name = draft_file(cluster).rsplit("/", 1)[-1]
    return Response(
        cluster.draft,
        status_code=200,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _login_refused(email: str, detail: str, headers: dict[str, str]) -> Template:
    """The login form again, with why and when to try again (429)."""
    return Template(
        "admin/login.html",
        context={"title": "Log in", "user": None, "error": detail, "email": email},
        status_code=429,
        headers=headers,
    )


class DashboardController(Controller):
    path = "/admin"
    include_in_schema = False
    dependencies = {"screen": Provide(screen, sync_to_thread=False)}  # noqa: RUF012

    @get("/login", sync_to_thread=True)
    def login_page(self, users: NamedDependency[UserStore]) -> Template:
        return Template(
            "admin/login.html",
            context={"title": "Log in", "user": None, "no_users": not users.any()},
        )

    @post("/login", status_code=303)
    async def login(
        self,
        request: Request[Any, Any, Any],
        users: NamedDependency[UserStore],
        admission: NamedDependency[Admission],
        failed_logins: NamedDependency[FailedLogins],
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        try:
            await admission.admit_login(request.client.host if request.client else None)
        except TooManyRequestsException as exc:
            return _login_refused(data.email, str(exc.detail), exc.headers or {})
        account = account_of(data.email)
        wait = await anyio.to_thread.run_sync(
            failed_logins.wait_seconds, account, int(time.time() * 1000)
        )
        if wait:
            detail = f"Too many failed logins for this account: try again in {wait} s."
            return _login_refused(data.email, detail, {"Retry-After": str(wait)})
        user = await anyio.to_thread.run_sync(users.authenticate, data.email, data.password)
        if user is None:
            await anyio.to_thread.run_sync(failed_logins.record, account, int(time.time() * 1000))
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
        await anyio.to_thread.run_sync(failed_logins.clear, account)
        request.clear_session()
        request.set_session({"user_id": user.id})
        return Redirect("/admin/", status_code=303)

    @post("/logout", status_code=303, sync_to_thread=False)
    def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return Redirect(LOGIN, status_code=303)

    @get("/", sync_to_thread=True)
    def home(self, screen: NamedDependency[Screen]) -> Response[Any]:
        return screen.render("admin/index.html", "Overview", partial(_overview, screen.views))

    @get("/content", sync_to_thread=True)
    def content(self, screen: NamedDependency[Screen]) -> Response[Any]:
        return screen.render("admin/content.html", "Pages & articles", screen.views.content)

    @get("/gaps", sync_to_thread=True)
    def gaps(self, screen: NamedDependency[Screen]) -> Response[Any]:
        return screen.render("admin/gaps.html", "KB gaps", screen.views.gaps)

    @get("/gaps/{cluster_id:int}/draft.md", sync_to_thread=True)
    def gap_draft(
        self,
        request: Request[Any, Any, Any],
        users: NamedDependency[UserStore],
        views: NamedDependency[Views],
        cluster_id: ClusterId,
    ) -> Response[Any]:
        """The cluster's draft article as a `kb_articles/` file, without reviewing it."""
        if current_user(request, users) is None:
            return Redirect(LOGIN)
        cluster = one_cluster(views.engine, cluster_id, day_number(today()))
        if cluster is None:
            raise NotFoundException(detail=f"no gap cluster {cluster_id} with questions this year")
        return _markdown_file(cluster)

    @post("/gaps/{cluster_id:int}/review", status_code=303, sync_to_thread=True)
    def gap_review(
        self,
        request: Request[Any, Any, Any],
        users: NamedDependency[UserStore],
        views: NamedDependency[Views],
        statistics: NamedDependency[StatisticsJob],
        cluster_id: ClusterId,
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        """Accept (the draft comes back as a file to save in `kb_articles/`) or reject the
        cluster's suggestion from agents' replies; admins only."""
        require_admin(request, users)
        decision = data.get("decision")
        if decision == "accept":
            cluster, _ = review_draft(views.engine, statistics.resolutions, cluster_id, "accept")
            return _markdown_file(cluster)
        if decision != "reject":
            raise invalid("decision", "must be accept or reject")
        review_draft(views.engine, statistics.resolutions, cluster_id, "reject")
        return Redirect(f"/admin/gaps?rejected={cluster_id}", status_code=303)

    @get("/queue", sync_to_thread=True)
    def queue(self, screen: NamedDependency[Screen]) -> Response[Any]:
        return screen.render("admin/queue.html", "Queue", partial(_queue, screen.views))

    @get("/report", sync_to_thread=True)
    def report(
        self,
        request: Request[Any, Any, Any],
        users: NamedDependency[UserStore],
        views: NamedDependency[Views],
        statistics: NamedDependency[StatisticsJob],
        week: Annotated[str | None, QueryParameter(max_length=32)] = None,
        sent: Annotated[str | None, QueryParameter(max_length=32)] = None,
        page: Page = None,
    ) -> Response[Any]:
        user = current_user(request, users)
        if user is None:
            return Redirect(LOGIN)
        monday = parse_week(week, today())
        error, pages = None, None
        try:
            pages = views.scope(None, None, page).pages
        except HTTPException as exc:
            error, page = exc.detail, None
        notifier = statistics.reports.notifier
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
                "markdown": weekly_report(views.engine, monday, pages, views.sla),
                "page": page,
                "filter_error": error,
                "can_send": notifier.configured,
                "sent": sent,
            },
        )

    @get("/report.md", sync_to_thread=True)
    def report_download(
        self,
        request: Request[Any, Any, Any],
        users: NamedDependency[UserStore],
        views: NamedDependency[Views],
        week: Annotated[str | None, QueryParameter(max_length=32)] = None,
        page: Page = None,
    ) -> Response[Any]:
        if current_user(request, users) is None:
            return Redirect(LOGIN)
        monday = parse_week(week, today())
        pages = views.scope(None, None, page).pages
        return Response(
            weekly_report(views.engine, monday, pages, views.sla),
            media_type="text/markdown; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="frontdesk-{week_name(monday)}.md"'
            },
        )

    @post("/report/send", status_code=303, sync_to_thread=True)
    def report_send(
        self,
        request: Request[Any, Any, Any],
        users: NamedDependency[UserStore],
        statistics: NamedDependency[StatisticsJob],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        require_admin(request, users)
        monday = parse_week(data.get("week"), today())
        name = week_name(monday)
        key = f"report:{name}:manual:{day_number(today())}"
        reports = statistics.reports
        send_report(statistics.engine, reports.notifier, monday, key, reports.sla)
        return Redirect(f"/admin/report?week={name}&sent={name}", status_code=303)

    @post("/rebuild", status_code=303)
    async def rebuild(
        self,
        request: Request[Any, Any, Any],
        users: NamedDependency[UserStore],
        statistics: NamedDependency[StatisticsJob],
    ) -> Redirect:
        require_admin(request, users)
        await anyio.to_thread.run_sync(statistics.rebuild)
        return Redirect("/admin/", status_code=303)


def dashboard_router() -> Router:
    static = create_static_files_router(
        path="/static", directories=[STATIC], include_in_schema=False
    )
    return Router(path="/admin", route_handlers=[static], include_in_schema=False)
