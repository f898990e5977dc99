"""Supervising child processes: start one again whenever it ends.

A supervisor (``baas dev``) gives each part of its stack a keeper (:func:`keep`) once
the part is up. The keeper waits for the part's process to end, logs one line saying
why (its exit code, or the signal that killed it), waits, and starts the part again.
The delay doubles while the part keeps dying soon after its start (0.5 s, 1 s, 2 s ...
at most 30 s), so a crash loop stays cheap; a part that ran for a while is restarted
after the first delay again. Nothing else is touched: the other parts keep running.

This module imports only light modules (``baas dev`` starts fast).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
from typing import Protocol

from baas.errors import BaasError
from baas.temporal_dev import die_with_parent, terminate

__all__ = ["APP_LOADED_OPTION", "Child", "Part", "ended", "keep", "report_app_loaded"]

# `baas dev` starts its API with this option and the write end of a pipe: the API writes
# one byte there once it has loaded the app, and dev starts Temporal then (not before:
# a bad BAAS_APP stops everything before Temporal ever runs).
APP_LOADED_OPTION = "--report-app-loaded"


def report_app_loaded(fd: int) -> None:
    """Tell the supervisor on ``fd`` (from :data:`APP_LOADED_OPTION`) that the app loaded."""
    with contextlib.suppress(OSError):  # a supervisor that went away needs no answer
        os.write(fd, b"1")
    with contextlib.suppress(OSError):
        os.close(fd)


_log = logging.getLogger("baas.dev")
_FIRST_RESTART_DELAY = 0.5
_MAX_RESTART_DELAY = 30.0
# A part that ran this long before dying is restarted after the first delay again.
_STABLE_SECONDS = 30.0


class Part(Protocol):
    """A supervised child process: what :func:`keep` needs of one."""

    name: str

    @property
    def process(self) -> asyncio.subprocess.Process | None: ...

    async def start(self) -> None: ...


async def keep(part: Part) -> None:
    """Start ``part`` again whenever its process ends (cancel the task to stop).

    One log line per restart, with the reason; the delay doubles while the part keeps
    dying within ``_STABLE_SECONDS`` of its start, so a crash loop stays cheap.
    """
    loop = asyncio.get_running_loop()
    quick_deaths = 0
    while True:
        started = loop.time()
        process = part.process
        reason = "did not start"
        if process is not None:
            await process.wait()
            reason = ended(process.returncode)
        quick_deaths = quick_deaths + 1 if loop.time() - started < _STABLE_SECONDS else 1
        delay = min(_MAX_RESTART_DELAY, _FIRST_RESTART_DELAY * 2.0 ** (quick_deaths - 1))
        _log.warning("%s %s; restarting it in %g s", part.name, reason, delay)
        await asyncio.sleep(delay)
        try:
            await part.start()
        except (OSError, BaasError) as exc:  # e.g. a binary gone: try again later
            _log.error("could not restart %s: %s", part.name, exc)


def ended(returncode: int | None) -> str:
    """How a process ended, for a log line: its exit code or the signal that killed it."""
    if returncode is not None and returncode < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-returncode).name}"
        return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


class Child:
    """One ``baas <command>`` child process, in its own session, dying with us."""

    def __init__(self, name: str, command: str, env: dict[str, str]) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, *arguments: str, pass_fds: tuple[int, ...] = ()) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "baas",
            self.command,
            *arguments,
            env=self.env,
            pass_fds=pass_fds,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent if sys.platform == "linux" else None,
            # Its own session: a terminal's Ctrl-C reaches only the supervisor, which
            # stops the parts in order (a second signal would force an unclean stop).
            start_new_session=True,
        )

    def exited(self) -> bool:
        return self.process is not None and self.process.returncode is not None

    async def stop(self, grace: float) -> None:
        process, self.process = self.process, None
        if process is not None and process.returncode is None:
            await terminate(process, grace)
