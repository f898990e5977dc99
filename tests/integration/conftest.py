"""Fixtures shared by the integration tests: one real Temporal dev server per session.

The server is the real ``temporal`` binary of the venv (what ``baas dev`` embeds),
started once on a free port with an in-memory-like temp database; each test gets a
fresh task queue so tests never see each other's workflows. The server is started
with a plain subprocess (not asyncio) so it does not belong to any test's event loop.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.client import Client

from baas.temporal_dev import EmbeddedTemporal
from tests.support import free_port, port_accepts
from workflows import CallerInterceptor, baas_data_converter


@pytest.fixture(scope="session")
def temporal_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``host:port`` of a Temporal dev server that lives for the whole test session."""
    data = tmp_path_factory.mktemp("temporal")
    server = EmbeddedTemporal(
        host="127.0.0.1",
        port=free_port(),
        ui_port=None,
        db_path=data / "temporal.sqlite3",
        log_path=data / "temporal.log",
    )
    with (data / "temporal.log").open("ab") as log:
        process = subprocess.Popen(
            server.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_accepting(server.port, process, data / "temporal.log")
        yield server.address
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_accepting(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while not port_accepts(port):
        if process.poll() is not None:
            raise RuntimeError(f"temporal dev server exited; see {log}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"temporal dev server did not start; see {log}")
        time.sleep(0.05)


@pytest.fixture
async def temporal_client(temporal_address: str) -> Client:
    """A client configured like baas's own (caller interceptor, pydantic converter)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return await Client.connect(
                temporal_address,
                data_converter=baas_data_converter(),
                interceptors=[CallerInterceptor()],
            )
        except RuntimeError:
            # The port opens a moment before the frontend reports healthy.
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


@pytest.fixture
def task_queue() -> str:
    """A task queue no other test uses."""
    return f"test-{uuid.uuid4().hex}"
