"""Telling a Temporal that cannot be reached from one that said no.

A lost connection (the server restarting, a network cut, a server too busy to answer)
is momentary: a caller is answered "retry later" (:class:`TemporalUnavailableError`,
nothing was started or changed) and a long-running follower retries with
:class:`Backoff`. Anything else — a namespace that does not exist, a refused credential,
an invalid request — would fail the same way again, so it is raised as it is.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

from temporalio.service import RPCError, RPCStatusCode

from workflows.errors import TemporalUnavailableError

__all__ = ["Backoff", "is_unreachable", "unavailable_when_unreachable"]

_MOMENTARY = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,  # no connection (refused, reset, server restarting)
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.RESOURCE_EXHAUSTED,  # the server sheds load
    }
)
# What the SDK raises when a client's (first) connection attempt fails.
_CONNECT_FAILED = "Failed client connect"


def is_unreachable(exc: BaseException) -> bool:
    """True when ``exc`` says Temporal could not be reached (retrying may succeed)."""
    if isinstance(exc, RPCError):
        return exc.status in _MOMENTARY
    return isinstance(exc, RuntimeError) and str(exc).startswith(_CONNECT_FAILED)


@contextlib.contextmanager
def unavailable_when_unreachable() -> Iterator[None]:
    """Raise :class:`TemporalUnavailableError` for a lost connection inside the block."""
    try:
        yield
    except (RPCError, RuntimeError) as exc:
        if is_unreachable(exc):
            raise TemporalUnavailableError() from exc
        raise


class Backoff:
    """Delays between retries: doubling from ``initial`` up to ``maximum``, with jitter.

    Jitter spreads the retries of many workers that lost the same server at once.
    """

    def __init__(self, initial: float = 0.2, maximum: float = 10.0) -> None:
        self.initial = initial
        self.maximum = maximum
        self.failures = 0

    def next_delay(self) -> float:
        """The delay before the next attempt (and count one more failure)."""
        delay = min(self.maximum, self.initial * 2.0**self.failures)
        self.failures += 1
        return delay * random.uniform(0.8, 1.0)  # noqa: S311 - jitter, not crypto

    def reset(self) -> None:
        """An attempt succeeded: the next failure starts from ``initial`` again."""
        self.failures = 0
