"""``@function``: declare a single-purpose function with its timeout, retries and limits.

::

    @function(timeout=10, retries=3, memory_mb=256, secrets=["mail_api_key"])
    async def notify_member(ctx: Context, inp: NotifyInput) -> NotifyOutput: ...

The decorated name becomes a :class:`Function`: a description Temporal runs as an
activity of the same name (see ``functions/activity.py``) and workflows call with
``workflows.call``. The signature is checked here, once, so a mistake is reported at
import time with the function's name rather than at its first run.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import sys
import typing
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, TypeVar

from temporalio.common import RetryPolicy

from functions.context import Context
from functions.errors import FunctionDefinitionError
from functions.guard import ensure_not_inside_function, running
from functions.limits import FunctionLimits, declare_limits
from functions.registry import registry
from functions.services import ActsAs

__all__ = ["Function", "FunctionPolicy", "function", "is_payload_type"]

InT = TypeVar("InT")
OutT = TypeVar("OutT")
Impl = Callable[[Context, InT], Awaitable[OutT]]

_BACKOFF_COEFFICIENT = 2.0
# The pool ends an attempt at its timeout; Temporal's own start-to-close timeout is the
# backstop for a worker that died mid-call, so it leaves room for the time a call waits
# for a free process or a concurrency slot, and for ending the process.
_QUEUE_ALLOWANCE = timedelta(seconds=30)


def is_payload_type(tp: object) -> bool:
    """True for the types a function may take or return: dataclasses and pydantic models."""
    if not isinstance(tp, type):
        return False
    if dataclasses.is_dataclass(tp):
        return True
    # A pydantic model's module imported pydantic: while nobody has, no type is one, and
    # a process that never meets one (the API, often) is spared pydantic's import.
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and issubclass(tp, pydantic.BaseModel)


def _seconds(value: float | timedelta, what: str, name: str) -> timedelta:
    delta = value if isinstance(value, timedelta) else timedelta(seconds=value)
    if delta <= timedelta(0):
        raise FunctionDefinitionError(f"function {name!r}: {what} must be positive")
    return delta


@dataclass(frozen=True)
class FunctionPolicy:
    """How long one attempt may take and how failures are retried.

    ``retries`` counts retries, not attempts: ``retries=3`` allows four attempts. The
    wait before retry *n* is ``backoff * 2**(n-1)``.
    """

    timeout: timedelta
    retries: int
    backoff: timedelta
    non_retryable: tuple[type[BaseException], ...] = ()
    limits: FunctionLimits = field(default_factory=FunctionLimits)

    @property
    def activity_timeout(self) -> timedelta:
        """Temporal's start-to-close timeout: the declared one plus a queueing allowance.

        The pool enforces ``timeout`` itself (by ending the process) and reports the
        clear ``timeout`` code; Temporal's timer only fires when no worker answers.
        """
        return self.timeout + max(self.timeout, _QUEUE_ALLOWANCE)

    def retry_policy(self) -> RetryPolicy:
        """The Temporal RetryPolicy of this declaration."""
        return RetryPolicy(
            initial_interval=self.backoff,
            backoff_coefficient=_BACKOFF_COEFFICIENT,
            # Temporal's 0 means "unlimited"; retries=0 must mean exactly one attempt.
            maximum_attempts=self.retries + 1,
            non_retryable_error_types=[error.__name__ for error in self.non_retryable],
        )


class Function(Generic[InT, OutT]):
    """A declared function: its name, types, policy, and the code it runs.

    Calling it (``await fn(ctx, inp)``) runs the code directly, which is what a unit
    test does. Inside another function that call raises FunctionIsolationError.
    """

    def __init__(
        self,
        impl: Impl[InT, OutT],
        *,
        name: str,
        input_type: type[InT],
        output_type: type[OutT],
        policy: FunctionPolicy,
        acts_as: ActsAs,
    ) -> None:
        self.name = name
        self.input_type = input_type
        self.output_type = output_type
        self.policy = policy
        self.acts_as = acts_as
        self._impl = impl
        self.__doc__ = impl.__doc__
        self.__module__ = impl.__module__
        self.__qualname__ = impl.__qualname__
        self.__wrapped__ = _guarded(name, impl)

    async def __call__(self, ctx: Context, inp: InT) -> OutT:
        ensure_not_inside_function(self.name)
        with running(self.name):
            return await self._impl(ctx, inp)

    async def run(self, ctx: Context, inp: InT) -> OutT:
        """Run the code as the runtime does: marked as running, without the entry check."""
        with running(self.name):
            return await self._impl(ctx, inp)

    def __repr__(self) -> str:
        return f"<function {self.name} ({self.input_type.__name__} -> {self.output_type.__name__})>"


def _guarded(name: str, impl: Impl[InT, OutT]) -> Impl[InT, OutT]:
    """``impl`` behind the isolation check, for code that reaches for ``__wrapped__``."""

    @functools.wraps(impl)
    async def guarded(ctx: Context, inp: InT) -> OutT:
        ensure_not_inside_function(name)
        with running(name):
            return await impl(ctx, inp)

    return guarded


def function(
    *,
    timeout: float | timedelta = 30.0,
    retries: int = 3,
    backoff: float | timedelta = 1.0,
    non_retryable: tuple[type[BaseException], ...] = (),
    acts_as: ActsAs = "caller",
    name: str | None = None,
    memory_mb: int | None = None,
    cpu_seconds: float | None = None,
    threads: int | None = None,
    concurrency: int | None = None,
    secrets: Sequence[str] = (),
) -> Callable[[Impl[InT, OutT]], Function[InT, OutT]]:
    """Declare ``async def f(ctx: Context, inp: In) -> Out`` as a function.

    Each call runs in a process of the worker's pool, under limits (see
    ``functions/limits.py``); those left None take the worker's defaults
    (``BAAS_FUNCTIONS_*`` settings).

    Args:
        timeout: seconds (or a timedelta) one attempt may run; the process is ended then.
        retries: how many times a failed attempt is retried (0: never).
        backoff: the wait before the first retry; it doubles on each one.
        non_retryable: exception types that fail the call at once. Subclasses of
            FunctionError are always non-retryable.
        acts_as: ``"caller"`` (the store enforces the caller's rights) or ``"system"``.
        name: the activity name; defaults to the Python name.
        memory_mb: memory one call may allocate, in MiB.
        cpu_seconds: CPU time one call may use (default: its timeout).
        threads: threads one call may start (0: none).
        concurrency: calls of this function running at once in one worker.
        secrets: names of the ``BAAS_SECRET_<NAME>`` values it uses (``"payment_key"``
            for ``BAAS_SECRET_PAYMENT_KEY``): the only ones in ``ctx.secrets`` and in
            its process's environment.
    """

    def decorate(impl: Impl[InT, OutT]) -> Function[InT, OutT]:
        fn_name: str = name or str(getattr(impl, "__name__", ""))
        input_type, output_type = _check_signature(impl, fn_name)
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise FunctionDefinitionError(f"function {fn_name!r}: retries must be an int >= 0")
        if acts_as not in ("caller", "system"):
            raise FunctionDefinitionError(
                f"function {fn_name!r}: acts_as must be 'caller' or 'system', got {acts_as!r}"
            )
        for error in non_retryable:
            if not (isinstance(error, type) and issubclass(error, BaseException)):
                raise FunctionDefinitionError(
                    f"function {fn_name!r}: non_retryable must hold exception types"
                )
        policy = FunctionPolicy(
            timeout=_seconds(timeout, "timeout", fn_name),
            retries=retries,
            backoff=_seconds(backoff, "backoff", fn_name),
            non_retryable=tuple(non_retryable),
            limits=declare_limits(
                fn_name,
                memory_mb=memory_mb,
                cpu_seconds=cpu_seconds,
                threads=threads,
                concurrency=concurrency,
                secrets=secrets,
            ),
        )
        declared = Function(
            impl,
            name=fn_name,
            input_type=input_type,
            output_type=output_type,
            policy=policy,
            acts_as=acts_as,
        )
        registry.add(declared)
        return declared

    return decorate


def _check_signature(impl: object, name: str) -> tuple[type[Any], type[Any]]:
    """The (input, output) types of ``impl``, or FunctionDefinitionError naming ``name``."""
    where = f"function {name!r}"
    if not inspect.iscoroutinefunction(impl):
        raise FunctionDefinitionError(f"{where} must be an 'async def'")
    params = list(inspect.signature(impl).parameters.values())
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if len(params) != 2 or any(p.kind not in positional for p in params):
        raise FunctionDefinitionError(
            f"{where} must take exactly two parameters, (ctx: Context, inp: <Input>)"
        )
    try:
        hints = typing.get_type_hints(impl)
    except (NameError, TypeError) as exc:
        raise FunctionDefinitionError(f"{where}: cannot resolve its annotations ({exc})") from exc
    ctx_type = hints.get(params[0].name)
    if not (isinstance(ctx_type, type) and issubclass(ctx_type, Context)):
        raise FunctionDefinitionError(f"{where}: its first parameter must be 'ctx: Context'")
    input_type = _payload_type(hints.get(params[1].name), "input", where)
    output_type = _payload_type(hints.get("return"), "output", where)
    return input_type, output_type


def _payload_type(tp: object, what: str, where: str) -> type[Any]:
    if not isinstance(tp, type) or not is_payload_type(tp):
        raise FunctionDefinitionError(
            f"{where}: its {what} type must be a dataclass or a pydantic model, got {tp!r}"
        )
    return tp
