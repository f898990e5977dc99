"""``baas dev``: one command supervising the whole stack on a laptop.

The supervisor keeps the embedded Temporal dev server running and runs the API
(``baas serve``) and the worker (``baas worker``) as child processes, the shape
production runs. When a ``.py`` file of the application changes, it restarts both — the
edited function or workflow is live within seconds — while Temporal and its workflows
keep running.

Supervision (:mod:`baas.supervision`): once the stack is up, any part whose process
ends — Temporal, the API or the worker, killed or crashed — is started again, alone,
with one log line saying why (exit code or signal) and after a delay that doubles
while it keeps dying quickly (0.5 s, 1 s, 2 s ... at most 30 s). A healthy part is never stopped because another
died: while Temporal restarts, the API goes on serving reads, writes and sign-in, and
answers call fields with ``UNAVAILABLE``.

Start-up is tuned: Temporal needs ~0.2 s to boot and each of the two children about a
second to import its stack. The API is launched first and says on a pipe when it has
loaded the app; only then is Temporal launched, beside the rest of the API's start, so
a ``BAAS_APP`` that does not load (an import error, no App under that name) stops
everything with one line before Temporal ever runs. The worker follows once the API
answers. This module imports only light modules.

SIGINT or SIGTERM stops the children, then Temporal; all of them are also told by the
kernel to die with the supervisor, so even ``kill -9`` leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path

from watchfiles import PythonFilter, awatch

from baas.app_layout import check_app_layout
from baas.config import Settings
from baas.data_folder import prepare_data_folder
from baas.ports import require_free_ports
from baas.secret_key import load_secret_key
from baas.signals import StopRequested
from baas.supervision import APP_LOADED_OPTION, Child, Part, ended, keep
from baas.temporal_dev import EmbeddedTemporal

__all__ = ["run_dev_fast"]

_log = logging.getLogger("baas.dev")
_HEALTHY_WITHIN_SECONDS = 60.0


async def run_dev_fast(settings: Settings) -> int:
    """Check ports, start Temporal (unless configured) and the stack, supervise both."""
    settings.check_serving()
    if settings.app:
        # A wrong BAAS_APP is one line before anything starts, Temporal included.
        check_app_layout(settings.app, Path.cwd())
    ports = [(settings.host, settings.port, "BAAS_PORT")]
    if settings.dynamodb_port is not None:
        ports.append((settings.host, settings.dynamodb_port, "BAAS_DYNAMODB_PORT"))
    temporal: EmbeddedTemporal | None = None
    if settings.temporal_address is None:
        ports += [
            ("127.0.0.1", settings.temporal_port, "BAAS_TEMPORAL_PORT"),
            ("127.0.0.1", settings.temporal_ui_port, "BAAS_TEMPORAL_UI_PORT"),
        ]
        temporal = EmbeddedTemporal(
            host="127.0.0.1",
            port=settings.temporal_port,
            ui_port=settings.temporal_ui_port,
            db_path=settings.temporal_db_path,
            log_path=settings.data_dir / "temporal.log",
        )
    require_free_ports(ports)
    prepare_data_folder(settings.data_dir)
    # The children read the key the first start creates (the dev key file).
    load_secret_key(settings)
    stop = StopRequested()
    stop.install()
    stack = _Stack(settings, temporal)
    try:
        if not await stack.start(stop):
            return 0 if stop.event.is_set() else 1
        _print_banner(settings, embedded=temporal is not None)
        return await _supervise(settings, stack, stop)
    finally:
        await stack.stop()


async def _supervise(settings: Settings, stack: _Stack, stop: StopRequested) -> int:
    """Restart the API and worker on code changes until a stop signal.

    Parts that die are restarted by their keepers (:func:`baas.supervision.keep`).
    """
    changes: asyncio.Queue[set[str]] = asyncio.Queue()
    watcher = None
    if settings.reload and settings.app:
        folder, recursive = _watched(settings)
        watcher = asyncio.create_task(_watch(folder, changes, stop.event, recursive=recursive))
    try:
        while True:
            stopped = asyncio.ensure_future(stop.event.wait())
            changed = asyncio.ensure_future(changes.get())
            await asyncio.wait({stopped, changed}, return_when=asyncio.FIRST_COMPLETED)
            for pending in (stopped, changed):
                pending.cancel()
            if stop.event.is_set():
                return 0
            if changed.done() and not changed.cancelled():
                names = ", ".join(sorted(Path(p).name for p in changed.result()))
                _log.info("change in %s; restarting the API and worker", names)
                await stack.reload()
                if await stack.wait_healthy(stop, give_up_on_exit=False):
                    _log.info("reloaded")
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


class _TemporalPart:
    """The embedded Temporal dev server as a supervised part (same port, same state)."""

    name = "Temporal"

    def __init__(self, server: EmbeddedTemporal) -> None:
        self.server = server

    @property
    def process(self) -> asyncio.subprocess.Process | None:
        return self.server.process

    async def start(self) -> None:
        await self.server.launch()


class _Stack:
    """Temporal (when embedded), the API (``baas serve``) and the worker (``baas worker``).

    The same two processes production runs. At the first start the worker starts once
    the API answers: on two cores, importing both stacks at once would delay the API by
    the worker's second of imports, and nothing is lost meanwhile (calls wait in
    Temporal's task queue until the worker polls). A code change restarts both at
    once: measured here, both are back 2.1 s after the edit (the worker at 1.7 s),
    against 2.7 s one after the other. Each part gets its keeper once it is up.
    """

    def __init__(self, settings: Settings, temporal: EmbeddedTemporal | None) -> None:
        self.settings = settings
        self._temporal = temporal
        env = dict(os.environ)
        if temporal is not None:
            env["BAAS_TEMPORAL_ADDRESS"] = temporal.address
        self._api = Child("the API", "serve", env)
        self._worker = Child("the worker", "worker", env)
        self._keepers: dict[str, asyncio.Task[None]] = {}

    async def start(self, stop: StopRequested) -> bool:
        """Start every part; False if the API never became healthy (or a stop came)."""
        # Temporal once the API has loaded the app: an app that does not import, or
        # names no App, is one line before Temporal ever starts. The API says so on a
        # pipe as soon as it has the app, so Temporal's start (~0.1-0.4 s) still runs
        # beside the rest of the API's (the store, the schema, the server).
        if not await self._start_api_and_wait_for_the_app(stop):
            return self._first_start_failed()
        if self._temporal is not None:
            await self._temporal.launch()
            await self._temporal.wait_ready()
            self._keep(_TemporalPart(self._temporal))
        # A first start that fails (the app does not import) is reported, not retried.
        if not await self.wait_healthy(stop, give_up_on_exit=True):
            return self._first_start_failed()
        self._keep(self._api)
        await self._worker.start()
        self._keep(self._worker)
        return True

    async def reload(self) -> None:
        """Restart the API and the worker at once (new code); Temporal keeps running."""
        children = (self._api, self._worker)
        await asyncio.gather(*(self._unkeep(child.name) for child in children))
        await asyncio.gather(*(child.stop(15.0) for child in children))
        for child in children:
            await child.start()
            self._keep(child)

    async def _start_api_and_wait_for_the_app(self, stop: StopRequested) -> bool:
        """Start the API; True once it reports the app loaded, False if it exits (or a stop)."""
        read_end, write_end = os.pipe()
        try:
            await self._api.start(APP_LOADED_OPTION, str(write_end), pass_fds=(write_end,))
        finally:
            os.close(write_end)  # the child's copy is the only one: its exit is our EOF
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        transport, _protocol = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_end, "rb", 0)
        )
        try:
            said = asyncio.ensure_future(reader.read(1))
            stopped = asyncio.ensure_future(stop.event.wait())
            await asyncio.wait({said, stopped}, return_when=asyncio.FIRST_COMPLETED)
            for pending in (said, stopped):
                pending.cancel()
            if stopped.done():
                return False
        finally:
            transport.close()
        if said.result() == b"1":
            return True
        process = self._api.process  # the pipe closed: it is exiting
        if process is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 5.0)
        return False

    def _first_start_failed(self) -> bool:
        process = self._api.process
        if process is not None and process.returncode is not None:
            _log.error("the API stopped (%s)", ended(process.returncode))
        return False

    async def wait_healthy(self, stop: StopRequested, *, give_up_on_exit: bool) -> bool:
        """Poll /healthz until 200; False after a stop, a timeout, or (if asked) an exit."""
        deadline = asyncio.get_running_loop().time() + _HEALTHY_WITHIN_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            if stop.event.is_set() or (give_up_on_exit and self._api.exited()):
                return False
            if await _http_status(self.settings.host, self.settings.port, "/healthz") == 200:
                return True
            await asyncio.sleep(0.02)
        _log.error("the API did not become healthy within %g s", _HEALTHY_WITHIN_SECONDS)
        return False

    async def stop(self, grace: float = 15.0) -> None:
        """Stop supervising, then stop the API and worker, then Temporal."""
        await asyncio.gather(*(self._unkeep(name) for name in list(self._keepers)))
        await asyncio.gather(self._api.stop(grace), self._worker.stop(grace))
        if self._temporal is not None:
            await self._temporal.stop()

    def _keep(self, part: Part) -> None:
        self._keepers[part.name] = asyncio.create_task(keep(part), name=f"keep {part.name}")

    async def _unkeep(self, name: str) -> None:
        keeper = self._keepers.pop(name, None)
        if keeper is not None:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper


async def _http_status(host: str, port: int, path: str) -> int | None:
    """The status of a plain GET, without importing an HTTP client (start-up time)."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1.0)
    except (OSError, TimeoutError):
        return None
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 5.0)
        parts = status_line.split()
        return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None
    except (OSError, TimeoutError):
        return None
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def _watched(settings: Settings) -> tuple[Path, bool]:
    """The folder to watch for BAAS_APP's code, and whether to watch below it.

    A folder, never a file: an atomic save (``sed -i``, an editor's safe-write, ``git
    checkout``) puts a new file in the old one's place, and a watch on the file itself
    follows the old file, so every later edit would go unseen. A package is watched
    whole; a single-file app through its folder, not below it (that folder may be the
    whole project, virtual environment included): the module and its siblings.
    """
    module = (settings.app or "").partition(":")[0]
    top = Path.cwd() / module.split(".")[0]
    return (top, True) if top.is_dir() else (top.parent, False)


