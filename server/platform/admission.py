"""Who may call the public endpoints, and how often: origins per site and rate limits.

The widget names its site (`data-site`) in every request. With `FRONTDESK_SITE_ORIGINS`
set, only those sites are served, and a browser request (it carries `Origin`) only from
the site's origins. Rate limits count per visitor (the widget's visitor id, else the
caller's address), per address and per site, per endpoint, and dashboard logins per
address, in a moving window kept by the `limits` library: in memory, or in Redis so that
every server process shares one count.

The caller's address is the connection's peer; behind trusted proxies
(`FRONTDESK_TRUSTED_PROXIES`) it is the client their `X-Forwarded-For` names, as
uvicorn's proxy-headers middleware reads it. No forwarded header is trusted otherwise.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, cast

import redis.asyncio
from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from litestar import Request
from litestar.exceptions import PermissionDeniedException, TooManyRequestsException
from litestar.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

Endpoint = Literal["ask", "events", "tickets"]
DEFAULT_SITE = "default"


class Admission:
    def __init__(
        self,
        site_origins: Mapping[str, Sequence[str]],
        per_visitor: Mapping[Endpoint, str],
        per_site: Mapping[Endpoint, str],
        redis_url: str = "",
        per_address: Mapping[Endpoint, str] | None = None,
        logins_per_minute: int = 10,
    ) -> None:
        self.site_origins = {site: frozenset(origins) for site, origins in site_origins.items()}
        self.all_origins = frozenset(o for origins in site_origins.values() for o in origins)
        self._per_visitor = {name: parse_many(limit) for name, limit in per_visitor.items()}
        self._per_address = {name: parse_many(limit) for name, limit in (per_address or {}).items()}
        self._per_site = {name: parse_many(limit) for name, limit in per_site.items()}
        self._logins = parse_many(f"{logins_per_minute}/minute")
        self._redis_url = redis_url
        self._pool: redis.asyncio.ConnectionPool | None = None
        self._limiter: MovingWindowRateLimiter | None = None

    def _window(self) -> MovingWindowRateLimiter:
        # created on first use, inside the server's event loop (the Redis client binds to it)
        if self._limiter is None:
            if self._redis_url:
                self._pool = redis.asyncio.ConnectionPool.from_url(self._redis_url)
                ours: dict[str, Any] = {"connection_pool": self._pool}  # so close() can close it
                storage = storage_from_string(
                    f"async+{self._redis_url}",
                    implementation="redispy",
                    key_prefix="frontdesk-limits",
                    **ours,
                )
            else:
                storage = storage_from_string("async+memory://")
            assert isinstance(storage, Storage)  # async, as the "async+" scheme asks
            self._limiter = MovingWindowRateLimiter(storage)
        return self._limiter

    def check_origin(self, site: str | None, origin: str | None) -> None:
        """403 unless the site is configured and the browser's origin is one of its own."""
        if not self.site_origins:
            return
        site = site or DEFAULT_SITE
        allowed = self.site_origins.get(site)
        if allowed is None:
            raise PermissionDeniedException(detail=f"site {site!r} is not served here")
        if origin is not None and origin.lower() not in allowed:
            raise PermissionDeniedException(
                detail=f"origin {origin!r} is not allowed for site {site!r}"
            )

    def check_any_origin(self, origin: str | None) -> None:
        """403 when sites are configured and the browser's origin belongs to none of them."""
        if self.site_origins and origin is not None and origin.lower() not in self.all_origins:
            raise PermissionDeniedException(detail=f"origin {origin!r} is not allowed")

    async def admit(
        self,
        endpoint: Endpoint,
        site: str | None,
        visitor: str | None,
        address: str | None,
        origin: str | None,
    ) -> None:
        """Raise 403 or 429 (with Retry-After) when this request may not go on."""
        site = site or DEFAULT_SITE
        self.check_origin(site, origin)
        address = address or "unknown"
        who = f"visitor:{visitor}" if visitor else f"address:{address}"
        checks: list[tuple[RateLimitItem, tuple[str, ...], str]] = []
        for limit in self._per_visitor.get(endpoint, ()):
            checks.append((limit, (endpoint, "site", site, who), "this visitor"))
        for limit in self._per_address.get(endpoint, ()):
            checks.append((limit, (endpoint, "address", address), "this address"))
        for limit in self._per_site.get(endpoint, ()):
            checks.append((limit, (endpoint, "site", site), f"site {site!r}"))
        await self._hit(checks, endpoint)

    async def admit_login(self, address: str | None) -> None:
        """429 (with Retry-After) beyond the dashboard's login attempts per address."""
        key = ("login", "address", address or "unknown")
        await self._hit([(limit, key, "this address") for limit in self._logins], "login")

    async def _hit(
        self, checks: Sequence[tuple[RateLimitItem, tuple[str, ...], str]], endpoint: str
    ) -> None:
        if not checks:
            return
        limiter = self._window()
        for limit, key, whose in checks:
            if not await limiter.hit(limit, *key):
                raise await _too_many(limiter, limit, key, whose, endpoint)

    async def admit_request(
        self,
        request: Request[Any, Any, Any],
        endpoint: Endpoint,
        site: str | None,
        visitor: str | None,
    ) -> None:
        """`admit` with the caller's address and `Origin` taken from the request."""
        address = request.client.host if request.client else None
        await self.admit(endpoint, site, visitor, address, request.headers.get("origin"))

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()


async def _too_many(
    limiter: MovingWindowRateLimiter,
    limit: RateLimitItem,
    key: tuple[str, ...],
    whose: str,
    endpoint: str,
) -> TooManyRequestsException:
    stats = await limiter.get_window_stats(limit, *key)
    seconds = max(1, math.ceil(stats.reset_time - time.time()))
    return TooManyRequestsException(
        detail=f"{endpoint}: more than {limit} for {whose}; try again in {seconds} s",
        headers={"Retry-After": str(seconds)},
    )


def client_addresses(trusted_proxies: Sequence[str]) -> Callable[[ASGIApp], ASGIApp]:
    """Middleware: the client's address from the `X-Forwarded-For` of a trusted proxy (and
    nothing at all when none is trusted)."""

    def middleware(app: ASGIApp) -> ASGIApp:
        if not trusted_proxies:
            return app
        # uvicorn's middleware is typed with uvicorn's own ASGI types: the same protocol
        proxied: Any = ProxyHeadersMiddleware(cast(Any, app), trusted_hosts=list(trusted_proxies))
        return cast(ASGIApp, proxied)

    return middleware
