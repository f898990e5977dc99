"""``/admin``: the HTTP API the console needs beyond ``/auth/admin`` and GraphQL.

Every route answers members of the ``admin`` group only (401 without a token, 403 for
anyone else) and exists only where the console is on (dev, or ``BAAS_CONSOLE=true``):

- :mod:`.overview` — ``GET /admin/overview``: the app's declaration, request figures
- :mod:`.data` — ``GET /admin/tables``, ``POST /admin/dynamodb``: the app's tables
- :mod:`.keys` — ``/admin/access-keys``: access keys of ``/dynamodb``
- :mod:`.calls` — ``GET /admin/calls``, ``GET /admin/calls/{id}``: every call
- :mod:`.graphql_schema` — ``GET /admin/graphql-schema``: the schema, for GraphiQL

Users are administered at ``/auth/admin/*``, calls are started, approved, signalled
and cancelled through GraphQL (the same rules as for anyone). Errors have the API's one
shape (:mod:`baas.http_errors`). docs/console.md lists every route with an example.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from baas.admin_api.calls import call_routes
from baas.admin_api.data import data_routes
from baas.admin_api.graphql_schema import graphql_schema_routes
from baas.admin_api.keys import key_routes
from baas.admin_api.overview import overview_routes

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from auth.access_keys import AccessKeyRepository
    from baas.dynamodb import DynamoDBEndpoint
    from baas.services import Services

__all__ = ["admin_api_routes"]


def admin_api_routes(
    services: Services, dynamodb: DynamoDBEndpoint, keys: AccessKeyRepository
) -> list[BaseRoute]:
    """Every ``/admin`` route, bound to one process's services."""
    return [
        *overview_routes(services),
        *data_routes(services, dynamodb),
        *key_routes(keys, services.auth),
        *call_routes(services),
        *graphql_schema_routes(services),
    ]