async def _watch(
    folder: Path, changes: asyncio.Queue[set[str]], stop: asyncio.Event, *, recursive: bool
) -> None:
    """Put each batch of changed ``.py`` paths under ``folder`` on ``changes``."""
    async for batch in awatch(
        folder, watch_filter=PythonFilter(), stop_event=stop, debounce=300, recursive=recursive
    ):
        await changes.put({changed for _change, changed in batch})


def _print_banner(settings: Settings, *, embedded: bool) -> None:
    base = f"http://{settings.host}:{settings.port}"
    lines = [
        f"baas dev is up{f' with {settings.app}' if settings.app else ''}",
        f"  API          {base}/",
        f"  GraphQL      {base}/graphql",
        f"  Health       {base}/healthz",
        f"  DynamoDB     {base}/dynamodb (SigV4; keys from `baas keys create`)",
    ]
    if settings.serves_metrics:
        lines.append(f"  Metrics      {base}/metrics")
    if settings.serves_console:
        lines.append(f"  Console      {base}/console")
    lines.append(f"  Temporal     {settings.temporal_target}")
    if embedded:
        lines.append(f"  Temporal UI  http://127.0.0.1:{settings.temporal_ui_port}")
    if settings.reload and settings.app:
        lines.append("Edits to the app reload the API and worker.")
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)  # noqa: T201 (the CLI's own output)
