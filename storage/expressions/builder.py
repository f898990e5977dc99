"""Building expression text from program data, with every name and value in a placeholder.

Code that composes an expression (a model filter, an update of some fields, a version
check) asks one :class:`ExpressionBuilder` for a placeholder per attribute name and per
value, and writes only those placeholders and its own operators into the text::

    builder = ExpressionBuilder()
    text = f"{builder.name('done')} = {builder.value(False)}"   # "#n0 = :v0"
    store.update_item(..., condition=text, names=builder.names, values=builder.values)

Threat: injection. Nothing that came from a client is ever spliced into the text: its
names and values travel in the placeholder maps. One builder is shared by every
expression of one store call (update, condition), so their placeholders never collide;
``prefix`` keeps two builders of one call apart (``"__m"`` gives ``#__m0``, ``:__m0``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ExpressionBuilder"]


@dataclass
class ExpressionBuilder:
    """Hands out placeholders and collects their names and values."""

    prefix: str = ""
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    _by_name: dict[str, str] = field(default_factory=dict)

    def name(self, attribute: str) -> str:
        """The ``#n<i>`` placeholder of ``attribute`` (one per distinct attribute)."""
        placeholder = self._by_name.get(attribute)
        if placeholder is None:
            placeholder = f"#{self.prefix or 'n'}{len(self._by_name)}"
            self._by_name[attribute] = placeholder
            self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        """A new ``:v<i>`` placeholder holding ``value``."""
        placeholder = f":{self.prefix or 'v'}{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def names_or_none(self) -> dict[str, str] | None:
        return dict(self.names) or None

    def values_or_none(self) -> dict[str, Any] | None:
        return dict(self.values) or None
