"""``/admin/access-keys``: the access keys of ``/dynamodb``, over HTTP for the console.

The same repository and rules as ``baas keys`` (:mod:`baas.keys_cli`): a key is
random, its secret is in the answer to the ``POST`` that created it and never again
(threat: a secret readable later by whoever gets an admin's token or a log), and a
revoked key stops working within a second on every API process. Signing keys rotate
at ``POST /auth/admin/signing-keys/rotate``; their public halves are at
``/.well-known/jwks.json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from auth.errors import InvalidRequestError, ItemNotFoundError
from baas.auth_routes.http import read_body, require_admin

if TYPE_CHECKING:
    from auth.access_keys import AccessKey, AccessKeyRepository
    from baas.auth_wiring import AuthServices

__all__ = ["key_routes"]

_NO_STORE = {"Cache-Control": "no-store"}


def key_routes(keys: AccessKeyRepository, auth: AuthServices) -> list[BaseRoute]:
    def record(actor: str | None, action: str) -> None:
        # As `baas keys` does from the command line: who made or revoked a key.
        auth.events.record("admin_action", actor_id=actor, action=action, via="api")

    async def list_keys(request: Request) -> Response:
        require_admin(request)
        listed = sorted(await keys.list(), key=lambda key: key.created_at, reverse=True)
        return JSONResponse({"keys": [_view(key) for key in listed]}, headers=_NO_STORE)

    async def create(request: Request) -> Response:
        actor = require_admin(request).user_id
        body = await read_body(request)
        description = body.get("description", "")
        if not isinstance(description, str):
            raise InvalidRequestError("description must be a string.")
        key = await keys.create(description=description)
        record(actor, "create_access_key")
        return JSONResponse(
            {**_view(key), "secret": key.secret}, status_code=201, headers=_NO_STORE
        )

    async def revoke(request: Request) -> Response:
        actor = require_admin(request).user_id
        if not await keys.revoke(request.path_params["key_id"]):
            raise ItemNotFoundError("No active access key with this id.")
        record(actor, "revoke_access_key")
        return Response(status_code=204)

    return [
        Route("/admin/access-keys", list_keys, methods=["GET"]),
        Route("/admin/access-keys", create, methods=["POST"]),
        Route("/admin/access-keys/{key_id}", revoke, methods=["DELETE"]),
    ]


def _view(key: AccessKey) -> dict[str, object]:
    """A key without its secret."""
    return {
        "key_id": key.key_id,
        "description": key.description,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
        "active": key.active,
    }
