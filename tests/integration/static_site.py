"""An app's static pages for the browser tests, served by the test itself on
``http://localhost:<port>`` (a secure context, and another origin than the API's)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path


@contextlib.contextmanager
def static_site(
    port: int, directory: Path, mounts: Mapping[str, Path] | None = None
) -> Iterator[str]:
    """Serve ``directory`` (and each ``mounts`` folder under its URL prefix, e.g.
    ``{"/client/": dist}``); yields the site's base URL."""
    extra = dict(mounts or {})

    class Site(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            for prefix, folder in extra.items():
                if path.startswith(prefix):
                    return str(folder / path.removeprefix(prefix).split("?")[0])
            return super().translate_path(path)

        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Site, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}"
    finally:
        server.shutdown()
        server.server_close()
