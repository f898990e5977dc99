"""ExpressionAttributeNames and ExpressionAttributeValues of one request.

DynamoDB refuses a request that defines a placeholder none of its expressions uses,
so one ``Placeholders`` object is shared by all expressions of a request (condition,
update, projection, ...) and records what they used; the store calls
:meth:`Placeholders.check_all_used` once all expressions are bound.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from storage.errors import ValidationError
from storage.expressions.limits import check_substitutions_size, invalid
from storage.values import Value

__all__ = ["Placeholders"]

_KEY_CHARS = frozenset(string.ascii_letters + string.digits + "_")


def _valid_key(key: object, sigil: str) -> bool:
    return (
        isinstance(key, str)
        and len(key) > 1
        and key[0] == sigil
        and all(char in _KEY_CHARS for char in key[1:])
    )


class Placeholders:
    """ExpressionAttributeNames / ExpressionAttributeValues of ONE request; records which
    were used across all expressions of that request."""

    __slots__ = ("_names", "_used_names", "_used_values", "_values")

    def __init__(
        self, names: Mapping[str, str] | None = None, values: Mapping[str, Value] | None = None
    ) -> None:
        self._names: dict[str, str] = dict(names or {})
        self._values: dict[str, Value] = dict(values or {})
        self._used_names: set[str] = set()
        self._used_values: set[str] = set()
        for key, name in self._names.items():
            if not _valid_key(key, "#"):
                raise ValidationError(
                    f'ExpressionAttributeNames contains invalid key: Syntax error; key: "{key}"'
                )
            if not isinstance(name, str) or not name:
                raise ValidationError(
                    f"ExpressionAttributeNames contains invalid value: Empty attribute name; key: {key}"
                )
        for key in self._values:
            if not _valid_key(key, ":"):
                raise ValidationError(
                    f'ExpressionAttributeValues contains invalid key: Syntax error; key: "{key}"'
                )
        if self._names or self._values:
            check_substitutions_size(self._names, self._values)

    def name(self, key: str, label: str) -> str:
        """The attribute name behind ``#key``; marks it used."""
        try:
            name = self._names[key]
        except KeyError:
            raise invalid(
                label,
                "An expression attribute name used in the document path is not defined; "
                f"attribute name: {key}",
            ) from None
        self._used_names.add(key)
        return name

    def value(self, key: str, label: str) -> Value:
        """The value behind ``:key``; marks it used."""
        try:
            value = self._values[key]
        except KeyError:
            raise invalid(
                label,
                "An expression attribute value used in expression is not defined; "
                f"attribute value: {key}",
            ) from None
        self._used_values.add(key)
        return value

    def check_all_used(self) -> None:
        """ValidationError if a defined name or value was used by no expression."""
        unused_names = sorted(self._names.keys() - self._used_names)
        if unused_names:
            raise ValidationError(
                "Value provided in ExpressionAttributeNames unused in expressions: "
                f"keys: {{{', '.join(unused_names)}}}"
            )
        unused_values = sorted(self._values.keys() - self._used_values)
        if unused_values:
            raise ValidationError(
                "Value provided in ExpressionAttributeValues unused in expressions: "
                f"keys: {{{', '.join(unused_values)}}}"
            )
