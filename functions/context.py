"""``Context``: the only door from a function to the world.

A function receives a :class:`Context` as its first argument. It carries who the
function acts for, the secrets, a logger bound to this call, heartbeats, an
idempotency key, the store and the app's models (``ctx.models``, typed). Building one by hand (``Context.for_test(...)``) lets a
function be unit-tested without Temporal.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from auth.acting_store import ActingStore
from auth.model_access import Models
from auth.rules import Caller
from functions.errors import NotConfiguredError
from functions.services import ActsAs, FunctionRuntime, MailSender

__all__ = ["Context", "idempotency_key_for"]


def idempotency_key_for(workflow_id: str, activity_id: str) -> str:
    """A key that is the same on every retry of one call and differs between calls.

    Derived from the workflow id and the activity id (not the attempt), hashed so it
    has a fixed, provider-friendly length and does not leak the workflow id.
    """
    digest = hashlib.sha256(f"{workflow_id}\x00{activity_id}".encode())
    return digest.hexdigest()[:40]


def _no_heartbeat(*details: Any) -> None:
    """Outside a worker nobody watches heartbeats."""


@dataclass(frozen=True)
class Context:
    """What one run of a function may use.

    Attributes:
        function: the function's name.
        call_id: the id of the call this run belongs to (the workflow id).
        caller: who the function acts for.
        acts_as: ``"caller"`` or ``"system"``, as declared on the function.
        idempotency_key: stable across retries of this call; pass it to external APIs.
        attempt: 1 on the first try, then 2, 3 … on retries.
        secrets: read-only secrets from the worker's settings.
        logger: a logger whose records carry ``function`` and ``call_id``.
    """

    function: str
    call_id: str
    caller: Caller
    acts_as: ActsAs
    idempotency_key: str
    attempt: int
    runtime: FunctionRuntime
    logger: logging.LoggerAdapter[logging.Logger]
    _heartbeat: Callable[..., None] = field(default=_no_heartbeat, repr=False)
    _store: list[Any] = field(default_factory=list, repr=False)
    _models: list[Models] = field(default_factory=list, repr=False)

    @property
    def secrets(self) -> Mapping[str, str]:
        """Read-only secrets (a missing one raises KeyError naming it)."""
        return self.runtime.secrets

    @property
    def store(self) -> Any:
        """The document store as the caller (or as system, if declared).

        Built on first use, so a function that never touches the store does not need
        one configured. Typed ``Any`` until ``auth`` provides the caller-scoped store.
        """
        if not self._store:
            self._store.append(self.runtime.store_for(self.caller, self.acts_as))
        return self._store[0]

    @property
    def models(self) -> Models:
        """The app's models, typed, under the same rules as :attr:`store`.

        ``await ctx.models.Board.get(id="b1")`` answers a ``Board`` (declared defaults
        filled in); ``update``/``create``/``delete``/``query``/``list`` follow the model's
        write rules like GraphQL's mutations (see :mod:`auth.model_access`).
        """
        if not self._models:
            store = self.store
            # In a pool process the store is the worker's ActingStore seen through the
            # channel (functions/remote.py), which has its methods, models() among them.
            if not isinstance(store, ActingStore) and not callable(getattr(store, "models", None)):
                raise NotConfiguredError("this worker's store has no models (not an ActingStore)")
            self._models.append(Models(store))
        return self._models[0]

    @property
    def mail(self) -> MailSender:
        """The worker's mail sender; NotConfiguredError when it has none."""
        if self.runtime.mail is None:
            raise NotConfiguredError("this worker has no mail sender configured")
        return self.runtime.mail

    def heartbeat(self, *details: Any) -> None:
        """Tell Temporal this long-running function is alive (and how far it got)."""
        self._heartbeat(*details)

    @classmethod
    def for_test(
        cls,
        function: str = "test",
        *,
        caller: Caller | None = None,
        acts_as: ActsAs = "caller",
        runtime: FunctionRuntime | None = None,
        call_id: str = "test-call",
        attempt: int = 1,
    ) -> Context:
        """A context for calling a function directly in a unit test."""
        return cls(
            function=function,
            call_id=call_id,
            caller=caller or Caller.anonymous(),
            acts_as=acts_as,
            idempotency_key=idempotency_key_for(call_id, "1"),
            attempt=attempt,
            runtime=runtime or FunctionRuntime(),
            logger=bound_logger(function, call_id),
        )


def bound_logger(function: str, call_id: str) -> logging.LoggerAdapter[logging.Logger]:
    """A logger for one call; ``extra`` puts the names on every record."""
    return logging.LoggerAdapter(
        logging.getLogger(f"baas.functions.{function}"),
        {"function": function, "call_id": call_id},
    )
