"""Which functions a workflow class calls, found in its source where it calls them.

A workflow that calls a function its worker does not serve fails only when that call
runs (Temporal cannot schedule an activity nobody registered: the caller sees a failed
call, the name is in the worker's log). Apps are checked when they load instead: the
class's source is read with :mod:`ast` for ``call(fn, ...)`` and
``saga.compensate(fn, ...)``, and ``fn`` is looked up in the workflow's module (already
imported by then), so ``file:line`` points at the call.

What it does not see: a function passed in a variable or computed at run time.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import sys
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functions import Function
from workflows.calls import call

__all__ = ["FunctionCallSite", "function_call_sites"]

_COMPENSATE = "compensate"  # Saga.compensate(fn, inp): run later, by the same worker


@dataclass(frozen=True)
class FunctionCallSite:
    """One place a workflow calls a function."""

    file: str
    line: int
    function: Function[Any, Any]

    def __str__(self) -> str:
        path = Path(self.file)
        with contextlib.suppress(ValueError):  # shown relative to the project when inside
            path = path.resolve().relative_to(Path.cwd())
        return f"{path}:{self.line}"


def function_call_sites(workflow_class: type) -> Iterator[FunctionCallSite]:
    """Every ``call(fn, ...)`` and ``compensate(fn, ...)`` in the class whose ``fn`` is a
    function of this module's namespace (or an attribute path from it), in line order."""
    try:
        file = inspect.getsourcefile(workflow_class)
        lines, first_line = inspect.getsourcelines(workflow_class)
    except (OSError, TypeError):  # defined without a source file (exec, a REPL)
        return
    module = sys.modules.get(workflow_class.__module__)
    if file is None or module is None:
        return
    try:
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except SyntaxError:  # pragma: no cover - the class was imported from this text
        return
    namespace = vars(module)
    calls = sorted(
        (node for node in ast.walk(tree) if isinstance(node, ast.Call) and node.args),
        key=lambda node: (node.lineno, node.col_offset),
    )
    for node in calls:
        if not _calls_a_function(node.func, namespace):
            continue
        target = _lookup(node.args[0], namespace)
        if isinstance(target, Function):
            yield FunctionCallSite(file, first_line + node.lineno - 1, target)


def _calls_a_function(callee: ast.expr, namespace: Mapping[str, Any]) -> bool:
    if isinstance(callee, ast.Attribute) and callee.attr == _COMPENSATE:
        return True
    return _lookup(callee, namespace) is call


def _lookup(node: ast.expr, namespace: Mapping[str, Any]) -> Any:
    """What a ``name`` or ``name.attr...`` denotes in ``namespace``; None if unknown."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _lookup(node.value, namespace)
        return None if base is None else getattr(base, node.attr, None)
    return None
