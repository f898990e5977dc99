"""Authentication: what an unsigned, badly signed, stale or revoked request gets."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import httpx
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.integration.dynamodb.conftest import (
    KEY_ID,
    REVOKED_KEY_ID,
    SECRET,
    ClientFactory,
    RunInServer,
    access_keys,
)


def _error(call: Any) -> tuple[int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_an_unsigned_request_is_refused(make_client: ClientFactory) -> None:
    client = make_client(config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
    assert _error(client.list_tables) == (400, "MissingAuthenticationTokenException")


def test_an_unknown_key_is_refused(make_client: ClientFactory) -> None:
    client = make_client(aws_access_key_id="AKIANOSUCHKEY0000000")
    assert _error(client.list_tables) == (400, "UnrecognizedClientException")


def test_a_revoked_key_is_refused(make_client: ClientFactory) -> None:
    client = make_client(aws_access_key_id=REVOKED_KEY_ID)
    assert _error(client.list_tables) == (400, "UnrecognizedClientException")


def test_a_key_revoked_while_serving_stops_working_within_a_second(
    make_client: ClientFactory, run_in_server: RunInServer
) -> None:
    key = run_in_server(lambda store: access_keys(store).create(description="short-lived"))
    client = make_client(aws_access_key_id=key.key_id, aws_secret_access_key=key.secret)
    assert "TableNames" in client.list_tables()
    assert run_in_server(lambda store: access_keys(store).revoke(key.key_id))
    time.sleep(1.1)  # the endpoint remembers a key for one second
    assert _error(client.list_tables) == (400, "UnrecognizedClientException")


def test_a_wrong_secret_is_refused(make_client: ClientFactory) -> None:
    client = make_client(aws_secret_access_key="wrong-secret-0123456789")
    assert _error(client.list_tables) == (400, "InvalidSignatureException")


@pytest.mark.parametrize("offset", [timedelta(minutes=-20), timedelta(minutes=20)])
def test_a_stale_signature_is_refused(make_client: ClientFactory, offset: timedelta) -> None:
    client = make_client()
    skewed = (datetime.now(UTC) + offset).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=skewed):
        assert _error(client.list_tables) == (400, "InvalidSignatureException")


def test_a_signed_request_with_the_right_key_works(make_client: ClientFactory) -> None:
    client = make_client(aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)
    assert "TableNames" in client.list_tables()


def test_a_plain_get_answers_without_credentials(endpoint: str) -> None:
    response = httpx.get(endpoint)
    assert response.status_code == 200
    assert response.text.startswith("healthy:")


def test_the_error_shape_is_dynamodbs(endpoint: str) -> None:
    response = httpx.post(
        endpoint,
        content=b"{}",
        headers={
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/x-amz-json-1.0"
    assert response.headers["x-amzn-requestid"]
    assert response.json() == {
        "__type": "com.amazon.coral.service#MissingAuthenticationTokenException",
        "message": "Request is missing Authentication Token",
    }
