"""Document paths: the resolved form, how messages print them, and overlap checks."""

from __future__ import annotations

from typing import TypeAlias

from storage.errors import ValidationError
from storage.expressions.limits import invalid

__all__ = ["Path", "check_overlaps", "render_path"]

Path: TypeAlias = tuple[str | int, ...]
"""Attribute names and list indexes, e.g. ``("a", "b", 3, "c")`` for ``a.b[3].c``."""


def render_path(path: Path) -> str:
    """A path as DynamoDB prints it in messages: ``[a, b, [3]]``."""
    return "[" + ", ".join(f"[{part}]" if isinstance(part, int) else part for part in path) + "]"


class _Node:
    """One step of the path trie ``check_overlaps`` builds."""

    __slots__ = ("children", "end", "through")

    def __init__(self, through: Path) -> None:
        self.children: dict[str | int, _Node] = {}
        self.end: Path | None = None
        self.through = through  # some path passing through here, for messages


def check_overlaps(paths: list[Path] | tuple[Path, ...], label: str) -> None:
    """Refuse two paths where one contains the other, or that disagree on a step's kind.

    A trie keeps this linear in the total path length: expressions of 4 KB can
    hold a thousand paths, and comparing every pair would cost a million steps.
    """
    root = _Node(())
    for path in paths:
        node = root
        for part in path:
            if node.end is not None:
                raise _paths_error(label, "overlap", node.end, path)
            for sibling in node.children:
                if isinstance(sibling, int) != isinstance(part, int):
                    raise _paths_error(label, "conflict", node.children[sibling].through, path)
                break
            child = node.children.get(part)
            if child is None:
                child = node.children[part] = _Node(path)
            node = child
        if node.end is not None or node.children:
            raise _paths_error(label, "overlap", node.end or node.through, path)
        node.end = path


def _paths_error(label: str, problem: str, first: Path, second: Path) -> ValidationError:
    verb = "overlap with" if problem == "overlap" else "conflict with"
    return invalid(
        label,
        f"Two document paths {verb} each other; must remove or rewrite one of these paths; "
        f"path one: {render_path(first)}, path two: {render_path(second)}",
    )
