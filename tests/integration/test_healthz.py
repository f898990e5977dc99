"""``/healthz`` on a real uvicorn server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from baas.app import create_app
from baas.config import Settings
from baas.temporal_client import TemporalConnection
from tests.support import TEST_CALLER_SIGNER, TEST_SECRET_KEY, free_port, serve_in_thread


def test_healthz_is_503_with_a_reason_when_temporal_is_unreachable(tmp_path: Path) -> None:
    unreachable = f"127.0.0.1:{free_port()}"
    settings = Settings.from_env(
        {"BAAS_TEMPORAL_ADDRESS": unreachable, "BAAS_DATA_DIR": str(tmp_path)}
    )
    with serve_in_thread(create_app(settings)) as base:
        response = httpx.get(f"{base}/healthz", timeout=10)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["storage"] == {"status": "ok"}
    assert body["checks"]["temporal"] == {
        "status": "error",
        "reason": f"Temporal at {unreachable} is unreachable",
    }
    assert response.headers["cache-control"] == "no-store"


def test_unknown_route_gets_the_error_shape_with_request_id(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"BAAS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}", "BAAS_DATA_DIR": str(tmp_path)}
    )
    with serve_in_thread(create_app(settings)) as base:
        response = httpx.get(f"{base}/no-such-page", headers={"X-Request-Id": "client-chosen-id"})

    assert response.status_code == 404
    assert response.headers["x-request-id"] == "client-chosen-id"
    assert response.json() == {
        "error": {"code": "not_found", "message": "Not Found", "request_id": "client-chosen-id"}
    }


async def test_health_check_does_not_wait_behind_a_worker_still_connecting() -> None:
    connection = TemporalConnection(f"127.0.0.1:{free_port()}", "default", TEST_CALLER_SIGNER)
    connecting = asyncio.create_task(connection.connect())
    await asyncio.sleep(0.3)  # the worker's connect is now retrying
    try:
        # Bounded only to turn a hang into a failure; the answer comes at once.
        reason = await asyncio.wait_for(connection.check(), 20)
    finally:
        connecting.cancel()
    assert reason is not None
    assert reason.endswith("is unreachable")


def test_metrics_count_the_requests_served(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"BAAS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}", "BAAS_DATA_DIR": str(tmp_path)}
    )
    with serve_in_thread(create_app(settings)) as base:
        for _ in range(3):
            httpx.get(f"{base}/")
        httpx.get(f"{base}/no-such-page?token=secret")
        response = httpx.get(f"{base}/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert 'baas_http_requests_total{method="GET",path="/",status="200"} 3' in text
    assert 'baas_http_requests_total{method="GET",path="other",status="404"} 1' in text
    assert "baas_http_requests_in_flight 1" in text  # the /metrics request itself
    assert "secret" not in text
    assert "no-such-page" not in text


def test_metrics_are_off_in_prod_unless_asked_for(tmp_path: Path) -> None:
    base_env = {
        "BAAS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "BAAS_DATA_DIR": str(tmp_path),
        "BAAS_ENV": "prod",
        "BAAS_SECRET_KEY": TEST_SECRET_KEY,
        "BAAS_AUTH_PUBLIC_URL": "https://api.example.com",
    }
    with serve_in_thread(create_app(Settings.from_env(base_env))) as base:
        assert httpx.get(f"{base}/metrics").status_code == 404
    enabled = Settings.from_env({**base_env, "BAAS_METRICS": "true"})
    with serve_in_thread(create_app(enabled)) as base:
        assert httpx.get(f"{base}/metrics").status_code == 200
