"""UpdateExpression: SET, REMOVE, ADD and DELETE applied to a copy of an item.

Semantics (DynamoDB Developer Guide, "Using update expressions"):

- Every operand is read from the item as it was *before* the update, so
  ``SET a = b, b = a`` swaps two attributes.
- SET creates or replaces; a nested path needs its parent to exist; an index past
  the end of a list appends. REMOVE of a missing attribute does nothing; list
  elements after a removed one shift down, and several indexes of one list refer to
  the original positions. ADD adds numbers or unions sets (creating the attribute
  if missing); DELETE subtracts sets and removes a set it empties.
- Only the containers on a written path are copied (copy-on-write), so an update
  costs time in proportion to what it changes, not to the item's size.
"""

from __future__ import annotations

import functools
from decimal import Context, Decimal, DecimalException, Inexact, InvalidOperation, Overflow

from storage.errors import ValidationError
from storage.expressions.ast import (
    Arithmetic,
    IfNotExists,
    ListAppend,
    Literal,
    PathOperand,
    SetValue,
    UpdateTree,
)
from storage.expressions.bind import bind_update
from storage.expressions.compare import MISSING, Resolved, lookup
from storage.expressions.paths import Path
from storage.expressions.placeholders import Placeholders
from storage.expressions.update_parser import parse_update_text
from storage.values import Item, Value, normalize_number, type_of

__all__ = ["Update", "parse_update"]

_LABEL = "UpdateExpression"
_INVALID_PATH = "The document path provided in the update expression is invalid for update"
_WRONG_TYPE = "An operand in the update expression has an incorrect data type"
_NO_ATTRIBUTE = "The provided expression refers to an attribute that does not exist in the item"
_SET_TYPES = frozenset({"SS", "NS", "BS"})
_OVERFLOW = (
    "Number overflow. Attempting to store a number with magnitude larger than supported range"
)
# Wide enough that the sum or difference of any two DynamoDB numbers (38 digits,
# exponents -130..125) is exact; normalize_number then applies DynamoDB's limits.
_EXACT = Context(prec=400, Emax=999, Emin=-999, traps=[InvalidOperation, Overflow, Inexact])


class Update:
    """A bound update expression.

    ``paths`` lists every path the update writes or removes, in clause order
    (SET, REMOVE, ADD, DELETE); ``tree`` is the bound AST.
    """

    __slots__ = ("paths", "tree")

    def __init__(self, tree: UpdateTree) -> None:
        self.tree = tree
        paths: list[Path] = []
        for actions in (tree.set, tree.remove, tree.add, tree.delete):
            paths.extend(action.path for action in actions)  # type: ignore[misc]
        self.paths: tuple[Path, ...] = tuple(paths)

    def apply(self, item: Item) -> Item:
        """The updated item, as a new dict; ``item`` itself is never changed."""
        tree = self.tree
        # Operands read the original item, so compute every SET value first.
        set_values = [(a.path, _evaluate(a.value, item)) for a in tree.set]
        writer = _Writer(item)
        for path, value in set_values:
            writer.set(path, value)  # type: ignore[arg-type]
        # Highest list index first, so each index still means its original element.
        removals = sorted(
            (a.path for a in tree.remove),
            key=lambda path: path[-1] if isinstance(path[-1], int) else -1,
            reverse=True,
        )
        for path in removals:
            writer.remove(path)  # type: ignore[arg-type]
        for add in tree.add:
            writer.add(add.path, add.value.value)  # type: ignore[arg-type, union-attr]
        for delete in tree.delete:
            writer.delete(delete.path, delete.value.value)  # type: ignore[arg-type, union-attr]
        return writer.result

    def __repr__(self) -> str:
        return f"Update({self.tree!r})"


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str) -> UpdateTree:
    return parse_update_text(text, _LABEL)


def parse_update(text: str, placeholders: Placeholders) -> Update:
    """Parse (cached per text) and bind an UpdateExpression."""
    return Update(bind_update(_parse_cached(text), placeholders, _LABEL))


def _evaluate(value: SetValue, item: Item) -> Value:
    """The value a SET action writes, computed from the original item."""
    if isinstance(value, Literal):
        return value.value
    if isinstance(value, PathOperand):
        found = lookup(item, value.path)  # type: ignore[arg-type]
        if found is MISSING:
            raise ValidationError(_NO_ATTRIBUTE)
        return found
    if isinstance(value, IfNotExists):
        found = lookup(item, value.path)  # type: ignore[arg-type]
        return _evaluate(value.default, item) if found is MISSING else found
    if isinstance(value, Arithmetic):
        left, right = _evaluate(value.left, item), _evaluate(value.right, item)
        if not _is_number(left) or not _is_number(right):
            raise ValidationError(_WRONG_TYPE)
        return _arithmetic(value.op, left, right)  # type: ignore[arg-type]
    if isinstance(value, ListAppend):
        first, second = _evaluate(value.first, item), _evaluate(value.second, item)
        if not isinstance(first, list) or not isinstance(second, list):
            raise ValidationError(_WRONG_TYPE)
        return first + second
    raise ValidationError(_WRONG_TYPE)


