"""``/auth/admin``: user administration, key rotation and the security events, for the
``admin`` group.

Every change is recorded as a security event with the acting admin (see
:mod:`auth.admin`); a signed-in caller outside the group is refused (403) and that
refusal is an ``access_denied`` event too (threat: probing for admin rights).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from auth.errors import InvalidRequestError
from auth.users import validate_groups
from baas.auth_routes.http import acting_admin, address_of, read_body

if TYPE_CHECKING:
    from baas.auth_wiring import AuthServices

__all__ = ["admin_routes"]

_NO_STORE = {"Cache-Control": "no-store"}


def admin_routes(auth: AuthServices) -> list[BaseRoute]:
    def admin(request: Request) -> str | None:
        """The acting admin's user id; 401/403 (recorded) for anyone else."""
        return acting_admin(request, auth)

    async def list_users(request: Request) -> Response:
        admin(request)
        users, cursor = await auth.admin.list_users(
            limit=_limit(request),
            cursor=request.query_params.get("cursor") or None,
            email_contains=request.query_params.get("email") or None,
        )
        return JSONResponse(
            {"users": [user.public_view() for user in users], "next_cursor": cursor},
            headers=_NO_STORE,
        )

    async def get_user(request: Request) -> Response:
        admin(request)
        user = await auth.admin.get_user(request.path_params["user_id"])
        view = {**user.public_view(), "mfa": await auth.mfa.status(user.user_id)}
        return JSONResponse(view, headers=_NO_STORE)

    async def disable(request: Request) -> Response:
        actor = admin(request)
        user_id = request.path_params["user_id"]
        user = await auth.admin.set_enabled(user_id, enabled=False, actor_id=actor)
        return JSONResponse(user.public_view())

    async def enable(request: Request) -> Response:
        actor = admin(request)
        user_id = request.path_params["user_id"]
        user = await auth.admin.set_enabled(user_id, enabled=True, actor_id=actor)
        return JSONResponse(user.public_view())

    async def set_groups(request: Request) -> Response:
        actor = admin(request)
        body = await read_body(request)
        groups = validate_groups(body.get("groups"))
        user = await auth.admin.set_groups(request.path_params["user_id"], groups, actor_id=actor)
        return JSONResponse(user.public_view())

    async def delete_user(request: Request) -> Response:
        actor = admin(request)
        await auth.admin.delete_user(request.path_params["user_id"], actor_id=actor)
        return Response(status_code=204)

    async def sessions(request: Request) -> Response:
        admin(request)
        records = await auth.admin.sessions(request.path_params["user_id"])
        return JSONResponse(
            {"sessions": [record.public_view() for record in records]},
            headers=_NO_STORE,
        )

    async def end_sessions(request: Request) -> Response:
        actor = admin(request)
        await auth.admin.end_sessions(request.path_params["user_id"], actor_id=actor)
        return Response(status_code=204)

    async def identities(request: Request) -> Response:
        admin(request)
        linked = await auth.admin.identities(request.path_params["user_id"])
        return JSONResponse(
            {"identities": [identity.public_view() for identity in linked]},
            headers=_NO_STORE,
        )

    async def unlink_identity(request: Request) -> Response:
        """One social identity of the user, never their last way in (400); their
        sessions stay (see :mod:`auth.sign_in_methods`)."""
        actor = admin(request)
        params = request.path_params
        await auth.admin.unlink_identity(params["user_id"], params["identity_id"], actor_id=actor)
        return Response(status_code=204)

    async def password_reset(request: Request) -> Response:
        actor = admin(request)
        await auth.admin.send_password_reset(
            request.path_params["user_id"], address=address_of(request, auth), actor_id=actor
        )
        return JSONResponse({"status": "sent"}, status_code=202)

    async def rotate_signing_key(request: Request) -> Response:
        actor = admin(request)
        key = await auth.keyring.rotate()
        auth.events.record(
            "admin_action", actor_id=actor, action="rotate_signing_key", kid=key.kid, via="api"
        )
        return JSONResponse({"kid": key.kid, "alg": key.alg}, status_code=201)

    async def list_events(request: Request) -> Response:
        """Newest first; ``?user=<id>`` and ``?type=<event type>`` filter, paged like
        the user list (``limit``, ``cursor`` from ``next_cursor``)."""
        admin(request)
        query = request.query_params
        events, cursor = await auth.events.store.page(
            user_id=query.get("user") or None,
            event_type=query.get("type") or None,
            limit=_limit(request),
            cursor=query.get("cursor") or None,
        )
        return JSONResponse(
            {"events": [event.public_view() for event in events], "next_cursor": cursor},
            headers=_NO_STORE,
        )

    return [
        Route("/auth/admin/users", list_users, methods=["GET"]),
        Route("/auth/admin/users/{user_id}", get_user, methods=["GET"]),
        Route("/auth/admin/users/{user_id}", delete_user, methods=["DELETE"]),
        Route("/auth/admin/users/{user_id}/disable", disable, methods=["POST"]),
        Route("/auth/admin/users/{user_id}/enable", enable, methods=["POST"]),
        Route("/auth/admin/users/{user_id}/groups", set_groups, methods=["PUT"]),
        Route("/auth/admin/users/{user_id}/sessions", sessions, methods=["GET"]),
        Route("/auth/admin/users/{user_id}/sessions", end_sessions, methods=["DELETE"]),
        Route("/auth/admin/users/{user_id}/identities", identities, methods=["GET"]),
        Route(
            "/auth/admin/users/{user_id}/identities/{identity_id}",
            unlink_identity,
            methods=["DELETE"],
        ),
        Route("/auth/admin/users/{user_id}/password-reset", password_reset, methods=["POST"]),
        Route("/auth/admin/signing-keys/rotate", rotate_signing_key, methods=["POST"]),
        Route("/auth/admin/events", list_events, methods=["GET"]),
    ]


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "50")
    if not raw.isdigit() or len(raw) > 3:
        raise InvalidRequestError("limit must be a whole number from 1 to 100.")
    return int(raw)
