"""One real uvicorn server with the DynamoDB endpoint, shared by this package's tests,
and the endpoint's own HTTP server on the same store (see ``endpoint``).

The store is opened in the server's own event loop (in the app's lifespan): on a SQLite
file with either durability, and on PostgreSQL; the tests drive it with boto3, as a
user would. Tests use table names of their own, so they can share the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from starlette.applications import Starlette

from auth.access_keys import AccessKeyRepository
from auth.secret_keys import SecretKeys
from baas.dynamodb import DynamoDBServer, dynamodb_routes, dynamodb_server
from storage import DocumentStore, PostgresConfig, SqliteConfig, StoreConfig, open_store
from tests.postgres_server import drop_schema, schema_name
from tests.support import serve_in_thread

KEY_ID = "AKIATESTKEY000000001"
SECRET = "test-secret-key-0123456789abcdefghijklmn"
REVOKED_KEY_ID = "AKIATESTREVOKED00001"
# The secret key that seals these tests' access keys (the app's comes from settings).
SECRET_KEYS = SecretKeys([b"dynamodb-tests-secret-key-0123456789"])


def access_keys(store: DocumentStore) -> AccessKeyRepository:
    """The access keys kept in ``store``."""
    return AccessKeyRepository(store, SECRET_KEYS)


def make_app(
    database: Path | StoreConfig, path: str = "/dynamodb", synchronous: str = "NORMAL"
) -> Starlette:
    """A Starlette app serving the endpoint at ``path``, on ``database`` (an SQLite file,
    or any store's configuration).

    As in the real app, the routes are built before the lifespan opens the store, so
    they are given a function that returns it.
    """
    opened: dict[str, DocumentStore] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        config = (
            SqliteConfig(
                database,
                synchronous=synchronous,  # type: ignore[arg-type]
                ttl_sweep_interval_seconds=3600,
            )
            if isinstance(database, Path)
            else database
        )
        store = await open_store(config)
        opened["store"] = store
        keys = access_keys(store)
        await keys.create(key_id=KEY_ID, secret=SECRET)
        await keys.create(key_id=REVOKED_KEY_ID, secret=SECRET)
        await keys.revoke(REVOKED_KEY_ID)
        app.state.store = store
        app.state.loop = asyncio.get_running_loop()
        yield
        await store.close()

    routes = dynamodb_routes(
        lambda: opened["store"],
        AccessKeyRepository(lambda: opened["store"], SECRET_KEYS),
        path=path,
    )
    return Starlette(routes=routes, lifespan=lifespan)


@pytest.fixture(scope="session", params=["NORMAL", "FULL", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Starlette]]:
    """Under NORMAL most calls commit inline and never suspend; under FULL (the default)
    every write waits for the writer thread, so each call also runs suspended; on
    PostgreSQL every call goes to the database server."""
    if request.param == "postgres":
        database_url: str = request.getfixturevalue("postgres_url")
        schema = schema_name()
        config = PostgresConfig.from_url(
            f"{database_url}?schema={schema}", ttl_sweep_interval_seconds=3600
        )
        app = make_app(config)
        try:
            with serve_in_thread(app) as base_url:
                yield base_url, app
        finally:
            drop_schema(database_url, schema)
        return
    database = tmp_path_factory.mktemp("dynamodb") / "baas.sqlite3"
    app = make_app(database, synchronous=request.param)
    with serve_in_thread(app) as base_url:
        yield base_url, app


RunInServer = Callable[[Callable[[DocumentStore], Coroutine[Any, Any, Any]]], Any]


@pytest.fixture(scope="session")
def run_in_server(server: tuple[str, Starlette]) -> RunInServer:
    """Run ``work(store)`` in the server's event loop, where its store lives."""
    app = server[1]

    def run(work: Callable[[DocumentStore], Coroutine[Any, Any, Any]]) -> Any:
        future = asyncio.run_coroutine_threadsafe(work(app.state.store), app.state.loop)
        return future.result(timeout=10)

    return run


@pytest.fixture(scope="session")
def sweep_expired(run_in_server: RunInServer) -> Callable[[], int]:
    """Run one TTL sweep now (the server's sweeper is slow on purpose)."""
    return lambda: int(run_in_server(lambda store: store.sweep_expired()))


@pytest.fixture(scope="session", params=["api port", "own port"])
def endpoint(
    request: pytest.FixtureRequest, server: tuple[str, Starlette], run_in_server: RunInServer
) -> Iterator[str]:
    """Every test runs twice: at /dynamodb of the API (a Starlette route under uvicorn),
    and on a port of its own (baas's HTTP/1.1 server), both on the same store."""
    if request.param == "api port":
        yield f"{server[0]}/dynamodb"
        return

    async def start(store: DocumentStore) -> DynamoDBServer:
        own = dynamodb_server(store, "127.0.0.1", 0, access_keys(store))
        await own.start()
        return own

    own: DynamoDBServer = run_in_server(start)
    try:
        yield f"http://127.0.0.1:{own.port}"
    finally:
        run_in_server(lambda store: own.shutdown(grace_seconds=5))


ClientFactory = Callable[..., Any]


@pytest.fixture(scope="session")
def make_client(endpoint: str) -> ClientFactory:
    def make(service: str = "dynamodb", **overrides: Any) -> Any:
        options: dict[str, Any] = {
            "endpoint_url": endpoint,
            "region_name": "us-east-1",
            "aws_access_key_id": KEY_ID,
            "aws_secret_access_key": SECRET,
            "config": Config(retries={"max_attempts": 1}),
        }
        options.update(overrides)
        return boto3.client(service, **options)

    return make


@pytest.fixture(scope="session")
def client(make_client: ClientFactory) -> Any:
    return make_client()


@pytest.fixture
def table(client: Any) -> Iterator[str]:
    """A fresh table with a string partition key ``pk`` and a number sort key ``sk``."""
    name = f"t-{uuid.uuid4().hex[:12]}"
    client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    yield name
    with contextlib.suppress(client.exceptions.ResourceNotFoundException):
        client.delete_table(TableName=name)
