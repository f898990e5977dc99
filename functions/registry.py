"""Every declared function, by name.

``@function`` registers into :data:`functions` (this process's registry) so a name
that arrives from outside — ``InvokeFunctionWorkflow`` gets only a name — resolves to
its declaration and policy. Two different functions may not share a name: it is their
activity name on Temporal, and a silent replacement would run the wrong code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from functions.errors import FunctionDefinitionError, UnknownFunctionError

if TYPE_CHECKING:
    from functions.definition import Function

__all__ = ["FunctionRegistry", "registry"]


class FunctionRegistry:
    """A name → :class:`Function` map that refuses conflicting names."""

    def __init__(self) -> None:
        self._by_name: dict[str, Function[Any, Any]] = {}
        self._served: set[str] = set()

    def add(self, fn: Function[Any, Any]) -> None:
        """Register ``fn``; the same definition seen again keeps the first one.

        "Again" happens when the workflow sandbox re-imports a module that declares
        functions: the worker must keep running the original, not the sandbox's copy.
        """
        existing = self._by_name.get(fn.name)
        if existing is None:
            self._by_name[fn.name] = fn
        elif _origin(existing) != _origin(fn):
            raise FunctionDefinitionError(
                f"function name {fn.name!r} is declared twice: in {_origin(existing)} "
                f"and in {_origin(fn)}; pass name=... to one of them"
            )

    def get(self, name: str) -> Function[Any, Any]:
        """The function called ``name``, or UnknownFunctionError."""
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownFunctionError(f"no function named {name!r} is registered") from None

    def serve(self, fn: Function[Any, Any]) -> None:
        """Note that a worker in this process runs ``fn`` as an activity."""
        self.add(fn)
        self._served.add(fn.name)

    def get_served(self, name: str) -> Function[Any, Any]:
        """Like :meth:`get`, but only for functions a worker here runs.

        Merely importing a module declares its functions; only those the app registers
        on its worker may be invoked by name (threat: a client invoking a built-in such
        as the HTTP function that the app never exposed).
        """
        if name not in self._served:
            raise UnknownFunctionError(f"no function named {name!r} is registered")
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Function[Any, Any]]:
        return iter(list(self._by_name.values()))

    def __len__(self) -> int:
        return len(self._by_name)


def _origin(fn: Function[Any, Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


registry = FunctionRegistry()
