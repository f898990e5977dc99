"""``/console``: the admin console, served by baas itself on the API's port.

The console is a small single-page app of plain HTML, CSS and JavaScript modules
(``static/``, no build step) that talks to the API like any client: ``/auth`` to sign
in, ``/auth/admin/*`` for users, ``/admin/*`` (:mod:`baas.admin_api`) for data, keys
and calls, GraphQL for starting and answering calls. It is on in dev, and in prod only
with ``BAAS_CONSOLE=true``; then ``/admin`` is on too. Only members of the ``admin``
group get anything from the API behind it (the page itself holds no data).

Signing in: the console's own page posts the email and password to ``/auth/signin``
with ``cookie: true``. The refresh token stays in the ``HttpOnly``, ``SameSite=Strict``
cookie (never readable by a script, never sent by another site); the short-lived access
token lives in the page's memory only, and a reload gets a new one from the cookie.
Every state-changing call is JSON with a bearer token, which a cross-site form cannot
send (threat: CSRF).

Routes:

- ``GET /console`` — the app (every page is a ``#/...`` route of it)
- ``GET /console/static/{file}`` — its modules and styles
- ``GET /console/vendor/{file}`` — GraphiQL's and React's bundles (from node_modules)
- ``GET /console/setup`` — whether an admin exists yet (the sign-in page tells how to
  create the first one; nothing else is said to a signed-out visitor)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from baas.console.assets import STATIC_DIR, VENDOR_FILES, AssetFolder, page_headers
from baas.http_errors import error_response

if TYPE_CHECKING:
    from baas.auth_wiring import AuthServices

__all__ = ["console_routes", "graphiql_page", "vendor_routes"]

_STATIC = AssetFolder.of_directory(STATIC_DIR)
_VENDOR = AssetFolder(VENDOR_FILES)


def console_routes(auth: AuthServices) -> list[BaseRoute]:
    """The console's pages and files (``/admin``'s API is mounted beside them)."""

    async def index(request: Request) -> Response:
        return _STATIC.response(request, "index.html") or _missing(request, "index.html")

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        return _STATIC.response(request, name) or _missing(request, name)

    async def setup(_request: Request) -> Response:
        return JSONResponse(
            {"admin_exists": await auth.admin.admin_exists()},
            headers={"Cache-Control": "no-store"},
        )

    async def to_console(_request: Request) -> Response:
        return RedirectResponse("/console", status_code=308)

    return [
        Route("/console", index, methods=["GET"]),
        Route("/console/", to_console, methods=["GET"]),
        Route("/console/static/{name:path}", static, methods=["GET"]),
        Route("/console/setup", setup, methods=["GET"]),
        *vendor_routes(),
    ]


def vendor_routes() -> list[BaseRoute]:
    """GraphiQL's files: for the console's GraphQL page and dev's ``GET /graphql``."""

    async def vendor(request: Request) -> Response:
        name = request.path_params["name"]
        found = _VENDOR.response(request, name)
        if found is not None:
            return found
        if name in VENDOR_FILES:
            # Installed by `make setup` from baas/console/package-lock.json.
            return error_response(
                request,
                404,
                "not_found",
                "GraphiQL's files are not installed here: run `make setup` "
                "(npm ci --prefix baas/console).",
            )
        return _missing(request, name)

    return [Route("/console/vendor/{name}", vendor, methods=["GET"])]


def graphiql_page(request: Request) -> Response:
    """The stand-alone GraphiQL of dev's ``GET /graphql`` (no sign-in: paste a token
    into its headers tab), with the console's local files."""
    return _STATIC.response(request, "graphiql.html") or _missing(request, "graphiql.html")


def _missing(request: Request, name: str) -> Response:
    response = error_response(request, 404, "not_found", f"No console file {name!r}.")
    response.headers.update(page_headers())
    return response
