"""``/healthz`` on a real uvicorn server."""

from __future__ import annotations

from pathlib import Path

import httpx

from baas.app import create_app
from baas.config import Settings
from tests.support import free_port, serve_in_thread


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
