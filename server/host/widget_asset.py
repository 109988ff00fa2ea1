"""`/widget.js`: the built widget, gzipped once, cached by content hash, open to every origin.

The widget is two files (`npm run build` in `widget/`): `widget.js`, the first load, and
`panel.js`, which the first load fetches when the user is about to open help. `/widget.js`
(what the embed snippet loads) is revalidated every few minutes by its ETag;
`/widget/<hash>.js` serves either file under its content hash (the first 16 hex digits of its
SHA-256, as the build names the panel's file in the first load), never changes and is cached
for a year. A file is read again when a rebuild changes it.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ServiceUnavailableException
from litestar.params import PathParameter

WIDGET_FILE = Path(__file__).resolve().parents[2] / "widget" / "dist" / "widget.js"
SHORT_CACHE = "public, max-age=300"
LONG_CACHE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Built:
    mtime_ns: int
    raw: bytes
    gzipped: bytes
    digest: str


class BuiltFile:
    """One built file, read again when its modification time changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._built: Built | None = None
        self._lock = threading.Lock()

    def current(self) -> Built:
        try:
            mtime_ns = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            raise ServiceUnavailableException(
                detail=f"the widget is not built: {self.path} is missing "
                "(run `make install`, or `npm ci && npm run build` in widget/)"
            ) from None
        built = self._built
        if built is None or built.mtime_ns != mtime_ns:
            with self._lock:
                raw = self.path.read_bytes()
                built = Built(
                    mtime_ns,
                    raw,
                    gzip.compress(raw, compresslevel=9, mtime=0),
                    hashlib.sha256(raw).hexdigest()[:16],
                )
                self._built = built
        return built


class WidgetAsset:
    """The first load (`widget.js`) and the panel's file (`panel.js`) beside it."""

    def __init__(self, path: Path = WIDGET_FILE) -> None:
        self.first_load = BuiltFile(path)
        self.panel = BuiltFile(path.with_name("panel.js"))

    def current(self) -> Built:
        """The first load."""
        return self.first_load.current()

    def by_hash(self, name: str) -> Built | None:
        """The file whose content hash is `name` without `.js`, if either is."""
        for file in (self.first_load, self.panel):
            built = file.current()
            if name == f"{built.digest}.js":
                return built
        return None


def _respond(request: Request[Any, Any, Any], built: Built, cache: str) -> Response[bytes]:
    headers = {
        "Cache-Control": cache,
        "ETag": f'"{built.digest}"',
        "Vary": "Accept-Encoding",
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
        "X-Content-Type-Options": "nosniff",
    }
    media_type = "text/javascript"
    if request.headers.get("if-none-match") == f'"{built.digest}"':
        return Response(b"", status_code=304, headers=headers, media_type=media_type)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(built.gzipped, headers=headers, media_type=media_type)
    return Response(built.raw, headers=headers, media_type=media_type)


@get("/widget.js", include_in_schema=False, sync_to_thread=False)
def widget_js(
    request: Request[Any, Any, Any], widget: NamedDependency[WidgetAsset]
) -> Response[bytes]:
    return _respond(request, widget.current(), SHORT_CACHE)


@get("/widget/{name:str}", include_in_schema=False, sync_to_thread=False)
def widget_js_by_hash(
    name: Annotated[str, PathParameter(max_length=80)],
    request: Request[Any, Any, Any],
    widget: NamedDependency[WidgetAsset],
) -> Response[bytes]:
    built = widget.by_hash(name)
    if built is None:
        raise NotFoundException(detail=f"no widget build {name!r}; the current one is /widget.js")
    return _respond(request, built, LONG_CACHE)
