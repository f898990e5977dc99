"""``/auth/admin/oauth-clients``: the apps that sign their users in with baas, for admins
(the console, scripts); ``baas oauth-clients`` does the same from the command line.

A confidential client's secret is in the answer to the ``POST`` that registered it and
never again (only its digest is stored, see :mod:`auth.oauth_clients`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from auth.errors import InvalidRequestError, ItemNotFoundError
from baas.auth_routes.http import acting_admin, bool_field, read_body

if TYPE_CHECKING:
    from baas.auth_wiring import AuthServices

__all__ = ["client_routes"]

_NO_STORE = {"Cache-Control": "no-store"}


def client_routes(auth: AuthServices) -> list[BaseRoute]:
    def record(actor: str | None, action: str, client_id: str) -> None:
        auth.events.record(
            "admin_action", actor_id=actor, action=action, client=client_id, via="api"
        )

    async def list_clients(request: Request) -> Response:
        acting_admin(request, auth)
        clients = await auth.provider.clients.list()
        return JSONResponse(
            {"clients": [client.public_view() for client in clients]}, headers=_NO_STORE
        )

    async def create(request: Request) -> Response:
        actor = acting_admin(request, auth)
        body = await read_body(request)
        uris, logout_uris = body.get("redirect_uris"), body.get("post_logout_redirect_uris", [])
        if not isinstance(uris, list) or not isinstance(logout_uris, list):
            raise InvalidRequestError("redirect_uris and post_logout_redirect_uris are lists.")
        registered = await auth.provider.clients.create(
            name=body.get("name"),
            redirect_uris=uris,
            post_logout_redirect_uris=logout_uris,
            public=bool_field(body, "public"),
        )
        record(actor, "create_oauth_client", registered.client.client_id)
        answer = registered.client.public_view()
        if registered.secret is not None:
            answer["client_secret"] = registered.secret
        return JSONResponse(answer, status_code=201, headers=_NO_STORE)

    async def delete(request: Request) -> Response:
        actor = acting_admin(request, auth)
        client_id = request.path_params["client_id"]
        if not await auth.provider.clients.delete(client_id):
            raise ItemNotFoundError("No OAuth client with this id.")
        record(actor, "delete_oauth_client", client_id)
        return Response(status_code=204)

    return [
        Route("/auth/admin/oauth-clients", list_clients, methods=["GET"]),
        Route("/auth/admin/oauth-clients", create, methods=["POST"]),
        Route("/auth/admin/oauth-clients/{client_id}", delete, methods=["DELETE"]),
    ]
