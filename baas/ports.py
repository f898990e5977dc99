"""Checking ports before anything starts, so a clash is one clear line, not a traceback."""

from __future__ import annotations

import socket

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


def free_port(host: str = "127.0.0.1") -> int:
    """A port the system has just found free on ``host`` (for tests and tools)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def require_free_ports(ports: list[tuple[str, int, str]]) -> None:
    """Raise StartupError naming the first ``(host, port, variable)`` that is taken."""
    for host, port, variable in ports:
        if not port_is_free(host, port):
            raise StartupError(
                f"port {port} on {host} is already in use (set {variable} to use another)"
            )
