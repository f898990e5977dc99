"""The worker's side of the fork server, which starts function processes quickly and clean.

Starting a Python process and importing an app's functions takes ~0.5 s; forking a
process that has already imported them takes ~10 ms. The fork server is that process:
started once per worker process from a fresh interpreter (``python -I``), with an
environment holding no ``BAAS_*`` variable at all, it imports the functions' modules
and forks a pool process whenever the worker asks.

Forking the worker itself would be faster still, but a fork copies the whole worker: its
settings and every secret, the store's key-encryption key, open database connections,
and the Temporal SDK's threads (threat: any function reading another's secrets or the
keys from its own memory). A process forked from the fork server holds only code, and
receives its own secrets from the worker afterwards, over its own channel (never through
the fork server, whose memory every later process inherits).

The control channel is a Unix SEQPACKET socket: a request is one JSON object, with the
new process's channel attached as a file descriptor (SCM_RIGHTS); the answer is a JSON
object with its pid. The server exits when the worker closes its end (the worker
exited, even by ``kill -9``); its processes are told by the kernel to die with it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping
from typing import Any

__all__ = ["ForkServer", "ForkServerError", "function_environment", "shared_forkserver"]

_MAX_ANSWER_BYTES = 65536
_ANSWER_WITHIN_SECONDS = 120.0  # the first request imports the app's modules
_BOOT = (
    "import json, sys; sys.path[:] = json.loads(sys.argv[2]); "
    "from functions.forkserver_main import main; main(int(sys.argv[1]))"
)
# What a function process inherits of the worker's environment: what locale, time zone,
# TLS and proxy configuration need. Nothing else: an operator's environment often holds
# credentials, and every BAAS_* variable is the worker's own (threat: a function reading
# the store's key-encryption key or another function's secret from os.environ).
_INHERITED = frozenset(
    {
        "PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "USER", "LOGNAME",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
        "http_proxy", "https_proxy", "no_proxy", "all_proxy",
    }
)  # fmt: skip


class ForkServerError(RuntimeError):
    """The fork server could not load the functions' code or start a process."""


def function_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The part of ``environ`` a function process may see (never a ``BAAS_*`` variable)."""
    kept = {
        name: value
        for name, value in environ.items()
        if (name in _INHERITED or name.startswith("LC_")) and not name.startswith("BAAS_")
    }
    # One malloc arena per thread would reserve 64 MiB of address space each, which the
    # memory limit (an address-space limit) would count as used.
    kept["MALLOC_ARENA_MAX"] = "2"
    return kept


class ForkServer:
    """A connection to one fork server process, started on first use.

    Requests block (they are quick, except the first import): call them from a thread.
    One request at a time; a fork server that died is started again on the next one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None

    def load(self, code: Mapping[str, Any]) -> None:
        """Import the modules ``code`` names (see :func:`functions.pool.code_to_load`)."""
        self._ask({"op": "load", **code})

    def fork(self, code: Mapping[str, Any], channel: socket.socket, **limits: int) -> int:
        """Start a pool process on ``channel`` (its end of a socket pair); its pid."""
        answer = self._ask({"op": "fork", **code, **limits}, channel.fileno())
        pid = answer.get("pid")
        if not isinstance(pid, int) or pid <= 0:
            raise ForkServerError("the fork server gave no process id")
        return pid

    def close(self) -> None:
        """Stop the fork server (its processes die with it)."""
        with self._lock:
            self._stop()

    def _ask(self, request: Mapping[str, Any], fd: int | None = None) -> dict[str, Any]:
        message = json.dumps(request).encode()
        with self._lock:
            for attempt in (1, 2):
                control = self._ensure_started()
                try:
                    socket.send_fds(control, [message], [] if fd is None else [fd])
                    data = control.recv(_MAX_ANSWER_BYTES)
                except OSError:
                    data = b""
                if data:
                    break
                # It died (or was killed) since the last request: start it again, once.
                self._stop()
                if attempt == 2:
                    raise ForkServerError("the fork server ended; see the worker's stderr")
        answer = json.loads(data)
        if not isinstance(answer, dict):
            raise ForkServerError("the fork server answered nonsense")
        if "error" in answer:
            raise ForkServerError(str(answer["error"]))
        return answer

    def _ensure_started(self) -> socket.socket:
        if self._control is not None and self._process is not None:
            if self._process.poll() is None:
                return self._control
            self._stop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._process = subprocess.Popen(  # noqa: S603 - our interpreter, fixed code
                [sys.executable, "-I", "-c", _BOOT, str(theirs.fileno()), json.dumps(sys.path)],
                pass_fds=[theirs.fileno()],
                env=function_environment(os.environ),
                stdin=subprocess.DEVNULL,
                # Its own session: a Ctrl-C meant for the worker's terminal is not for it;
                # it ends when the worker closes the control socket.
                start_new_session=True,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        ours.settimeout(_ANSWER_WITHIN_SECONDS)
        self._control = ours
        return ours

    def _stop(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            self._process = None


_shared: ForkServer | None = None
_shared_lock = threading.Lock()


def shared_forkserver() -> ForkServer:
    """This process's fork server: every pool of the process uses the same one."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ForkServer()
        return _shared
