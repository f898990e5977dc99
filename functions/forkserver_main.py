"""The fork server's own loop (see ``functions/forkserver.py`` for the worker's side).

It runs single-threaded — forking is only safe without other threads — and never runs a
function: it imports code and forks. Its children are reaped by the kernel (SIGCHLD is
ignored), so the worker, which watches each process through its channel, never sees a
zombie. Answers are JSON, so a fork server whose imports ran hostile module-level code
still cannot make the worker run code by answering.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import runpy
import signal
import socket
import sys
import types
from collections.abc import Mapping
from typing import Any, NoReturn

from functions.function_process import forbid_inspection, serve_process

__all__ = ["main"]

_MAX_REQUEST_BYTES = 1 << 20
_MAIN = "__mp_main__"


def main(control_fd: int) -> NoReturn:
    """Answer the worker's requests on ``control_fd`` until it closes it."""
    control = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET, fileno=control_fd)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Threat: a function process tracing this one (same user) and changing the code of
    # every process forked after it, which then receive other functions' secrets.
    forbid_inspection()
    while True:
        try:
            message, fds, _flags, _address = socket.recv_fds(control, _MAX_REQUEST_BYTES, 1)
        except OSError:
            os._exit(0)
        if not message:
            os._exit(0)  # the worker closed its end: it stopped, or died
        answer = _answer(control, json.loads(message), fds)
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        try:
            control.send(json.dumps(answer).encode())
        except OSError:
            os._exit(0)


def _answer(control: socket.socket, request: Mapping[str, Any], fds: list[int]) -> dict[str, Any]:
    try:
        _load(request)
    except BaseException as exc:  # noqa: BLE001 - an app module failing to import: tell, keep serving
        return {"error": f"cannot load the functions' code: {type(exc).__name__}: {exc}"}
    if request.get("op") != "fork":
        return {}
    if len(fds) != 1:
        return {"error": "a fork request carries one channel"}
    pid = os.fork()
    if pid == 0:
        control.close()
        serve_process(fds[0], int(request["memory_mb"]), int(request["threads"]))
    return {"pid": pid}


def _load(request: Mapping[str, Any]) -> None:
    """Import what the request names, once (later requests find them in sys.modules)."""
    for entry in request.get("path", []):
        if entry not in sys.path:
            sys.path.append(entry)
    main_path = request.get("main")
    if main_path and _MAIN not in sys.modules:
        # A function declared in the worker's __main__ (a script): run that script under
        # another name, as multiprocessing does, so its `if __name__ == "__main__"` stays off.
        module = types.ModuleType(_MAIN)
        sys.modules[_MAIN] = module
        try:
            module.__dict__.update(runpy.run_path(main_path, run_name=_MAIN))
        except BaseException:
            del sys.modules[_MAIN]
            raise
    for name in request.get("modules", []):
        importlib.import_module(name)
