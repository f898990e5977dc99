"""baas: what an application imports, in one place.

::

    from baas import App, Context, Index, PartitionKey, SortKey, allow, function

The names below come from the packages that hold them (models and rules from ``auth``,
functions from ``functions``, workflow helpers from ``workflows``, the App from
``baas.application``); an app may import them from there too. They are resolved on first
use (module ``__getattr__``): the ``baas`` command imports this package on every run and
must not pay for the stacks an app needs. Pytest fixtures are in :mod:`baas.testing`.

Inside a workflow module, import them within ``workflow.unsafe.imports_passed_through()``
like every other import a workflow uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auth.errors import ItemNotFoundError
    from auth.models import (
        BelongsTo,
        FieldContext,
        HasMany,
        HasOne,
        Index,
        PartitionKey,
        SortKey,
        computed,
        generated_id,
        relation,
        restricted,
    )
    from auth.rules import Caller, allow
    from baas.application import App, allow_call, allow_query
    from functions import Context, FunctionError, OutgoingEmail, function
    from storage import ChangeRecord
    from storage.errors import ConditionalCheckFailedError
    from workflows import (
        Approval,
        ApprovalRejectedError,
        CallFailedError,
        Saga,
        approve,
        call,
        cancel,
        continue_as_new_if_needed,
        parallel,
        result,
        signal,
        sleep,
        start_call,
        status,
        wait_for_approval,
        wait_for_signal,
    )

__all__ = [
    "App",
    "Approval",
    "ApprovalRejectedError",
    "BelongsTo",
    "CallFailedError",
    "Caller",
    "ChangeRecord",
    "ConditionalCheckFailedError",
    "Context",
    "FieldContext",
    "FunctionError",
    "HasMany",
    "HasOne",
    "Index",
    "ItemNotFoundError",
    "OutgoingEmail",
    "PartitionKey",
    "Saga",
    "SortKey",
    "allow",
    "allow_call",
    "allow_query",
    "approve",
    "call",
    "cancel",
    "computed",
    "continue_as_new_if_needed",
    "function",
    "generated_id",
    "parallel",
    "relation",
    "restricted",
    "result",
    "signal",
    "sleep",
    "start_call",
    "status",
    "wait_for_approval",
    "wait_for_signal",
]

# Where each public name lives (its module is imported when the name is first used).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "auth.errors": ("ItemNotFoundError",),
    "auth.models": (
        "BelongsTo",
        "FieldContext",
        "HasMany",
        "HasOne",
        "Index",
        "PartitionKey",
        "SortKey",
        "computed",
        "generated_id",
        "relation",
        "restricted",
    ),
    "auth.rules": ("Caller", "allow"),
    "baas.application": ("App", "allow_call", "allow_query"),
    "functions": ("Context", "FunctionError", "OutgoingEmail", "function"),
    "storage": ("ChangeRecord",),
    "storage.errors": ("ConditionalCheckFailedError",),
    "workflows": (
        "Approval",
        "ApprovalRejectedError",
        "CallFailedError",
        "Saga",
        "approve",
        "call",
        "cancel",
        "continue_as_new_if_needed",
        "parallel",
        "result",
        "signal",
        "sleep",
        "start_call",
        "status",
        "wait_for_approval",
        "wait_for_signal",
    ),
}
_HOMES = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        # Submodules (baas.cli, baas.testing ...) are found by the import system itself.
        raise AttributeError(f"module 'baas' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # once resolved, an ordinary module attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
