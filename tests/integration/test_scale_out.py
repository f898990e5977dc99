"""Several API processes behind one balancer: tokens are valid on every one of them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from baas.app import create_app
from baas.config import Settings
from tests.support import TEST_SECRET_KEY, free_port, serve_in_thread

BAAS = Path(sys.executable).parent / "baas"
VIEWER = {"query": "{ viewer { userId } }"}


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_prod_refuses_to_start_without_a_public_url(tmp_path: Path, command: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAAS_")}
    env.update(
        BAAS_ENV="prod",
        BAAS_DATA_DIR=str(tmp_path),
        BAAS_PORT=str(free_port()),
        BAAS_TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
    )
    result = subprocess.run(
        [str(BAAS), command], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("baas: BAAS_PUBLIC_URL: required when BAAS_ENV=prod")
    assert not (tmp_path / "baas.sqlite3").exists(), "nothing should have started"


def test_two_api_processes_with_one_public_url_accept_each_others_tokens(tmp_path: Path) -> None:
    def settings(port: int) -> Settings:
        return Settings.from_env(
            {
                "BAAS_ENV": "prod",
                "BAAS_PUBLIC_URL": "https://api.example.com",
                "BAAS_SECRET_KEY": TEST_SECRET_KEY,
                "BAAS_PORT": str(port),
                "BAAS_DATA_DIR": str(tmp_path),
                "BAAS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
            }
        )

    first_port, second_port = free_port(), free_port()
    first, second = create_app(settings(first_port)), create_app(settings(second_port))
    with (
        serve_in_thread(first, first_port) as first_url,
        serve_in_thread(second, second_port) as second_url,
    ):
        token = first.state.services.tokens.issue_access_token("user-1").token
        headers = {"Authorization": f"Bearer {token}"}
        answers = [
            httpx.post(f"{url}/graphql", json=VIEWER, headers=headers, timeout=10)
            for url in (first_url, second_url)
        ]
    assert [a.json()["data"]["viewer"]["userId"] for a in answers] == ["user-1", "user-1"]
