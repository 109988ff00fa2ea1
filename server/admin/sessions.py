"""Dashboard sessions, kept server side (a file per session in `<data dir>/sessions`).

Litestar's server-side sessions, with three changes:

- a session is stored only when it holds something: a request without a login (a health
  check, the login page, the demo) writes nothing;
- the id is never one the client chose: an id the store does not know is replaced, and a
  handler that cleared the session before filling it (the login) gets a new id, the old
  one deleted (no session fixation);
- whenever a session is made, the expired ones are deleted (and at start).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

STORE = "sessions"  # the app's store of this name keeps them


class DashboardSessionBackend(ServerSideSessionBackend):
    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        store = self.config.get_store_from_app(connection.scope["app"])
        headers = MutableScopeHeaders.from_message(message)
        cookie = dict(
            extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys())
        )
        given = connection.cookies.get(self.config.key)
        given = given if given and given != "null" else None
        if scope_session is Empty or not scope_session:
            if given is not None:  # logged out, or an id that holds nothing: forget it
                await self.delete(given, store=store)
                expired = Cookie(value="null", key=self.config.key, expires=0, **cookie)
                headers.add("Set-Cookie", expired.to_header(header=""))
            return
        cleared = connection.get_session_id() is None  # the handler started a new session
        keep = given is not None and not cleared and await store.exists(given)
        session_id = given if keep and given is not None else self.generate_session_id()
        if not keep:
            if given is not None:
                await self.delete(given, store=store)
            await delete_expired(store)
        await self.set(session_id, self.serialize_data(scope_session, connection.scope), store)
        issued = Cookie(value=session_id, key=self.config.key, **cookie)
        headers.add("Set-Cookie", issued.to_header(header=""))


@dataclass
class DashboardSessionConfig(ServerSideSessionConfig):
    _backend_class = DashboardSessionBackend
    store: str = field(default=STORE)


async def delete_expired(store: Store) -> None:
    if isinstance(store, FileStore):
        await store.delete_expired()
