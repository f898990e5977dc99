"""ProjectionExpression, and picking parts of an item by path.

``project_paths`` keeps the structure around each selected part: ``a.b`` yields
``{"a": {"b": ...}}``. Elements picked from a list by index are compacted into a
shorter list in index order, as DynamoDB returns them (``l[1], l[3]`` of a
five-element list gives a two-element list). Selected values are shared with the
input item, not copied.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable

from storage.expressions.ast import ProjectionTree
from storage.expressions.bind import bind_projection
from storage.expressions.compare import MISSING, lookup
from storage.expressions.paths import Path
from storage.expressions.placeholders import Placeholders
from storage.expressions.update_parser import parse_projection_text
from storage.values import Item, Value

__all__ = ["Projection", "parse_projection", "project_paths"]

_LABEL = "ProjectionExpression"


class _MapBuilder(dict[str | int, object]):
    """A map being assembled by ``project_paths`` (told apart from values it copies)."""


class _ListBuilder(dict[str | int, object]):
    """A list being assembled: original index -> element, compacted at the end."""


class Projection:
    """A bound projection; ``apply(item)`` keeps only the projected paths."""

    __slots__ = ("paths",)

    def __init__(self, paths: tuple[Path, ...]) -> None:
        self.paths = paths

    def apply(self, item: Item) -> Item:
        return project_paths(item, self.paths)

    def __repr__(self) -> str:
        return f"Projection({self.paths!r})"


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str) -> ProjectionTree:
    return parse_projection_text(text, _LABEL)


def parse_projection(text: str, placeholders: Placeholders) -> Projection:
    """Parse (cached per text) and bind a ProjectionExpression."""
    return Projection(bind_projection(_parse_cached(text), placeholders, _LABEL))


def project_paths(item: Item, paths: Iterable[Path]) -> Item:
    """The sub-item of ``item`` holding just ``paths`` (missing paths are skipped)."""
    root = _MapBuilder()
    for path in paths:
        value = lookup(item, path)
        if value is MISSING:
            continue
        node: _MapBuilder | _ListBuilder = root
        for part, following in itertools.pairwise(path):
            child = node.get(part)
            if child is None:
                child = _ListBuilder() if isinstance(following, int) else _MapBuilder()
                node[part] = child
            elif not isinstance(child, _MapBuilder | _ListBuilder):
                break  # an enclosing path already selected the whole value
            node = child
        else:
            node[path[-1]] = value
    return _finish(root)  # type: ignore[return-value]


def _finish(node: object) -> Value:
    if isinstance(node, _MapBuilder):
        return {str(key): _finish(child) for key, child in node.items()}
    if isinstance(node, _ListBuilder):
        return [_finish(node[index]) for index in sorted(node, key=int)]
    return node  # type: ignore[return-value]
