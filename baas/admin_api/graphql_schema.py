"""``GET /admin/graphql-schema``: the app's GraphQL schema for the console's GraphiQL.

Outside dev, ``/graphql`` refuses introspection to everyone (:mod:`baas.graphql.pipeline`),
so GraphiQL could not learn the schema there: no Docs panel, no autocompletion. This
route answers admins the standard introspection result, ``{"data": {"__schema": ...}}``,
built by the recipe the server's schema and ``baas schema export --format json`` share
(:mod:`baas.graphql.app_schema`), so it is the schema ``/graphql`` serves; GraphiQL takes
it as its ``schema`` and never sends the introspection query. Public introspection stays
off: only this admin route hands the schema out.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from baas.auth_routes.http import require_admin
from baas.graphql.app_schema import introspection_result

if TYPE_CHECKING:
    from baas.services import Services

__all__ = ["graphql_schema_routes"]


def graphql_schema_routes(services: Services) -> list[BaseRoute]:
    # Built at the first request, not at start-up (most processes never answer it),
    # and kept: a process's schema never changes while it runs.
    @functools.cache
    def body() -> bytes:
        return json.dumps(introspection_result(services.app), separators=(",", ":")).encode()

    async def graphql_schema(request: Request) -> Response:
        require_admin(request)
        return Response(
            body(), media_type="application/json", headers={"Cache-Control": "no-store"}
        )

    return [Route("/admin/graphql-schema", graphql_schema, methods=["GET"])]
