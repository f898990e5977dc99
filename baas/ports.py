"""Checking ports before anything starts, so a clash is one clear line, not a traceback."""

from __future__ import annotations

import random
import socket
from pathlib import Path

from baas.errors import StartupError

__all__ = ["free_port", "port_is_free", "require_free_ports"]


def port_is_free(host: str, port: int) -> bool:
    """Whether we could bind ``host:port`` right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


# Where free_port looks when the system's ephemeral range is known: below it, above the
# ports services are usually given.
_LOWEST = 10_000
_TRIES = 100
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def free_port(host: str = "127.0.0.1") -> int:
    """A port free on ``host`` right now, for a server started next (tests and tools).

    Chosen below the system's ephemeral range when that range is known (Linux): the
    kernel gives ports from that range to every outgoing connection (a database, a
    Temporal client), and one could take a port found free there before its server
    binds it: "address already in use", a flaky start. Elsewhere, the system's choice.
    """
    below = _ephemeral_low()
    if below is not None and below > _LOWEST:
        for _ in range(_TRIES):
            port = random.randrange(_LOWEST, below)  # noqa: S311 - not a secret
            if port_is_free(host, port):
                return port
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _ephemeral_low(source: Path = _EPHEMERAL_RANGE) -> int | None:
    """The first port of the system's ephemeral range, or None if it cannot be read."""
    try:
        return int(source.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def require_free_ports(ports: list[tuple[str, int, str]]) -> None:
    """Raise StartupError naming the first ``(host, port, variable)`` that is taken."""
    for host, port, variable in ports:
        if not port_is_free(host, port):
            raise StartupError(
                f"port {port} on {host} is already in use (set {variable} to use another)"
            )
