"""``baas schema export`` writes what a running server's introspection answers.

The command runs in a subprocess, as a user runs it, in a production configuration
(introspection off, no secret key, no store, Temporal unreachable); the server it is
compared with is the example app served in dev by a real uvicorn, asked with the
standard introspection query. Both formats, and a bad app in one line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from graphql import build_client_schema, get_introspection_query, print_schema

from baas.graphql.app_schema import INTROSPECTION_OPTIONS
from examples.board import app as board_app
from tests.integration.graphql.server import serve_api

BAAS = Path(sys.executable).parent / "baas"
ROOT = Path(__file__).parents[3]


def _export(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BAAS_")}
    return subprocess.run(
        [str(BAAS), "schema", "export", *args],
        cwd=ROOT,
        # prod: introspection off; a data folder with no store and no key in it.
        env={
            **clean,
            "BAAS_ENV": "prod",
            "BAAS_DATA_DIR": str(folder),
            "BAAS_TEMPORAL_ADDRESS": "127.0.0.1:1",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def served_introspection(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The example app's introspection as a dev server answers it."""
    with serve_api(tmp_path_factory.mktemp("export"), app=board_app) as api:
        query = get_introspection_query(
            **{
                k: v
                for k, v in INTROSPECTION_OPTIONS.items()
                if k != "experimental_directive_deprecation"
            }
        )
        response = httpx.post(api.graphql, json={"query": query}, timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    data: dict[str, object] = body["data"]
    return data


def test_json_export_is_the_servers_introspection(
    tmp_path: Path, served_introspection: dict[str, object]
) -> None:
    target = tmp_path / "schema.json"
    ran = _export(
        tmp_path, "--format", "json", "--output", str(target), BAAS_APP="examples.board:app"
    )
    assert ran.returncode == 0, ran.stderr
    exported = json.loads(target.read_text())
    assert exported == {"data": served_introspection}
    names = {kind["name"] for kind in exported["data"]["__schema"]["types"]}
    assert {"Board", "Todo", "TodoPage", "Query", "Mutation", "Subscription"} <= names
    assert not (tmp_path / "baas.sqlite3").exists()  # no store was opened


def test_sdl_export_is_the_servers_schema(
    tmp_path: Path, served_introspection: dict[str, object]
) -> None:
    ran = _export(tmp_path, "--app", "examples.board:app")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == print_schema(build_client_schema(served_introspection)) + "\n"  # type: ignore[arg-type]
    assert "type Board {" in ran.stdout
    assert "todos(" in ran.stdout  # a relation field, with its arguments


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--app", "examples.board:nope"), "defines no 'nope'"),
        (("--app", "no_such_module:app"), "no module 'no_such_module'"),
        (("--app", "examples.board"), "expected 'module:attribute'"),
        ((), "name the app with --app or BAAS_APP"),
    ],
)
def test_a_bad_app_is_one_line_and_a_failing_exit(
    tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    ran = _export(tmp_path, *args)
    assert ran.returncode != 0
    assert ran.stdout == ""
    lines = ran.stderr.splitlines()
    assert len(lines) == 1, ran.stderr
    assert expected in lines[0]
    assert "Traceback" not in ran.stderr
