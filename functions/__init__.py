"""functions: single-purpose units of business logic, run as Temporal activities.

Declare one with :func:`function`; it reaches the world only through its
:class:`Context`. A function never invokes another function — composition is the
job of ``workflows``. See ``functions/definition.py`` for the rules of a signature.
"""

from functions.activity import as_activity
from functions.context import Context
from functions.definition import Function, FunctionPolicy, function
from functions.errors import (
    CallLimitError,
    CallTimeoutError,
    CpuLimitError,
    ForbiddenDestinationError,
    FunctionCrashedError,
    FunctionDefinitionError,
    FunctionError,
    FunctionIsolationError,
    InvalidInputError,
    InvalidOutputError,
    MemoryLimitError,
    NotConfiguredError,
    PayloadTooLargeError,
    ThreadLimitError,
    UnknownFunctionError,
)
from functions.identity import Caller, CallerKind, current_caller
from functions.limits import FunctionLimits, PoolSettings
from functions.payloads import DEFAULT_MAX_PAYLOAD_BYTES
from functions.registry import FunctionRegistry, registry
from functions.services import ActsAs, FunctionRuntime, MailSender, OutgoingEmail, StoreFactory

__all__ = [
    "DEFAULT_MAX_PAYLOAD_BYTES",
    "ActsAs",
    "CallLimitError",
    "CallTimeoutError",
    "Caller",
    "CallerKind",
    "Context",
    "CpuLimitError",
    "ForbiddenDestinationError",
    "Function",
    "FunctionCrashedError",
    "FunctionDefinitionError",
    "FunctionError",
    "FunctionIsolationError",
    "FunctionLimits",
    "FunctionPolicy",
    "FunctionRegistry",
    "FunctionRuntime",
    "InvalidInputError",
    "InvalidOutputError",
    "MailSender",
    "MemoryLimitError",
    "NotConfiguredError",
    "OutgoingEmail",
    "PayloadTooLargeError",
    "PoolSettings",
    "StoreFactory",
    "ThreadLimitError",
    "UnknownFunctionError",
    "as_activity",
    "current_caller",
    "function",
    "registry",
]
