"""A PostgreSQL store that goes away: 503 with the reason, then recovery without a restart.
Limits that need the store fail closed meanwhile (a sign-in, a GraphQL cost budget lease).

The API reaches PostgreSQL through a TCP proxy the test cuts and restores. Starting
against an unreachable server or with a malformed URL is a one-line error naming
BAAS_STORE_URL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from baas.app import create_app
from baas.config import Settings
from tests.postgres_server import drop_schema, schema_name
from tests.support import TEST_SECRET_KEY, free_port, serve_in_thread
from tests.tcp_proxy import TcpProxy, tcp_proxy

ROOT = Path(__file__).resolve().parents[2]
VIEWER = {"query": "{ viewer { userId } }"}
GRAPHQL_RESPONSE = {"Accept": "application/graphql-response+json"}


@pytest.fixture
def proxied_store(postgres_url: str) -> Iterator[tuple[TcpProxy, str]]:
    """A proxy in front of the test database, and the store URL through it."""
    parts = urlsplit(postgres_url)
    schema = schema_name()
    with tcp_proxy(parts.hostname or "127.0.0.1", parts.port or 5432) as proxy:
        netloc = f"{parts.username + '@' if parts.username else ''}127.0.0.1:{proxy.port}"
        url = urlunsplit((parts.scheme, netloc, parts.path, f"schema={schema}", ""))
        try:
            yield proxy, url
        finally:
            drop_schema(postgres_url, schema)


def _wait_for(check: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.2)


def test_a_lost_database_is_503_with_the_reason_and_the_api_recovers_by_itself(
    proxied_store: tuple[TcpProxy, str], tmp_path: Path
) -> None:
    proxy, url = proxied_store
    settings = Settings.from_env(
        {
            "BAAS_STORE_URL": url,
            "BAAS_DATA_DIR": str(tmp_path),
            "BAAS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
            "BAAS_SECRET_KEY": TEST_SECRET_KEY,
        }
    )
    with serve_in_thread(create_app(settings)) as base, httpx.Client(base_url=base) as client:
        assert client.get("/healthz").json()["checks"]["storage"] == {"status": "ok"}

        proxy.cut()
        health = client.get("/healthz", timeout=15)
        assert health.status_code == 503
        reason = health.json()["checks"]["storage"]["reason"]
        assert f"PostgreSQL at postgresql://127.0.0.1:{proxy.port}/" in reason
        assert reason.endswith("is not available")
        refused = client.post("/auth/anonymous", json={}, timeout=15)
        assert refused.status_code == 503  # retry later, never a 500
        assert refused.headers["retry-after"].isdigit()
        assert "postgres" not in refused.text.lower()  # nothing of the database leaks
        # A GraphQL caller without a lease of their cost budget: fail closed, the same way.
        leasing = client.post("/graphql", json=VIEWER, headers=GRAPHQL_RESPONSE, timeout=15)
        assert leasing.status_code == 503
        assert leasing.headers["retry-after"].isdigit()
        assert [e["extensions"]["code"] for e in leasing.json()["errors"]] == ["UNAVAILABLE"]
        assert "postgres" not in leasing.text.lower()

        proxy.restore()
        _wait_for(lambda: client.get("/healthz").json()["checks"]["storage"] == {"status": "ok"})
        assert client.post("/auth/anonymous", json={}).status_code == 201
        assert "errors" not in client.post("/graphql", json=VIEWER).json()


def _serve(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "baas"), "serve"],
        cwd=ROOT,
        env={
            **os.environ,
            "BAAS_DATA_DIR": str(tmp_path),
            "BAAS_PORT": str(free_port()),
            "BAAS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_unreachable_database_at_start_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    closed = f"postgresql://baas:s3cret@127.0.0.1:{free_port()}/app"
    started = _serve({"BAAS_STORE_URL": closed}, tmp_path)
    assert started.returncode == 1
    lines = started.stderr.strip().splitlines()
    assert lines[-1].startswith("baas: BAAS_STORE_URL: cannot open the PostgreSQL at ")
    assert "Traceback" not in started.stderr
    assert "s3cret" not in started.stderr  # the password never reaches a message


@pytest.mark.parametrize(
    "url", ["mysql://127.0.0.1/app", "sqlite://", "postgresql:///no-host", "not a url"]
)
def test_a_malformed_store_url_is_one_line_naming_the_setting(url: str, tmp_path: Path) -> None:
    started = _serve({"BAAS_STORE_URL": url}, tmp_path)
    assert started.returncode == 1
    assert started.stderr.strip().startswith("baas: BAAS_STORE_URL: give a ")
    assert len(started.stderr.strip().splitlines()) == 1
