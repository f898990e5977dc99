"""The endpoint's protocol: routing by X-Amz-Target, error shapes, the 500 of last resort."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from auth.access_keys import AccessKey
from baas.dynamodb.protocol import DynamoDBEndpoint
from baas.dynamodb.sigv4 import SignedRequest
from storage.errors import ConditionalCheckFailedError, StorageUnavailableError


class _AnyCaller:
    async def authenticate(self, request: SignedRequest) -> AccessKey:
        return AccessKey("AKIATEST", "secret-value")


class _Store:
    """Just what the tests call: list_tables fails as told, put_item fails a condition."""

    def __init__(self, failure: Exception | None = None) -> None:
        self.failure = failure

    async def list_tables(self) -> list[str]:
        if self.failure is not None:
            raise self.failure
        return ["users", "_baas_access_keys"]

    async def put_item(self, table: str, item: Any, **options: Any) -> None:
        raise ConditionalCheckFailedError(item={"id": "u1", "n": Decimal(1)})


def _client(store: _Store) -> httpx.AsyncClient:
    endpoint = DynamoDBEndpoint(store, keys=None, authenticator=_AnyCaller())  # type: ignore[arg-type]
    app = Starlette(routes=[Route("/", endpoint, methods=["GET", "POST"])])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def _call(store: _Store, target: str | None, body: bytes = b"{}") -> httpx.Response:
    headers = {"Content-Type": "application/x-amz-json-1.0"}
    if target is not None:
        headers["X-Amz-Target"] = target
    async with _client(store) as client:
        return await client.post("/", content=body, headers=headers)


async def test_an_operation_answers_json_without_system_tables() -> None:
    response = await _call(_Store(), "DynamoDB_20120810.ListTables")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-amz-json-1.0"
    assert response.json() == {"TableNames": ["users"]}


@pytest.mark.parametrize("target", [None, "DynamoDB_20120810.DropEverything", "Other.ListTables"])
async def test_an_unknown_operation_is_refused(target: str | None) -> None:
    response = await _call(_Store(), target)
    assert response.status_code == 400
    assert response.json()["__type"].endswith("#UnknownOperationException")


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]"])
async def test_a_body_that_is_not_a_json_object_is_refused(body: bytes) -> None:
    response = await _call(_Store(), "DynamoDB_20120810.ListTables", body)
    assert response.status_code == 400
    assert response.json()["__type"].endswith("#SerializationException")


async def test_a_store_error_keeps_its_dynamodb_code_and_item() -> None:
    response = await _call(
        _Store(),
        "DynamoDB_20120810.PutItem",
        b'{"TableName": "users", "Item": {"id": {"S": "u1"}}}',
    )
    assert response.status_code == 400
    assert response.json() == {
        "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
        "message": "The conditional request failed",
        "Item": {"id": {"S": "u1"}, "n": {"N": "1"}},
    }


@pytest.mark.parametrize(
    "failure",
    [RuntimeError("SELECT * FROM items at /srv/secret.db"), StorageUnavailableError("disk")],
)
async def test_an_unexpected_error_is_a_bare_500_with_a_request_id(
    failure: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="baas.dynamodb"):
        response = await _call(_Store(failure), "DynamoDB_20120810.ListTables")
    assert response.status_code == 500
    body = response.json()
    assert body["__type"] == "com.amazonaws.dynamodb.v20120810#InternalServerError"
    request_id = response.headers["x-amzn-requestid"]
    assert request_id in body["message"]
    assert "SELECT" not in response.text
    assert "secret" not in response.text
    assert request_id in caplog.text


async def test_a_get_answers_without_authentication_or_data() -> None:
    async with _client(_Store(RuntimeError("must not be called"))) as client:
        response = await client.get("/")
    assert response.status_code == 200
    assert response.text.startswith("healthy: dynamodb.")


async def test_an_oversized_body_is_refused_before_authentication(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("baas.dynamodb.protocol.MAX_BODY_BYTES", 1000)
    response = await _call(_Store(), "DynamoDB_20120810.ListTables", b"{" + b" " * 2000 + b"}")
    assert response.status_code == 413
    assert response.json()["__type"].endswith("#RequestEntityTooLarge")
