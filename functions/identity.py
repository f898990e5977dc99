"""Who a function acts for: the caller of the workflow that runs it.

The caller travels from the client that starts a workflow to every function it runs
in Temporal headers (see ``workflows/identity.py`` for the interceptors). On each hop
it is kept in :data:`_caller`, a ContextVar, so user code never passes it by hand.
This module holds that variable and the header encoding, which both sides share.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from auth.rules import Caller, CallerKind

__all__ = [
    "CALLER_HEADER",
    "Caller",
    "CallerKind",
    "acting_as",
    "caller_from_wire",
    "caller_to_wire",
    "current_caller",
    "explicit_caller",
    "set_caller",
]

CALLER_HEADER = "baas-caller"

_caller: ContextVar[Caller | None] = ContextVar("baas_caller", default=None)


def current_caller() -> Caller:
    """The caller of the current call; anonymous when nobody said otherwise.

    Anonymous, not system, is the fail-closed default: a missing header must never
    grant the platform's own rights (threat: privilege escalation by omission).
    """
    return _caller.get() or Caller.anonymous()


def explicit_caller() -> Caller | None:
    """The caller set in this context, or None when none was set."""
    return _caller.get()


@contextlib.contextmanager
def acting_as(caller: Caller) -> Iterator[None]:
    """Run the block on behalf of ``caller`` (the client side of a start)."""
    token = _caller.set(caller)
    try:
        yield
    finally:
        _caller.reset(token)


def set_caller(caller: Caller | None) -> None:
    """Set the caller for the rest of the current context (interceptors use this)."""
    _caller.set(caller)


def caller_to_wire(caller: Caller) -> dict[str, Any]:
    """A JSON-ready mapping of ``caller`` (groups sorted, so equal callers encode equally)."""
    return {"kind": str(caller.kind), "user_id": caller.user_id, "groups": sorted(caller.groups)}


def caller_from_wire(data: Mapping[str, Any]) -> Caller:
    """The inverse of :func:`caller_to_wire`; raises ValueError on anything malformed."""
    kind = data.get("kind")
    user_id = data.get("user_id")
    groups = data.get("groups", [])
    if not isinstance(kind, str) or not isinstance(groups, list):
        raise ValueError("malformed caller header")
    if user_id is not None and not isinstance(user_id, str):
        raise ValueError("malformed caller header")
    if not all(isinstance(group, str) for group in groups):
        raise ValueError("malformed caller header")
    return Caller(CallerKind(kind), user_id, frozenset(groups))
