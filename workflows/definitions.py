"""What a ``@workflow.defn`` class declares, read through one door.

Temporal's Python SDK keeps a workflow class's definition (its name, the argument types
of its run method, its queries) in ``temporalio.workflow._Definition``, a private class
with no public equivalent. baas reads it only through :func:`workflow_definition`, so an
SDK change breaks this one function (and its unit test), not every caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow

__all__ = ["WorkflowDefinition", "workflow_definition"]


@dataclass(frozen=True)
class WorkflowDefinition:
    """The parts of a workflow class's definition baas uses."""

    name: str
    arg_types: tuple[Any, ...]
    """The run method's argument annotations (None for an argument without one)."""
    queries: frozenset[str]
    """The names of its ``@workflow.query`` handlers (a dynamic handler has none)."""
    ret_type: Any = None
    """The run method's return annotation (None without one)."""
    query_types: Mapping[str, Any] = field(default_factory=dict)
    """Each named query's return annotation (None without one)."""


def workflow_definition(cls: object) -> WorkflowDefinition | None:
    """The definition of ``cls``, or None when it is not a named ``@workflow.defn`` class."""
    if not isinstance(cls, type):
        return None
    definition = workflow._Definition.from_class(cls)
    if definition is None or definition.name is None:  # not a workflow, or a dynamic one
        return None
    return WorkflowDefinition(
        name=definition.name,
        arg_types=tuple(definition.arg_types or ()),
        queries=frozenset(name for name in definition.queries if name is not None),
        ret_type=definition.ret_type,
        query_types={
            name: getattr(query, "ret_type", None)
            for name, query in definition.queries.items()
            if name is not None
        },
    )
