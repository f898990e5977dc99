"""``baas dev`` as a user runs it: a real subprocess with a real Temporal dev server."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from temporalio.client import Client

from tests.support import descendants, free_port, is_alive, port_accepts

ROOT = Path(__file__).resolve().parents[2]
BAAS = Path(sys.executable).parent / "baas"


def _env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAAS_")}
    env.update(
        BAAS_APP="examples.board:app",
        BAAS_DATA_DIR=str(tmp_path / "data"),
        BAAS_PORT=str(free_port()),
        BAAS_TEMPORAL_PORT=str(free_port()),
        BAAS_TEMPORAL_UI_PORT=str(free_port()),
    )
    env.update(overrides)
    return env


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    env = _env(tmp_path)
    # A data folder an earlier version (or a careless copy) left open to other users.
    data = Path(env["BAAS_DATA_DIR"])
    (data / "outbox").mkdir(parents=True)
    (data / "outbox" / "old.eml").write_text("Your code is 12345678")
    for path, mode in (
        (data, 0o755),
        (data / "outbox", 0o755),
        (data / "outbox" / "old.eml", 0o644),
    ):
        path.chmod(mode)
    with baas_dev(env) as process:
        yield process, env


@contextlib.contextmanager
def baas_dev(env: dict[str, str], log: IO[str] | None = None) -> Iterator[subprocess.Popen[str]]:
    """``baas dev`` started as a user runs it, its output piped (or written to ``log``,
    for a long test whose output could fill a pipe); killed at the end if the test has
    not stopped it."""
    process = subprocess.Popen(
        [str(BAAS), "dev"],
        cwd=ROOT,
        env=env,
        stdout=log or subprocess.PIPE,
        stderr=log or subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def _wait_healthy(url: str, process: subprocess.Popen[str], within: float = 60) -> httpx.Response:
    deadline = time.monotonic() + within
    response = None
    while time.monotonic() < deadline and process.poll() is None:
        try:
            response = httpx.get(url, timeout=2)
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 200:
            return response
        time.sleep(0.1)
    process.kill()
    _out, err = process.communicate(timeout=30)
    last = response.text if response is not None else "no answer"
    raise AssertionError(f"baas dev never answered 200 on /healthz ({last}); stderr:\n{err}")


async def _ping(address: str, task_queue: str) -> str:
    client = await Client.connect(address)
    return await client.execute_workflow(
        "baas.Ping", "hello", id=f"ping-{uuid.uuid4()}", task_queue=task_queue
    )


def test_dev_serves_runs_workflows_and_stops_without_leftovers(
    dev: tuple[subprocess.Popen[str], dict[str, str]],
) -> None:
    process, env = dev
    ports = [int(env[k]) for k in ("BAAS_PORT", "BAAS_TEMPORAL_PORT", "BAAS_TEMPORAL_UI_PORT")]
    health = _wait_healthy(f"http://127.0.0.1:{env['BAAS_PORT']}/healthz", process)

    assert health.json()["checks"] == {"storage": {"status": "ok"}, "temporal": {"status": "ok"}}
    assert len(health.headers["x-request-id"]) >= 8
    # The worker inside baas dev answers a workflow started from outside.
    reply = asyncio.run(_ping(f"127.0.0.1:{env['BAAS_TEMPORAL_PORT']}", "baas"))
    assert reply == "hello"
    children = descendants(process.pid)
    # The embedded Temporal server, `baas serve` and `baas worker`.
    assert len(children) >= 3, children
    assert all(port_accepts(port) for port in ports)
    # Everything in the data folder is private: what was there, and what dev created
    # (the key file, the store and its WAL, Temporal's database and log).
    data = Path(env["BAAS_DATA_DIR"])
    modes = {
        str(path.relative_to(data)): stat.S_IMODE(path.stat().st_mode)
        for path in (data, *data.rglob("*"))
    }
    for name in ("secret.key", "baas.sqlite3", "baas.sqlite3-wal", "temporal.sqlite3"):
        assert modes.get(name) == 0o600, (name, modes)
    assert modes["."] == 0o700
    assert not [name for name, mode in modes.items() if mode & 0o077], modes

    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)

    assert process.returncode == 0, err
    assert f"tightened the modes of 3 entries in {data}" in err
    assert f"http://127.0.0.1:{env['BAAS_PORT']}/graphql" in out
    assert f"http://127.0.0.1:{env['BAAS_PORT']}/metrics" in out
    assert f"http://127.0.0.1:{env['BAAS_PORT']}/console" in out  # the README's banner
    assert "Traceback" not in err
    leftovers = {pid for pid in children if is_alive(pid)}
    assert not leftovers, f"processes left behind: {leftovers}"
    assert not any(port_accepts(port) for port in ports)


def test_dev_refuses_a_taken_port_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        env = _env(tmp_path, BAAS_PORT=str(taken))
        result = subprocess.run(
            [str(BAAS), "dev"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"baas: port {taken} on 127.0.0.1 is already in use (set BAAS_PORT to use another)"
    ]
    assert not (tmp_path / "data" / "temporal.sqlite3").exists(), "nothing should have started"


def test_dev_refuses_a_bad_setting_naming_the_variable(tmp_path: Path) -> None:
    env = _env(tmp_path, BAAS_PORT="eighty")
    result = subprocess.run(
        [str(BAAS), "dev"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "baas: BAAS_PORT: expected a port number from 1 to 65535, got 'eighty'"
    ]


RELOAD_APP = """
from dataclasses import dataclass

from baas.application import App, allow_call
from functions import Context, function


@dataclass
class Probe:
    version: str = ""


