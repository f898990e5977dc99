"""`baas serve` with BAAS_DYNAMODB_PORT: the endpoint alone on a port of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import httpx
from botocore.config import Config

from tests.support import free_port

BAAS = Path(sys.executable).parent / "baas"
KEY_ID = "AKIAOWNPORT000000001"
SECRET = "own-port-secret-0123456789abcdefghijklm"


def test_serve_answers_sdks_on_the_dynamodb_port(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAAS_")}
    api_port, dynamodb_port = free_port(), free_port()
    env.update(
        BAAS_DATA_DIR=str(tmp_path),
        BAAS_PORT=str(api_port),
        BAAS_DYNAMODB_PORT=str(dynamodb_port),
        BAAS_TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",  # serve starts without Temporal
    )
    made = subprocess.run(
        [str(BAAS), "keys", "create", "--id", KEY_ID, "--secret", SECRET, "--create"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    server = subprocess.Popen(
        [str(BAAS), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        endpoint = f"http://127.0.0.1:{dynamodb_port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()[1]
            try:
                probe = httpx.get(endpoint, timeout=2)  # a plain GET answers, touching nothing
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the DynamoDB port never answered"
                time.sleep(0.1)
        client = boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            config=Config(retries={"max_attempts": 1}),
        )
        client.create_table(
            TableName="Own",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        assert "Own" in client.list_tables()["TableNames"]
        assert probe.status_code < 500
        # The port's requests count in the process's metrics, served on the API's port.
        metrics = httpx.get(f"http://127.0.0.1:{api_port}/metrics", timeout=10).text
    finally:
        server.send_signal(signal.SIGTERM)
        _, log = server.communicate(timeout=30)
    assert server.returncode == 0
    assert 'baas_http_requests_total{method="POST",path="/dynamodb",status="200"} 2' in metrics
    assert 'baas_http_requests_total{method="GET",path="/dynamodb",status="200"}' in metrics
    assert "POST /dynamodb 200" in log
