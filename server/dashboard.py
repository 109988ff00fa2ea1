"""`/admin`: the support lead's dashboard; login, sessions, CSRF and a login rate limit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from sqlalchemy import func, select

from server.deflections import OUTCOMES
from server.tables import deflections
from server.users import User, UserStore

STATIC = Path(__file__).with_name("static") / "admin"
LOGIN = "/admin/login"


class LoginForm(msgspec.Struct):
    email: Annotated[str, msgspec.Meta(max_length=320)]
    password: Annotated[str, msgspec.Meta(max_length=1024)]


def current_user(request: Request[Any, Any, State]) -> User | None:
    user_id = request.session.get("user_id") if request.session else None
    if not isinstance(user_id, int):
        return None
    store: UserStore = request.app.state.users
    return store.get(user_id)


def deflection_figures(state: State) -> dict[str, Any]:
    with state.engine.connect() as db:
        rows = db.execute(
            select(deflections.c.outcome, func.count()).group_by(deflections.c.outcome)
        ).all()
    counts = dict.fromkeys(OUTCOMES, 0) | {outcome: int(n) for outcome, n in rows}
    deflected = counts["deflected_confirmed"] + counts["deflected_implied"]
    total = deflected + counts["ticket"]
    return {"counts": counts, "rate": deflected / total if total else None}


class DashboardController(Controller):
    path = "/admin"
    include_in_schema = False

    @get("/login", sync_to_thread=False)
    def login_page(self) -> Template:
        return Template("admin/login.html", context={"title": "Log in", "user": None})

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
    def home(self, request: Request[Any, Any, State], state: State) -> Response[Any]:
        user = current_user(request)
        if user is None:
            return Redirect(LOGIN)
        return Template(
            "admin/index.html",
            context={"title": "Dashboard", "user": user, **deflection_figures(state)},
        )


def dashboard_router() -> Router:
    static = create_static_files_router(
        path="/static", directories=[STATIC], include_in_schema=False
    )
    return Router(path="/admin", route_handlers=[static], include_in_schema=False)
