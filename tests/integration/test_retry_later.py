"""Honest "retry later": a momentary outage answers 503 + Retry-After (GraphQL
``UNAVAILABLE`` with ``retryAfter``), never 500, and applies nothing. A GraphQL request
that needs a lease of its caller's cost budget (a store write) is refused the same way.

The store: another process paused (SIGSTOP) inside its write transaction holds SQLite's
write lock; every way in refuses writes until it resumes, then the same writes succeed.
Temporal: killed under a connected API, a call start is refused within the client's
5 s timeout (it used to hang 10-30 s, then fail with INTERNAL_SERVER_ERROR), nothing is
recorded, and calls start again once Temporal is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from auth.access_keys import AccessKeyRepository
from auth.users import UserRepository
from baas.app import create_app
from baas.config import Settings
from baas.dynamodb import dynamodb_server
from baas.temporal_dev import EmbeddedTemporal
from examples.board import app as board_app
from storage import SqliteConfig, open_store
from tests.integration.graphql.server import ENV, Api, serve_api
from tests.support import free_port, serve_in_thread

KEY_ID = "AKIABUSYSTORE0000001"
SECRET = "busy-store-secret-0123456789abcdefghijk"
CREATE = "mutation($input: CreateNoteInput!) { createNote(input: $input) { id title } }"
BY_BOARD = "query($board: String!) { notesByBoard(board: $board) { items { title } } }"
# Holds the write lock as a paused writer would: inside BEGIN IMMEDIATE, then stopped.
HOLDER = """
import os, signal, sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
os.kill(os.getpid(), signal.SIGSTOP)
connection.execute("COMMIT")
"""


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with serve_api(tmp_path, BAAS_SQLITE_BUSY_TIMEOUT="0.3") as server:
        yield server


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


@pytest.fixture
def own_port(api: Api) -> Iterator[str]:
    """The DynamoDB endpoint on a port of its own, as a second API process serves it."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> Any:
        store = await open_store(SqliteConfig(api.settings.database_path, busy_timeout_ms=300))
        keys = AccessKeyRepository(store, api.services.secret_keys)
        server = dynamodb_server(store, "127.0.0.1", 0, keys)
        await server.start()
        return store, server

    store, server = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:

        async def stop() -> None:
            await server.shutdown(grace_seconds=5)
            await store.close()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@contextlib.contextmanager
