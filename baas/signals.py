"""SIGINT/SIGTERM as an asyncio event, shared by every long-running command."""

from __future__ import annotations

import asyncio
import signal

__all__ = ["StopRequested"]


class StopRequested:
    """Turns SIGINT/SIGTERM into an event; a second signal asks for a forced stop."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.forced = False

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal)

    def _on_signal(self) -> None:
        if self.event.is_set():
            self.forced = True
        self.event.set()
