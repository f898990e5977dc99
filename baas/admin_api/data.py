"""``/admin/tables`` and ``/admin/dynamodb``: the console's way to the data, as an admin.

``POST /admin/dynamodb`` runs the same operations as ``/dynamodb`` (the same handlers,
the same DynamoDB JSON with its types: ``{"S": "..."}``, ``{"N": "1"}``), authorized by
an admin's access token instead of a SigV4 signature: the console has no access key,
and must not hold one in a page. The operation is named by ``X-Amz-Target`` as on
``/dynamodb``; errors have the API's one shape, with DynamoDB's error name as the code
(``ConditionalCheckFailedException``, ``ValidationException``). Like ``/dynamodb`` it
acts as the system caller and never shows the ``_baas_`` tables (users, keys, sessions:
they have their own admin routes).

``GET /admin/tables`` describes the app's tables for the console: key schema, indexes,
the version attribute every conditional write of the console checks, the model that
declared the table, if any.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from baas.auth_routes.http import require_admin
from baas.dynamodb.protocol import MAX_BODY_BYTES
from baas.dynamodb.wire import SYSTEM_TABLE_PREFIX
from baas.http_errors import error_response
from baas.json_bodies import loads
from baas.request_bodies import read_body
from storage.tables import IndexSpec, KeyAttribute, TableSpec

if TYPE_CHECKING:
    from baas.dynamodb import DynamoDBEndpoint
    from baas.services import Services

__all__ = ["data_routes"]

_NO_STORE = {"Cache-Control": "no-store"}


def data_routes(services: Services, dynamodb: DynamoDBEndpoint) -> list[BaseRoute]:
    async def tables(request: Request) -> Response:
        require_admin(request)
        store = services.store
        models = {spec.table: spec.name for spec in services.models}
        described = []
        for name in sorted(await store.list_tables()):
            if name.startswith(SYSTEM_TABLE_PREFIX):
                continue
            spec = await store.table_spec(name)
            described.append({**_spec_view(spec), "model": models.get(name)})
        return JSONResponse({"tables": described}, headers=_NO_STORE)

    async def operation(request: Request) -> Response:
        require_admin(request)
        request_id = str(request.scope.get("state", {}).get("request_id", ""))
        # Past the limit: BodyTooLargeError, answered 413 by the app's error table.
        body = await read_body(request.scope, request.receive, MAX_BODY_BYTES)
        target = request.headers.get("x-amz-target", "")
        status, answer = await dynamodb.dispatch(target, body, request_id)
        if status == 200:
            return Response(answer, media_type="application/json", headers=_NO_STORE)
        error = loads(answer)
        code = str(error.get("__type", "InternalServerError")).rpartition("#")[2]
        response = error_response(request, status, code, str(error.get("message") or code))
        if status == 503:
            response.headers["Retry-After"] = "1"
        return response

    return [
        Route("/admin/tables", tables, methods=["GET"]),
        Route("/admin/dynamodb", operation, methods=["POST"]),
    ]


def _key(attribute: KeyAttribute) -> dict[str, str]:
    return {"name": attribute.name, "type": attribute.type}


def _index(index: IndexSpec) -> dict[str, Any]:
    return {
        "name": index.name,
        "partition_key": _key(index.partition_key),
        "sort_key": _key(index.sort_key) if index.sort_key else None,
        "projection": index.projection.type,
    }


def _spec_view(spec: TableSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "partition_key": _key(spec.partition_key),
        "sort_key": _key(spec.sort_key) if spec.sort_key else None,
        "indexes": [_index(index) for index in spec.indexes],
        "version_attribute": spec.version_attribute,
        "ttl_attribute": spec.ttl_attribute,
    }
