"""The endpoint on a port of its own (``dynamodb_app``), at the root path."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
import uvicorn

from auth.access_keys import AccessKeyRepository
from baas.dynamodb import dynamodb_app
from storage import SqliteConfig, open_store
from tests.integration.dynamodb.conftest import KEY_ID, SECRET
from tests.support import free_port


@pytest.fixture
def own_port(tmp_path: Path) -> Iterator[str]:
    """Open a store, then serve ``dynamodb_app(store)`` beside it in the same loop."""
    port = free_port()
    holder: dict[str, uvicorn.Server] = {}

    async def serve() -> None:
        async with await open_store(SqliteConfig(tmp_path / "own.sqlite3")) as store:
            await AccessKeyRepository(store).create(key_id=KEY_ID, secret=SECRET)
            app = dynamodb_app(store)
            config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None)
            holder["server"] = uvicorn.Server(config)
            await holder["server"].serve()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while "server" not in holder or not holder["server"].started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    holder["server"].should_exit = True
    thread.join(10)


def test_boto3_works_against_the_root_path(own_port: str) -> None:
    client = boto3.client(
        "dynamodb",
        endpoint_url=own_port,
        region_name="eu-central-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )
    client.create_table(
        TableName="own-port",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.put_item(TableName="own-port", Item={"id": {"S": "a"}})
    assert client.get_item(TableName="own-port", Key={"id": {"S": "a"}})["Item"]
    assert httpx.get(own_port).status_code == 200
