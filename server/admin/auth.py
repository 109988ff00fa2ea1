"""Who may use the admin side: a bearer token for `/api/v1/admin`, a logged-in dashboard
user (from the session) for `/admin`, and the admin role for actions."""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from server.admin.users import User, UserStore


def bearer_token_guard(token: str) -> Guard:
    """A guard that lets through `Authorization: Bearer <token>` only (403 without a token)."""
    expected = f"Bearer {token}".encode()

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if not token:
            raise PermissionDeniedException(
                detail="the admin API is closed: set FRONTDESK_ADMIN_TOKEN to open it"
            )
        given = connection.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            raise NotAuthorizedException(
                detail="send `Authorization: Bearer <FRONTDESK_ADMIN_TOKEN>`"
            )

    return guard


def current_user(request: Request[Any, Any, Any], users: UserStore) -> User | None:
    """The dashboard user of the request's session, if one logged in."""
    user_id = request.session.get("user_id") if request.session else None
    if not isinstance(user_id, int):
        return None
    return users.get(user_id)


def require_admin(request: Request[Any, Any, Any], users: UserStore) -> User:
    user = current_user(request, users)
    if user is None:
        raise HTTPException(status_code=401, detail="log in first")
    if user.role != "admin":
        raise HTTPException(status_code=403, detail="viewers cannot change anything")
    return user