def _paused_writer(database: Path) -> Iterator[None]:
    """Another process inside its write transaction, stopped (SIGSTOP) until the end."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(database)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        while _state(holder.pid) != "T":  # stopped, still holding the lock
            pass
        yield
    finally:
        os.kill(holder.pid, signal.SIGCONT)
        holder.communicate(timeout=30)
    assert holder.returncode == 0


def _dynamodb(endpoint: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}),  # to see the answer itself
    )


def _writes(api: Api, token: str, *dynamodb: Any) -> dict[str, Any]:
    """One write by each way in, at once; what each answered."""

    def graphql() -> Any:
        variables = {"input": {"board": "b", "title": "during"}}
        return api.post(CREATE, variables, token=token)

    def signup() -> Any:
        body = {"email": "new@example.com", "password": "a fine long password"}
        return httpx.post(f"{api.url}/auth/signup", json=body, timeout=30)

    def put_item(client: Any, name: str) -> Any:
        try:
            return client.put_item(TableName="Busy", Item={"id": {"S": name}})
        except ClientError as exc:
            return exc.response

    with ThreadPoolExecutor(4) as pool:
        futures = {"graphql": pool.submit(graphql), "signup": pool.submit(signup)}
        for name, client in zip(("api port", "own port"), dynamodb, strict=True):
            futures[name] = pool.submit(put_item, client, name)
        return {name: future.result(timeout=60) for name, future in futures.items()}


def test_a_paused_writer_holding_the_lock_gets_503_everywhere_then_nothing_is_lost(
    api: Api, own_port: str
) -> None:
    async def prepare() -> None:
        async with open_store(api.settings.store_config) as store:
            keys = AccessKeyRepository(store, api.services.secret_keys)
            await keys.create(key_id=KEY_ID, secret=SECRET)

    asyncio.run(prepare())
    dynamodb = (_dynamodb(f"{api.url}/dynamodb"), _dynamodb(own_port))
    dynamodb[0].create_table(
        TableName="Busy",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    token = api.token("alice")
    before = api.post(CREATE, {"input": {"board": "b", "title": "before"}}, token=token)
    assert before.json()["data"]["createNote"]["title"] == "before"
    # (The first page of a list also makes the process's page-token key: a write.)
    assert "errors" not in api.post(BY_BOARD, {"board": "b"}, token=token).json()

    with _paused_writer(api.settings.database_path):
        read = api.post(BY_BOARD, {"board": "b"}, token=token)
        refused = _writes(api, token, *dynamodb)

    # Reads go on while the lock is held.
    assert read.json()["data"]["notesByBoard"]["items"] == [{"title": "before"}]
    [error] = refused["graphql"].json()["errors"]
    assert error["extensions"]["code"] == "UNAVAILABLE"
    assert error["extensions"]["retryAfter"] >= 1
    signup = refused["signup"]
    assert signup.status_code == 503
    assert int(signup.headers["retry-after"]) >= 1
    assert signup.json()["error"]["code"] == "ServiceUnavailable"
    for put in (refused["api port"], refused["own port"]):
        assert put["ResponseMetadata"]["HTTPStatusCode"] == 503  # botocore retries a 503
        assert put["Error"]["Code"] == "ServiceUnavailable"
        assert int(put["ResponseMetadata"]["HTTPHeaders"]["retry-after"]) >= 1

    # The lock is free again: the same writes succeed, and nothing was applied twice.
    retried = _writes(api, token, *dynamodb)
    assert retried["graphql"].json()["data"]["createNote"]["title"] == "during"
    assert retried["signup"].status_code == 202
    for put in (retried["api port"], retried["own port"]):
        assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    titles = api.post(BY_BOARD, {"board": "b"}, token=token).json()["data"]["notesByBoard"]
    assert sorted(n["title"] for n in titles["items"]) == ["before", "during"]
    items = dynamodb[0].scan(TableName="Busy")["Items"]
    assert sorted(item["id"]["S"] for item in items) == ["api port", "own port"]

    async def user_exists() -> bool:
        async with open_store(api.settings.store_config) as store:
            users = UserRepository(store, revocation_retention=3600)
            return await users.get_by_email("new@example.com") is not None

    assert asyncio.run(user_exists())


def test_a_cost_budget_the_locked_store_cannot_lease_from_refuses_with_retry_later(
    api: Api,
) -> None:
    # Alice's process holds a lease (her first request took one); Bob's needs one, a
    # store write: fail closed with "retry later", not a 500, and nothing runs.
    alice, bob = api.token("alice"), api.token("bob")
    assert "errors" not in api.post(BY_BOARD, {"board": "b"}, token=alice).json()
    accepts = {"Accept": "application/graphql-response+json"}
    with _paused_writer(api.settings.database_path):
        leased = api.post(BY_BOARD, {"board": "b"}, token=alice)
        plain = api.post(BY_BOARD, {"board": "b"}, token=bob)
        graphql_response = api.post(BY_BOARD, {"board": "b"}, token=bob, headers=accepts)
    assert "errors" not in leased.json()
    body = plain.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAVAILABLE"
    assert plain.headers["retry-after"] == str(error["extensions"]["retryAfter"])
    assert graphql_response.status_code == 503
    assert int(graphql_response.headers["retry-after"]) >= 1
    assert [e["extensions"]["code"] for e in graphql_response.json()["errors"]] == ["UNAVAILABLE"]
    # The lock is free again: Bob's lease is taken and his query runs.
    assert "errors" not in api.post(BY_BOARD, {"board": "b"}, token=bob).json()


START = """mutation($input: JSON!) {
  startArchiveBoard(input: $input) { id status } }"""
MY_CALLS = "{ myCalls(limit: 10) { items { id } } }"


async def test_with_temporal_down_a_start_answers_unavailable_at_once_and_records_nothing(
    tmp_path: Path, task_queue: str
) -> None:
    port = free_port()

    def temporal() -> EmbeddedTemporal:  # its state survives the kill, like a restart's
        return EmbeddedTemporal(
            host="127.0.0.1", port=port, ui_port=None,
            db_path=tmp_path / "temporal.db", log_path=tmp_path / "temporal.log",
        )  # fmt: skip

    server = temporal()
    await server.start()
    env = {"BAAS_DATA_DIR": str(tmp_path), "BAAS_TEMPORAL_ADDRESS": server.address, **ENV}
    settings = Settings.from_env({**env, "BAAS_TASK_QUEUE": task_queue})
    asgi = create_app(settings, app=board_app)
    try:
        with serve_in_thread(asgi) as url:
            token = asgi.state.services.tokens.issue_access_token("olga").token

            async def post(query: str, **variables: Any) -> dict[str, Any]:
                async with httpx.AsyncClient(timeout=5) as client:  # a 10 s hang fails
                    response = await client.post(
                        f"{url}/graphql",
                        json={"query": query, "variables": variables},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                body: dict[str, Any] = response.json()
                return body

            started = await post(START, input={"board_id": "b1"})
            assert started["data"]["startArchiveBoard"]["status"] == "RUNNING", started

            assert server.pid is not None
            os.kill(server.pid, signal.SIGKILL)
            refused = await post(START, input={"board_id": "b2"})
            [error] = refused["errors"]
            assert error["extensions"]["code"] == "UNAVAILABLE", refused
            assert error["extensions"]["retryAfter"] >= 1
            await server.stop()

            server = temporal()
            await server.start()
            again = await post(START, input={"board_id": "b3"})
            assert again["data"]["startArchiveBoard"]["status"] == "RUNNING", again
            mine = (await post(MY_CALLS))["data"]["myCalls"]["items"]
    finally:
        await server.stop()
    # The refused start left no record of a call that never started.
    started_ids = {
        started["data"]["startArchiveBoard"]["id"],
        again["data"]["startArchiveBoard"]["id"],
    }
    assert {call["id"] for call in mine} == started_ids
