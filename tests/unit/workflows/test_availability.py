"""A Temporal that cannot be reached is told apart from one that said no."""

from __future__ import annotations

import pytest
from temporalio.service import RPCError, RPCStatusCode

from workflows.availability import Backoff, is_unreachable, unavailable_when_unreachable
from workflows.errors import TemporalUnavailableError


@pytest.mark.parametrize(
    ("error", "unreachable"),
    [
        (RPCError("tcp connect error", RPCStatusCode.UNAVAILABLE, b""), True),
        (RPCError("deadline", RPCStatusCode.DEADLINE_EXCEEDED, b""), True),
        (RuntimeError("Failed client connect: Server connection error"), True),
        (RPCError("namespace x is not found", RPCStatusCode.NOT_FOUND, b""), False),
        (RPCError("denied", RPCStatusCode.PERMISSION_DENIED, b""), False),
        (RPCError("bad request", RPCStatusCode.INVALID_ARGUMENT, b""), False),
        (RuntimeError("something else"), False),
    ],
)
def test_only_a_lost_connection_is_momentary(error: Exception, unreachable: bool) -> None:
    assert is_unreachable(error) is unreachable
    raised: type[Exception] = TemporalUnavailableError if unreachable else type(error)
    with pytest.raises(raised), unavailable_when_unreachable():
        raise error


def test_backoff_doubles_up_to_its_cap_and_starts_over_after_a_success() -> None:
    backoff = Backoff(initial=1.0, maximum=4.0)
    delays = [backoff.next_delay() for _ in range(5)]
    for delay, ceiling in zip(delays, [1, 2, 4, 4, 4], strict=True):
        assert 0.8 * ceiling <= delay <= ceiling
    backoff.reset()
    assert backoff.next_delay() <= 1.0
