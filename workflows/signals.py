"""Waiting inside a workflow for a signal, such as a human approval, with a timeout.

::

    approval = await wait_for_approval(timeout=timedelta(days=2))
    if not approval.approved:
        raise ApprovalRejectedError(f"rejected by {approval.by}")

Signals need no handler declared on the workflow class: the helper installs one for
the duration of the wait. A signal sent before the wait begins is buffered by
Temporal and delivered when it does, so there is no race with the sender.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from temporalio import workflow
from temporalio.common import RawValue

from functions.identity import Caller, current_caller
from workflows.errors import SignalTimeoutError

__all__ = [
    "APPROVAL_SIGNAL",
    "Approval",
    "ApprovalDecision",
    "Received",
    "wait_for_approval",
    "wait_for_signal",
]

T = TypeVar("T")
APPROVAL_SIGNAL = "baas.approval"
_NO_VALUE: Any = None


@dataclass(frozen=True)
class Received(Generic[T]):
    """A signal's value and who sent it (from the sender's verified identity)."""

    value: T
    sender: Caller


@dataclass(frozen=True)
class ApprovalDecision:
    """What an approver sends (``workflows.approve`` sends it for you)."""

    approved: bool
    comment: str = ""


@dataclass(frozen=True)
class Approval:
    """The decision a workflow received, with the approver's user id (None: not a user)."""

    approved: bool
    by: str | None
    comment: str = ""


async def wait_for_signal(
    name: str,
    value_type: type[T],
    *,
    timeout: float | timedelta | None = None,  # noqa: ASYNC109 - a durable workflow timer
) -> Received[T]:
    """Wait for one signal ``name`` carrying a ``value_type``; SignalTimeoutError after ``timeout``."""
    received: list[Received[T]] = []

    def on_signal(value: RawValue = _NO_VALUE) -> None:
        # A signal sent without a value leaves the default: decode None as the type.
        raw: RawValue | None = value
        decoded: Any = None
        if raw is not None:
            decoded = workflow.payload_converter().from_payload(raw.payload, value_type)
        # The identity interceptor set the sender for this handler's own task.
        received.append(Received(decoded, current_caller()))

    workflow.set_signal_handler(name, on_signal)
    try:
        await workflow.wait_condition(lambda: bool(received), timeout=timeout)
    except TimeoutError:
        raise SignalTimeoutError(f"no {name!r} signal arrived within {timeout}") from None
    finally:
        workflow.set_signal_handler(name, None)
    return received[0]


async def wait_for_approval(
    *,
    timeout: float | timedelta | None = None,  # noqa: ASYNC109 - a durable workflow timer
    signal: str = APPROVAL_SIGNAL,
) -> Approval:
    """Wait for an approval decision; SignalTimeoutError when nobody decides in time."""
    got = await wait_for_signal(signal, ApprovalDecision, timeout=timeout)
    return Approval(approved=got.value.approved, by=got.sender.user_id, comment=got.value.comment)
