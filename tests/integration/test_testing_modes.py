"""``baas.testing`` in an app's own suite, under each of pytest-asyncio's modes.

pytest-asyncio's default mode is *strict*: it runs only the async fixtures declared with
its own decorator. The harness's fixtures were plain ``@pytest.fixture``, so a user's
suite failed ("requested an async fixture 'baas_client', with no plugin or hook that
handled it") even with ``@pytest.mark.asyncio``. A small project's suite runs in a real
pytest subprocess here, on this session's Temporal server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

_FILES = {
    "notes/__init__.py": """
from dataclasses import dataclass

from baas import App, Context, function

app = App("notes")


@dataclass(frozen=True)
class Note:
    text: str


@function(timeout=10)
async def shout(ctx: Context, inp: Note) -> Note:
    return Note(inp.text.upper())


app.function(shout)
""",
    "conftest.py": """
import pytest

from baas import App
from notes import app

pytest_plugins = ["baas.testing"]


@pytest.fixture
def baas_app() -> App:
    return app
""",
    "test_notes.py": """
import pytest

from baas import Caller, result
from baas.testing import AppHarness
from notes import Note, shout


@pytest.mark.asyncio
async def test_a_function_runs_on_the_harness(baas: AppHarness) -> None:
    call_id = await baas.start(shout, Note("hi"), Caller.user("ada"))
    assert await result(baas.client, call_id, Note) == Note("HI")
""",
}


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_the_fixtures_work_in_both_pytest_asyncio_modes(
    tmp_path: Path, baas_temporal_address: str, mode: str
) -> None:
    for name, text in _FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text.lstrip())
    (tmp_path / "pytest.ini").write_text(
        f"[pytest]\nasyncio_mode = {mode}\nasyncio_default_fixture_loop_scope = function\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAAS_", "PYTEST_"))}
    env["BAAS_TEST_TEMPORAL_ADDRESS"] = baas_temporal_address

    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 passed" in ran.stdout
