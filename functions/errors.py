"""Errors of the function runtime, and the base class for errors a function raises.

A function that fails *on purpose* (the board does not exist, the card was declined)
raises a subclass of :class:`FunctionError` with its own stable ``code``. Such errors
are final: retrying cannot change the answer, so the runtime reports them to Temporal
as non-retryable. Any other exception is treated as transient and retried according
to the function's declared policy.

The tree::

    FunctionError                    function_error      base of deliberate failures
    ├── FunctionDefinitionError      invalid_function    @function used on a bad signature
    ├── FunctionIsolationError       function_isolation  a function invoked another one
    ├── InvalidInputError            invalid_input       the input does not fit the declared type
    ├── InvalidOutputError           invalid_output      a function returned another type
    ├── PayloadTooLargeError         payload_too_large   an input or output above the size limit
    ├── UnknownFunctionError         unknown_function    no function of that name is registered
    ├── NotConfiguredError           not_configured      a Context service the worker lacks
    ├── StoreRefusedError            <the store's code>  the store refused a request for good
    ├── ForbiddenDestinationError    forbidden_destination  HTTP to a private address
    ├── CallLimitError               (base)              a call passed one of its limits
    │   ├── CallTimeoutError         timeout             past its wall-clock limit (retried)
    │   ├── CpuLimitError            cpu_limit           past its CPU-time limit
    │   ├── MemoryLimitError         memory_limit        past its memory limit
    │   └── ThreadLimitError         thread_limit        too many threads (also a RuntimeError)
    └── FunctionCrashedError         function_crashed    its process ended mid-call (retried)

The pool ends the process of a call that passes a limit (see ``functions/pool.py``);
``timeout`` and ``function_crashed`` are retried by the function's policy, the others are
final: the same input would pass the same limit again.

Messages are safe to show to the caller of a function: they name functions and types,
never secrets or other users' data.
"""

from __future__ import annotations

__all__ = [
    "CallLimitError",
    "CallTimeoutError",
    "CpuLimitError",
    "ForbiddenDestinationError",
    "FunctionCrashedError",
    "FunctionDefinitionError",
    "FunctionError",
    "FunctionIsolationError",
    "InvalidInputError",
    "InvalidOutputError",
    "MemoryLimitError",
    "NotConfiguredError",
    "PayloadTooLargeError",
    "StoreRefusedError",
    "ThreadLimitError",
    "UnknownFunctionError",
]


class FunctionError(Exception):
    """Root of every error raised on purpose, by the runtime or by a function.

    Subclass it in your own functions with a stable ``code``::

        class BoardNotFoundError(FunctionError):
            code = "board_not_found"
    """

    # Not a ClassVar: errors that relay another layer's code set it per instance.
    code: str = "function_error"
    # Deliberate failures are final; only the runtime's own timeout and crash are not.
    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FunctionDefinitionError(FunctionError, TypeError):
    """``@function`` was applied to something that is not a valid function."""

    code = "invalid_function"


class FunctionIsolationError(FunctionError):
    """A function invoked another function; composition belongs in a workflow."""

    code = "function_isolation"

    def __init__(self, caller: str, callee: str) -> None:
        super().__init__(
            f"function {caller!r} invoked function {callee!r}: functions never call each "
            "other; compose them in a workflow (workflows.call)"
        )
        self.caller = caller
        self.callee = callee


class InvalidInputError(FunctionError):
    """The input (or a decoded payload) does not fit the function's declared type."""

    code = "invalid_input"


class InvalidOutputError(FunctionError):
    """A function returned something other than its declared output type (a bug)."""

    code = "invalid_output"


class PayloadTooLargeError(FunctionError):
    """An input or result exceeds the payload size limit and was refused."""

    code = "payload_too_large"


class UnknownFunctionError(FunctionError):
    """No function with this name is registered."""

    code = "unknown_function"


class NotConfiguredError(FunctionError):
    """A function used a service (store, mail) that this worker was not given."""

    code = "not_configured"


class StoreRefusedError(FunctionError):
    """The store refused a request (a failed condition, access denied…): final, not retried.

    ``code`` is the store's own (``ConditionalCheckFailedException``, ``access_denied``).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ForbiddenDestinationError(FunctionError):
    """An outgoing HTTP request targets a private, loopback or link-local address."""

    code = "forbidden_destination"


class CallLimitError(FunctionError):
    """A call passed one of its limits and its process was ended (or refused a thread)."""

    code = "call_limit"


class CallTimeoutError(CallLimitError):
    """The call ran past its timeout (wall clock); retried like any transient failure."""

    code = "timeout"
    retryable = True


class CpuLimitError(CallLimitError):
    """The call used more CPU time than its limit."""

    code = "cpu_limit"


class MemoryLimitError(CallLimitError):
    """The call asked for more memory than its limit."""

    code = "memory_limit"


class ThreadLimitError(CallLimitError, RuntimeError):
    """The call started more threads than its limit.

    Also a RuntimeError, the type Python raises when the system refuses a thread, so code
    that copes with that copes with this.
    """

    code = "thread_limit"


class FunctionCrashedError(FunctionError):
    """The call's process ended without an answer (a crash, ``os._exit``, a kill)."""

    code = "function_crashed"
    retryable = True
