"""A DynamoDB-compatible HTTP endpoint over the document store.

boto3 and the other AWS SDKs work against it unchanged::

    client = boto3.client(
        "dynamodb",
        endpoint_url="http://127.0.0.1:8000/dynamodb",
        region_name="us-east-1",
        aws_access_key_id="AKIA...",          # from `baas keys create`
        aws_secret_access_key="...",
    )

It speaks DynamoDB's JSON protocol (tables, items, queries, batches, transactions,
TTL, legacy parameters) and DynamoDB Streams over the store's change feed; requests
are authenticated by SigV4 with access keys that act as the system caller.

    protocol.py      the endpoint: authentication, routing by X-Amz-Target, errors
    server.py        the HTTP/1.1 server of the endpoint's own port
    fast_path.py     SDK requests on the API's port skip the app's routing
    sigv4.py         SigV4 signature verification (pure)
    authentication.py  SigV4 against the stored access keys
    operations.py    the operation table
    tables.py, items.py, reads.py, batches.py, streams.py   one handler per operation
    wire.py, legacy.py, descriptions.py, capacity.py, errors.py   wire formats
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from auth.access_keys import AccessKeyRepository
from baas.connection_limits import ClientConnections
from baas.dynamodb.context import StoreSource
from baas.dynamodb.descriptions import Account
from baas.dynamodb.fast_path import SdkFastPath
from baas.dynamodb.protocol import SDK_REQUEST_HEADERS, SDK_RESPONSE_HEADERS, DynamoDBEndpoint
from baas.dynamodb.server import DynamoDBServer
from baas.metrics import HttpMetrics

__all__ = [
    "SDK_REQUEST_HEADERS",
    "SDK_RESPONSE_HEADERS",
    "Account",
    "DynamoDBEndpoint",
    "DynamoDBServer",
    "SdkFastPath",
    "StoreSource",
    "dynamodb_routes",
    "dynamodb_server",
    "endpoint_paths",
    "endpoint_routes",
]

_METHODS = ["GET", "HEAD", "POST"]


def dynamodb_routes(
    store: StoreSource,
    keys: AccessKeyRepository,
    *,
    path: str = "/dynamodb",
    account: Account | None = None,
) -> list[BaseRoute]:
    """The routes serving the endpoint at ``path`` (``/dynamodb`` on the API's port).

    ``store`` may be a function returning the store, for apps that build their routes
    before their lifespan opens it; ``keys`` are the access keys requests are signed with.
    """
    return endpoint_routes(DynamoDBEndpoint(store, keys, account), path)


def endpoint_routes(endpoint: DynamoDBEndpoint, path: str = "/dynamodb") -> list[BaseRoute]:
    """The routes serving ``endpoint`` at ``path``."""
    return [Route(each, endpoint, methods=_METHODS) for each in endpoint_paths(path)]


def endpoint_paths(path: str = "/dynamodb") -> list[str]:
    """``path``, and the same with a trailing slash: some SDKs add one to an endpoint
    URL with a path."""
    return [path] if path == "/" else [path, path.rstrip("/") + "/"]


def dynamodb_server(
    store: StoreSource,
    host: str,
    port: int,
    keys: AccessKeyRepository,
    *,
    account: Account | None = None,
    metrics: HttpMetrics | None = None,
    connections: ClientConnections | None = None,
) -> DynamoDBServer:
    """The endpoint served on a port of its own (``BAAS_DYNAMODB_PORT``; 0: any free one).

    It answers every path (SDKs post to ``/``); ``await server.serve()`` runs it until
    ``await server.shutdown()``. Its requests count in ``metrics`` (the process's), its
    connections in ``connections`` (the process's limits; default: the default limits).
    """
    endpoint = DynamoDBEndpoint(store, keys, account)
    return DynamoDBServer(endpoint, host, port, metrics=metrics, connections=connections)
