"""Browser apps on configured origins may call the API; other origins may not."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from baas.app import create_app
from baas.config import Settings
from tests.support import free_port, serve_in_thread

ALLOWED = "https://board.example"


def _preflight(
    base: str, origin: str, headers: str = "authorization,content-type"
) -> httpx.Response:
    return httpx.options(
        f"{base}/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": headers,
        },
    )


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env(
        {
            "BAAS_DATA_DIR": str(tmp_path),
            "BAAS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
            "BAAS_CORS_ORIGINS": ALLOWED,
            **env,
        }
    )


def test_only_configured_origins_pass_cors(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "BAAS_DATA_DIR": str(tmp_path),
            "BAAS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
            "BAAS_CORS_ORIGINS": ALLOWED,
        }
    )
    with serve_in_thread(create_app(settings)) as base:
        allowed = _preflight(base, ALLOWED)
        refused = _preflight(base, "https://evil.example")
        simple = httpx.get(f"{base}/healthz", headers={"Origin": ALLOWED})

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert simple.headers["access-control-allow-origin"] == ALLOWED


def test_no_cors_headers_without_configured_origins(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"BAAS_DATA_DIR": str(tmp_path), "BAAS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}"}
    )
    with serve_in_thread(create_app(settings)) as base:
        response = httpx.get(f"{base}/healthz", headers={"Origin": ALLOWED})
    assert "access-control-allow-origin" not in response.headers


def test_tracing_and_client_name_headers_pass_the_preflight_by_default(tmp_path: Path) -> None:
    # What Sentry, OpenTelemetry and Apollo Client add to a frontend's requests.
    sent = "authorization,content-type,traceparent,tracestate,baggage,sentry-trace,"
    sent += "apollographql-client-name,apollographql-client-version"
    with serve_in_thread(create_app(_settings(tmp_path))) as base:
        response = _preflight(base, ALLOWED, sent)
        unknown = _preflight(base, ALLOWED, "content-type,x-custom-thing")
    assert response.status_code == 200
    allowed = response.headers["access-control-allow-headers"].lower()
    for header in sent.split(","):
        assert header in allowed
    assert unknown.status_code == 400


def test_the_allowed_headers_are_configurable(tmp_path: Path) -> None:
    settings = _settings(tmp_path, BAAS_CORS_HEADERS="x-custom-thing")
    with serve_in_thread(create_app(settings)) as base:
        custom = _preflight(base, ALLOWED, "authorization,content-type,x-custom-thing")
        dropped = _preflight(base, ALLOWED, "content-type,traceparent")
    assert custom.status_code == 200  # baas's own headers stay allowed
    assert dropped.status_code == 400


def test_a_refused_preflight_says_which_setting_would_allow_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    unconfigured = Settings.from_env(
        {"BAAS_DATA_DIR": str(tmp_path), "BAAS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}"}
    )
    with caplog.at_level(logging.WARNING, logger="baas.cors"):
        with serve_in_thread(create_app(unconfigured)) as base:
            bare = _preflight(base, ALLOWED)  # was a bare 405
        with serve_in_thread(create_app(_settings(tmp_path / "configured"))) as base:
            other = _preflight(base, "https://evil.example")
            header = _preflight(base, ALLOWED, "content-type,x-custom-thing")

    answers = [bare, other, header]
    assert [answer.status_code for answer in answers] == [400, 400, 400]
    assert all("access-control-allow-origin" not in answer.headers for answer in answers)
    errors = [answer.json()["error"] for answer in answers]
    assert {error["code"] for error in errors} == {"cors_not_allowed"}
    assert all(error["request_id"] for error in errors)
    assert errors[0]["message"] == (
        f"The origin {ALLOWED} may not call this API from a browser: add it to "
        "BAAS_CORS_ORIGINS (comma-separated; now empty)."
    )
    assert errors[1]["message"] == (
        "The origin https://evil.example may not call this API from a browser: add it to "
        f"BAAS_CORS_ORIGINS (comma-separated; now {ALLOWED})."
    )
    assert errors[2]["message"] == (
        "The request header(s) x-custom-thing may not be sent from a browser: add them to "
        "BAAS_CORS_HEADERS (comma-separated)."
    )
    logged = [r.getMessage() for r in caplog.records if r.name == "baas.cors"]
    assert logged == [f"CORS preflight to /graphql refused: {e['message']}" for e in errors]
