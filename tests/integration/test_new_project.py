"""``baas new NAME``: a project that runs and whose tests pass, as generated.

Real subprocesses, as a user runs them: ``baas new demo``, then in ``demo/`` its own
pytest (on this session's Temporal server), ``baas check demo:app`` and ``baas dev``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support import free_port

BAAS = Path(sys.executable).parent / "baas"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAAS_", "PYTEST_"))}
    return {**env, **extra}


def _run(cwd: Path, *command: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=_env(**env), capture_output=True, text=True, timeout=300, check=False
    )


def test_a_new_project_passes_its_tests_checks_and_runs(
    tmp_path: Path, baas_temporal_address: str
) -> None:
    made = _run(tmp_path, str(BAAS), "new", "demo")
    assert made.returncode == 0, made.stderr
    project = tmp_path / "demo"
    assert "cd demo" in made.stdout
    assert (project / ".env").read_text().splitlines()[-1] == "BAAS_APP=demo:app"
    for name in ("models.py", "functions.py", "workflows.py"):
        assert (project / "demo" / name).is_file()
    assert not (project / "workflows.py").exists()  # nothing that shadows baas

    tests = _run(
        project, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        BAAS_TEST_TEMPORAL_ADDRESS=baas_temporal_address,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout

    check = _run(project, str(BAAS), "check", "demo:app")
    assert check.returncode == 0, check.stdout + check.stderr

    port = free_port()
    ports = {
        "BAAS_PORT": str(port),
        "BAAS_TEMPORAL_PORT": str(free_port()),
        "BAAS_TEMPORAL_UI_PORT": str(free_port()),
    }
    dev = subprocess.Popen(
        [str(BAAS), "dev"], cwd=project, env=_env(**ports),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        answer = None
        while time.monotonic() < deadline and dev.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            except httpx.TransportError:
                answer = None
            if answer is not None and answer.status_code == 200:
                break
            time.sleep(0.2)
        assert answer is not None, "baas dev never answered"
        assert answer.status_code == 200, answer.text
        # The app of the project's .env, loaded from the project folder.
        assert httpx.get(f"http://127.0.0.1:{port}/").json()["app"] == "demo"
    finally:
        dev.terminate()
        output, _ = dev.communicate(timeout=60)
    assert "baas dev is up with demo:app" in output


def test_new_refuses_a_name_that_would_collide_or_an_existing_folder(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    for name, expected in (
        ("my-app", "'my-app' is not a Python package name"),
        ("workflows", "'workflows' is taken"),
        ("json", "'json' is taken"),
        ("taken", "exists already"),
    ):
        ran = _run(tmp_path, str(BAAS), "new", name)
        assert ran.returncode == 1, name
        assert len(ran.stderr.splitlines()) == 1, ran.stderr
        assert expected in ran.stderr, ran.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["taken"]
