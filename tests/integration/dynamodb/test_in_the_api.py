"""The endpoint as users meet it: inside the full API, with a key made by `baas keys`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3
import httpx
from botocore.config import Config

from baas.app import create_app
from baas.config import Settings
from tests.support import serve_in_thread

BAAS = Path(sys.executable).parent / "baas"
KEY_ID = "AKIAAPIWIRING0000001"
SECRET = "wiring-secret-0123456789abcdefghijklmnop"


def test_boto3_through_the_api_port_with_a_cli_made_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAAS_")}
    env["BAAS_DATA_DIR"] = str(tmp_path)
    made = subprocess.run(
        [str(BAAS), "keys", "create", "--id", KEY_ID, "--secret", "-"],
        input=SECRET + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    assert KEY_ID in made.stdout

    settings = Settings.from_env({"BAAS_DATA_DIR": str(tmp_path)})
    with serve_in_thread(create_app(settings)) as base:
        client = boto3.client(
            "dynamodb",
            endpoint_url=f"{base}/dynamodb",
            region_name="us-east-1",
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            config=Config(retries={"max_attempts": 1}),
        )
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
