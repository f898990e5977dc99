"""The endpoint as users meet it: inside the full API, with a key made by `baas keys`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

from baas.app import create_app
from baas.config import Settings
from tests.support import serve_in_thread

BAAS = Path(sys.executable).parent / "baas"
KEY_ID = "AKIAAPIWIRING0000001"
SECRET = "wiring-secret-0123456789abcdefghijklmnop"


def _make_key_with_the_cli(data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAAS_")}
    env["BAAS_DATA_DIR"] = str(data_dir)
    made = subprocess.run(
        [str(BAAS), "keys", "create", "--id", KEY_ID, "--secret", "-", "--create"],
        input=SECRET + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    assert KEY_ID in made.stdout


def _client(base: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=f"{base}/dynamodb",
        region_name="us-east-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}),
    )


def test_boto3_through_the_api_port_with_a_cli_made_key(tmp_path: Path) -> None:
    _make_key_with_the_cli(tmp_path)
    settings = Settings.from_env({"BAAS_DATA_DIR": str(tmp_path)})
    with serve_in_thread(create_app(settings)) as base:
        client = _client(base)
        client.create_table(
            TableName="Notes",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName="Notes", Item={"id": {"S": "n1"}, "text": {"S": "hi"}})
        got = client.get_item(TableName="Notes", Key={"id": {"S": "n1"}})
        tables = client.list_tables()["TableNames"]
        # A SigV4 header elsewhere is no identity: /auth/me still needs a bearer token.
        me = httpx.get(f"{base}/auth/me", headers={"Authorization": "AWS4-HMAC-SHA256 x"})

    assert got["Item"] == {"id": {"S": "n1"}, "text": {"S": "hi"}}
    assert "Notes" in tables
    assert not [name for name in tables if name.startswith("_baas")], "system tables leak"
    assert me.status_code == 401


def test_sdk_calls_keep_request_ids_and_metrics_and_browsers_get_cors(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"BAAS_DATA_DIR": str(tmp_path), "BAAS_CORS_ORIGINS": "https://app.example"}
    )
    with serve_in_thread(create_app(settings)) as base:
        # An SDK call (no Origin) takes the endpoint's short way: the request id and
        # the metrics are still there. Unsigned, it is refused as DynamoDB does.
        sdk = httpx.post(
            f"{base}/dynamodb",
            headers={
                "X-Amz-Target": "DynamoDB_20120810.ListTables",
                "X-Request-Id": "sdk-call-0001",
            },
            content=b"{}",
        )
        # A browser's preflight goes through the app: CORS applies.
        preflight = httpx.options(
            f"{base}/dynamodb",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        metrics = httpx.get(f"{base}/metrics").text

    assert sdk.status_code == 400
    assert sdk.json()["__type"].endswith("#MissingAuthenticationTokenException")
    assert sdk.headers["x-request-id"] == "sdk-call-0001"
    assert 'method="POST",path="/dynamodb",status="400"} 1' in metrics
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"


# The headers the JavaScript SDK v3 sends with a signed DynamoDB call from a browser.
_BROWSER_SDK_HEADERS = (
    "amz-sdk-invocation-id,amz-sdk-request,authorization,content-type,x-amz-content-sha256,"
    "x-amz-date,x-amz-security-token,x-amz-target,x-amz-user-agent"
)


def test_a_browser_on_an_allowed_origin_can_call_the_endpoint_with_an_sdk(tmp_path: Path) -> None:
    _make_key_with_the_cli(tmp_path)
    settings = Settings.from_env(
        {"BAAS_DATA_DIR": str(tmp_path), "BAAS_CORS_ORIGINS": "https://app.example"}
    )
    with serve_in_thread(create_app(settings)) as base:
        preflights = {
            origin: httpx.options(
                f"{base}/dynamodb",
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": _BROWSER_SDK_HEADERS,
                },
            )
            for origin in ("https://app.example", "https://elsewhere.example")
        }
        # The call itself, signed with its Origin header as a browser sends it.
        client = _client(base)
        client.meta.events.register(
            "before-sign.dynamodb.*",
            lambda request, **_: request.headers.__setitem__("Origin", "https://app.example"),
        )
        listed = client.list_tables()

    allowed = preflights["https://app.example"]
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    granted = {
        name.strip().lower() for name in allowed.headers["access-control-allow-headers"].split(",")
    }
    assert set(_BROWSER_SDK_HEADERS.split(",")) <= granted
    assert preflights["https://elsewhere.example"].status_code == 400
    headers = listed["ResponseMetadata"]["HTTPHeaders"]
    assert headers["access-control-allow-origin"] == "https://app.example"
    assert "x-amzn-requestid" in headers["access-control-expose-headers"].lower()
    assert listed["TableNames"] == []
