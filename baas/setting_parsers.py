"""Parsers of setting values shared by ``baas.config`` and ``baas.auth_settings``.

Each takes the raw (stripped, non-empty) text of a variable and returns its value or
raises ``ValueError`` with a message that the reader prefixes with the variable's name.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["boolean", "count", "port", "positive_int", "seconds_between"]


def port(raw: str) -> int:
    """A TCP port number."""
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ValueError(f"expected a port number from 1 to 65535, got {raw!r}")
    return int(raw)


def positive_int(raw: str) -> int:
    """A whole number of at least 1."""
    return count(1)(raw)


def count(least: int) -> Callable[[str], int]:
    """A parser of whole numbers of at least ``least``."""

    def parse(raw: str) -> int:
        if not raw.isdigit() or int(raw) < least:
            raise ValueError(f"expected a whole number of at least {least}, got {raw!r}")
        return int(raw)

    return parse


def boolean(raw: str) -> bool:
    """true/false, yes/no, on/off or 1/0, in any case."""
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def seconds_between(low: float, high: float) -> Callable[[str], float]:
    """A parser of a number of seconds from ``low`` to ``high`` (fractions allowed)."""

    def parse(raw: str) -> float:
        try:
            seconds = float(raw)
        except ValueError:
            seconds = -1.0
        if not low <= seconds <= high:  # also refuses nan
            raise ValueError(f"expected seconds from {low:g} to {high:g}, got {raw!r}")
        return seconds

    return parse
