"""Helpers shared by the integration tests: free ports, a real uvicorn server, processes."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from auth.secret_keys import SecretKeys
from baas.ports import free_port
from workflows.caller_signatures import CallerSigner

# BAAS_SECRET_KEY for tests that run in production mode (dev makes a key file itself).
TEST_SECRET_KEY = "dGVzdHMtb25seS1zZWNyZXQta2V5LW5ldmVyLWluLXByb2R1Y3Rpb24"
# Signs callers for Temporal clients and workers a test builds by hand.
TEST_CALLER_SIGNER = CallerSigner.from_secret_keys(SecretKeys.parse(TEST_SECRET_KEY))


def port_accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def serve_in_thread(app: ASGIApp, port: int | None = None) -> Iterator[str]:
    """Run ``app`` under a real uvicorn server in a thread; yields its base URL."""
    port = port or free_port()
    # As `baas serve` runs it: forwarded headers are baas's to judge (BAAS_TRUSTED_PROXIES),
    # not uvicorn's, which would otherwise trust X-Forwarded-For from 127.0.0.1.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, lifespan="on", proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (read from /proc, no extra package needed)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def is_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
