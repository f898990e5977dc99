"""``/auth/admin``: user administration and key rotation, for the ``admin`` group."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from auth.errors import InvalidRequestError
from auth.users import validate_groups
from baas.auth_routes.http import read_body, require_admin

if TYPE_CHECKING:
    from baas.auth_wiring import AuthServices

__all__ = ["admin_routes"]


def admin_routes(auth: AuthServices) -> list[BaseRoute]:
    async def list_users(request: Request) -> Response:
        require_admin(request)
        raw_limit = request.query_params.get("limit", "50")
        if not raw_limit.isdigit():
            raise InvalidRequestError("limit must be a whole number from 1 to 100.")
        users, cursor = await auth.admin.list_users(
            limit=int(raw_limit), cursor=request.query_params.get("cursor") or None
        )
        return JSONResponse(
            {"users": [user.public_view() for user in users], "next_cursor": cursor},
            headers={"Cache-Control": "no-store"},
        )

    async def get_user(request: Request) -> Response:
        require_admin(request)
        user = await auth.admin.get_user(request.path_params["user_id"])
        return JSONResponse(user.public_view(), headers={"Cache-Control": "no-store"})

    async def disable(request: Request) -> Response:
        require_admin(request)
        user = await auth.admin.set_enabled(request.path_params["user_id"], enabled=False)
        return JSONResponse(user.public_view())

    async def enable(request: Request) -> Response:
        require_admin(request)
        user = await auth.admin.set_enabled(request.path_params["user_id"], enabled=True)
        return JSONResponse(user.public_view())

    async def set_groups(request: Request) -> Response:
        require_admin(request)
        body = await read_body(request)
        groups = validate_groups(body.get("groups"))
        user = await auth.admin.set_groups(request.path_params["user_id"], groups)
        return JSONResponse(user.public_view())

    async def delete_user(request: Request) -> Response:
        require_admin(request)
        await auth.admin.delete_user(request.path_params["user_id"])
        return Response(status_code=204)

    async def rotate_signing_key(request: Request) -> Response:
        require_admin(request)
        key = await auth.keyring.rotate()
        return JSONResponse({"kid": key.kid, "alg": key.alg}, status_code=201)

    return [
        Route("/auth/admin/users", list_users, methods=["GET"]),
        Route("/auth/admin/users/{user_id}", get_user, methods=["GET"]),
        Route("/auth/admin/users/{user_id}", delete_user, methods=["DELETE"]),
        Route("/auth/admin/users/{user_id}/disable", disable, methods=["POST"]),
        Route("/auth/admin/users/{user_id}/enable", enable, methods=["POST"]),
        Route("/auth/admin/users/{user_id}/groups", set_groups, methods=["PUT"]),
        Route("/auth/admin/signing-keys/rotate", rotate_signing_key, methods=["POST"]),
    ]