@function(timeout=10, retries=0)
async def reload_probe(ctx: Context, inp: Probe) -> Probe:
    return Probe("VERSION")


app = App("VERSION")
app.function(reload_probe, rules=[allow_call.public(operations=["start"])])
"""
PROBE = "mutation { startReloadProbe(input: {}, wait: true) { status result } }"


def _probe_version(base: str) -> str | None:
    """What the worker's code of reload_probe answers (its function processes run it)."""
    with contextlib.suppress(httpx.TransportError, ValueError):
        answer = httpx.post(f"{base}/graphql", json={"query": PROBE}, timeout=30).json()
        call = (answer.get("data") or {}).get("startReloadProbe") or {}
        if call.get("status") == "COMPLETED":
            return str(call["result"]["version"])
    return None


def test_dev_reloads_when_the_app_changes(tmp_path: Path) -> None:
    package = tmp_path / "reloadapp"
    package.mkdir()
    source = package / "__init__.py"
    source.write_text(RELOAD_APP.replace("VERSION", "before"))
    env = _env(tmp_path, BAAS_APP="reloadapp:app")
    process = subprocess.Popen(
        [str(BAAS), "dev"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{env['BAAS_PORT']}"
    try:
        _wait_healthy(f"{base}/healthz", process)
        assert httpx.get(f"{base}/").json()["app"] == "before"
        _until("the function answers", lambda: _probe_version(base) == "before")

        source.write_text(RELOAD_APP.replace("VERSION", "after"))
        deadline = time.monotonic() + 60
        seen = "before"
        while seen != "after" and time.monotonic() < deadline:
            time.sleep(0.2)
            try:
                seen = httpx.get(f"{base}/", timeout=2).json()["app"]
            except httpx.TransportError:
                continue
        assert seen == "after", "the edited app was not served"
        # The restarted worker's pool runs the edited function.
        _until("the edited function runs", lambda: _probe_version(base) == "after")
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 0


RELEASE = """mutation($input: JSON!) {
  startReleaseBoard(input: $input, wait: true) { status result } }"""
EMAIL, PASSWORD = "ops@example.com", "a long admin password"


def _part_pids(dev_pid: int) -> dict[str, int]:
    """The pids of Temporal, the API and the worker under ``baas dev``."""
    parts: dict[str, int] = {}
    for pid in descendants(dev_pid):
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if any(arg.endswith(b"temporal") for arg in command[:1]):
                parts["temporal"] = pid
            elif command[1:4] in ([b"-m", b"baas", b"serve"], [b"-m", b"baas", b"worker"]):
                parts[command[3].decode()] = pid
    return parts


def _restarted(dev_pid: int, before: dict[str, int], part: str) -> bool:
    return _part_pids(dev_pid).get(part, before[part]) != before[part]


def _until(what: str, check: Callable[[], bool], within: float = 60) -> None:
    """Wait for ``check()`` to hold (polling), failing with ``what`` after ``within`` s."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"{what} within {within:g} s"
        time.sleep(0.1)


class _Service:
    """What a user of ``baas dev`` relies on, each check True when it works."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token = ""

    def healthy(self) -> bool:
        with contextlib.suppress(httpx.TransportError):
            return httpx.get(f"{self.base}/healthz", timeout=5).status_code == 200
        return False

    def signs_in(self) -> bool:
        body = {"email": EMAIL, "password": PASSWORD}
        with contextlib.suppress(httpx.TransportError):
            answer = httpx.post(f"{self.base}/auth/signin", json=body, timeout=10)
            if answer.status_code == 200:
                self.token = answer.json()["access_token"]
                return True
        return False

    def _graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"}
        json = {"query": query, "variables": variables}
        with contextlib.suppress(httpx.TransportError):
            answer = httpx.post(f"{self.base}/graphql", json=json, headers=headers, timeout=40)
            body: dict[str, Any] = answer.json()
            return body
        return {}

    def reads(self) -> bool:
        return self._graphql('{ getBoard(id: "none") { id } }').get("data") == {"getBoard": None}

    def calls(self) -> bool:
        body = self._graphql(RELEASE, input={"board_id": "b1", "previous_status": "active"})
        call = (body.get("data") or {}).get("startReleaseBoard") or {}
        return call.get("status") == "COMPLETED"


def test_dev_restarts_any_part_that_dies_and_never_stops_a_healthy_one(tmp_path: Path) -> None:
    env = _env(tmp_path, BAAS_RELOAD="false", BAAS_ARGON2_TIME_COST="1")
    made = subprocess.run(
        [str(BAAS), "users", "create-admin", "--email", EMAIL, "--create"],
        input=f"{PASSWORD}\n", env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    log = tmp_path / "dev.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [str(BAAS), "dev"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
    service = _Service(f"http://127.0.0.1:{env['BAAS_PORT']}")
    try:
        _until("baas dev is up", service.healthy)
        _until("sign-in works", service.signs_in)
        for part in ("temporal", "worker", "serve"):
            before = _part_pids(process.pid)
            os.kill(before[part], signal.SIGKILL)
            _until(f"{part} is restarted", functools.partial(_restarted, process.pid, before, part))
            after = _part_pids(process.pid)
            # Nothing else was stopped or restarted because one part died.
            del before[part], after[part]
            assert after == before
            _until(f"health after {part} died", service.healthy)
            assert service.signs_in()
            assert service.reads()
            _until(f"a function call after {part} died", service.calls)
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    assert process.returncode == 0
    text = log.read_text()
    for name in ("Temporal", "the worker", "the API"):
        assert f"{name} was killed by SIGKILL; restarting it in" in text, text[-3000:]