def _is_number(value: Resolved) -> bool:
    return isinstance(value, Decimal | int) and not isinstance(value, bool)


def _arithmetic(op: str, left: Decimal, right: Decimal) -> Decimal:
    # Exact arithmetic, then DynamoDB's own limits: a result that needs more than
    # 38 digits or leaves the number range is refused rather than rounded.
    try:
        exact = _EXACT.add(left, right) if op == "+" else _EXACT.subtract(left, right)
    except DecimalException:
        # Only operands far outside DynamoDB's range get here (values not validated).
        raise ValidationError(_OVERFLOW) from None
    return normalize_number(exact)


class _Writer:
    """Applies writes to a copy of an item, copying each container on first write."""

    def __init__(self, item: Item) -> None:
        self.result: Item = dict(item)
        self._fresh: set[int] = {id(self.result)}

    def _own(self, container: object) -> dict[str, Value] | list[Value]:
        """A copy of ``container`` this writer may change (the same object if already one)."""
        if id(container) in self._fresh:
            return container  # type: ignore[return-value]
        copy: dict[str, Value] | list[Value] = (
            dict(container) if isinstance(container, dict) else list(container)  # type: ignore[call-overload]
        )
        self._fresh.add(id(copy))
        return copy

    def _parent(self, path: Path) -> dict[str, Value] | list[Value]:
        """The (owned) container holding the last step of ``path``; it must exist."""
        container: dict[str, Value] | list[Value] = self.result
        for part in path[:-1]:
            child: object
            if isinstance(part, str) and isinstance(container, dict):
                child = container.get(part, MISSING)
            elif isinstance(part, int) and isinstance(container, list) and part < len(container):
                child = container[part]
            else:
                raise ValidationError(_INVALID_PATH)
            if not isinstance(child, dict | list):
                raise ValidationError(_INVALID_PATH)
            owned = self._own(child)
            container[part] = owned  # type: ignore[index]
            container = owned
        return container

    def set(self, path: Path, value: Value) -> None:
        parent, last = self._parent(path), path[-1]
        if isinstance(last, str) and isinstance(parent, dict):
            parent[last] = value
        elif isinstance(last, int) and isinstance(parent, list):
            if last < len(parent):
                parent[last] = value
            else:
                parent.append(value)
        else:
            raise ValidationError(_INVALID_PATH)

    def remove(self, path: Path) -> None:
        parent, last = self._parent(path), path[-1]
        if isinstance(last, str) and isinstance(parent, dict):
            parent.pop(last, None)
        elif isinstance(last, int) and isinstance(parent, list):
            if last < len(parent):
                del parent[last]
        else:
            raise ValidationError(_INVALID_PATH)

    def _current(self, path: Path) -> Resolved:
        parent, last = self._parent(path), path[-1]
        if isinstance(last, str) and isinstance(parent, dict):
            return parent.get(last, MISSING)
        if isinstance(last, int) and isinstance(parent, list):
            return parent[last] if last < len(parent) else MISSING
        raise ValidationError(_INVALID_PATH)

    def add(self, path: Path, value: Value) -> None:
        current = self._current(path)
        if current is MISSING:
            self.set(path, set(value) if isinstance(value, set | frozenset) else value)  # type: ignore[arg-type]
        elif _is_number(current) and _is_number(value):
            self.set(path, _arithmetic("+", current, value))  # type: ignore[arg-type]
        elif _same_set_type(current, value):
            self.set(path, set(current) | set(value))  # type: ignore[arg-type]
        else:
            raise ValidationError(_WRONG_TYPE)

    def delete(self, path: Path, value: Value) -> None:
        current = self._current(path)
        if current is MISSING:
            return
        if not _same_set_type(current, value):
            raise ValidationError(_WRONG_TYPE)
        remaining = set(current) - set(value)  # type: ignore[arg-type]
        if remaining:
            self.set(path, remaining)  # type: ignore[arg-type]
        else:
            self.remove(path)


def _same_set_type(current: Resolved, value: Value) -> bool:
    if not isinstance(current, set | frozenset) or not isinstance(value, set | frozenset):
        return False
    current_type = type_of(current)
    return current_type in _SET_TYPES and current_type == type_of(value)
