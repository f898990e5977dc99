"""The console's files: its own pages and scripts, and GraphiQL's, all served by baas.

Nothing a console page needs comes from the network at run time (an offline laptop,
a locked-down server room): the console's own HTML, CSS and JavaScript modules are
plain files in ``baas/console/static`` (no build step), and GraphiQL's bundle and
React's come from ``baas/console/node_modules``, installed from its lockfile by
``make setup``.

Every answer carries the console's Content-Security-Policy: scripts and styles from
this origin only (threat: an injected ``<script>`` in data the console displays, say a
user's item, running with the admin's token). ``style-src`` allows inline styles
because GraphiQL sets ``style`` attributes; scripts get no such allowance. Files are
revalidated on each load (``no-cache`` with an ETag): after an upgrade the console is
never a mix of old and new modules.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["CONSOLE_CSP", "STATIC_DIR", "VENDOR_FILES", "AssetFolder", "page_headers"]

_HERE = Path(__file__).resolve().parent
STATIC_DIR = _HERE / "static"
_NODE_MODULES = _HERE / "node_modules"

# The only vendor files served, by the name the pages use: a fixed map, so no path a
# client sends can reach anything else under node_modules.
VENDOR_FILES = {
    "graphiql.min.js": _NODE_MODULES / "graphiql" / "graphiql.min.js",
    "graphiql.min.css": _NODE_MODULES / "graphiql" / "graphiql.min.css",
    "react.production.min.js": _NODE_MODULES / "react" / "umd" / "react.production.min.js",
    "react-dom.production.min.js": (
        _NODE_MODULES / "react-dom" / "umd" / "react-dom.production.min.js"
    ),
}

CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


def page_headers() -> dict[str, str]:
    """Headers of every console answer (see the module docstring)."""
    return {"Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-cache"}


@dataclass(frozen=True)
class _File:
    body: bytes
    etag: str
    media_type: str


class AssetFolder:
    """Files by name, read once and kept in memory (the console is about 100 KB, and
    GraphiQL about 1.5 MB)."""

    def __init__(self, files: dict[str, Path]) -> None:
        self._paths = files
        self._loaded: dict[str, _File] = {}

    @classmethod
    def of_directory(cls, directory: Path) -> AssetFolder:
        """Every servable file below ``directory``, named by its relative path."""
        files = {
            path.relative_to(directory).as_posix(): path
            for path in sorted(directory.rglob("*"))
            if path.is_file() and path.suffix in _TYPES
        }
        return cls(files)

    def available(self, name: str) -> bool:
        return name in self._paths and self._paths[name].is_file()

    def response(self, request: Request, name: str) -> Response | None:
        """The file ``name`` (304 when the client has it), or None when there is none."""
        found = self._file(name)
        if found is None:
            return None
        headers = {**page_headers(), "ETag": found.etag}
        if request.headers.get("if-none-match") == found.etag:
            return Response(status_code=304, headers=headers)
        return Response(found.body, media_type=found.media_type, headers=headers)

    def _file(self, name: str) -> _File | None:
        cached = self._loaded.get(name)
        if cached is not None:
            return cached
        path = self._paths.get(name)
        if path is None:
            return None
        try:
            body = path.read_bytes()
        except OSError:
            return None
        media_type = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
        found = _File(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', media_type or "")
        self._loaded[name] = found
        return found
