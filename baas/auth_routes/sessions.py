"""A user's own sessions: list them, end one, end all."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from auth.errors import ItemNotFoundError
from baas.auth_routes.http import clear_refresh_cookie, current_user

if TYPE_CHECKING:
    from baas.auth_wiring import AuthServices

__all__ = ["session_routes"]


def session_routes(auth: AuthServices) -> list[BaseRoute]:
    async def list_sessions(request: Request) -> Response:
        user = await current_user(request, auth)
        records = await auth.accounts.grants.sessions.sessions(user.user_id)
        return JSONResponse(
            {"sessions": [record.public_view() for record in records]},
            headers={"Cache-Control": "no-store"},
        )

    async def end_all(request: Request) -> Response:
        """Same as ``POST /auth/signout-all``: sessions end, access tokens die."""
        user = await current_user(request, auth)
        await auth.accounts.sign_out_everywhere(user)
        return clear_refresh_cookie(Response(status_code=204), auth)

    async def end_one(request: Request) -> Response:
        user = await current_user(request, auth)
        session_id = request.path_params["session_id"]
        if not await auth.accounts.grants.sessions.end_session(user.user_id, session_id):
            raise ItemNotFoundError("No such session.")
        return Response(status_code=204)

    return [
        Route("/auth/sessions", list_sessions, methods=["GET"]),
        Route("/auth/sessions", end_all, methods=["DELETE"]),
        Route("/auth/sessions/{session_id}", end_one, methods=["DELETE"]),
    ]
