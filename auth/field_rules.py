"""Per-field read rules: a field only some of a model's readers may see.

    @app.model(rules=[allow.owner(), allow.authenticated(read=True)])
    class Member:
        id: PartitionKey[str]
        name: str
        email: str | None = restricted(read=[allow.owner("id"), allow.groups("admin")])

Every signed-in user reads members; only the member (``id`` is their user id) and
admins read ``email``. The rules are :mod:`auth.rules`' own (``owner``, ``groups``,
``authenticated``, ``public``), decided for ``get``: an owner rule grants the field on
the items whose owner field names the caller.

:class:`FieldReadPolicy` is one caller's view of one model's restricted fields: which
fields an item hides from them (:meth:`FieldReadPolicy.unreadable`), and whether they
may read a field on every item (:meth:`FieldReadPolicy.check_usable`), which a filter,
condition, key condition or sort on that field needs. Threat: learning a hidden value
by asking which items match ``email = "x@y"`` (or whether a conditional write fails).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auth.errors import AccessDeniedError
from auth.rules import Caller, Decision, Effect, Rule, decide

if TYPE_CHECKING:
    from auth.models import ModelSpec

__all__ = ["FieldReadPolicy", "Restricted", "filter_fields", "restricted"]


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()
"""``restricted(...)`` without a default: the field is required (or None if Optional)."""


@dataclass(frozen=True)
class Restricted:
    """The value of a restricted field's declaration (made by :func:`restricted`)."""

    read: tuple[Rule, ...]
    default: Any = ABSENT


def restricted(*, read: Sequence[Rule], default: Any = ABSENT) -> Any:
    """Declare who may read a field: ``email: str | None = restricted(read=[...])``.

    ``default`` is the field's default, as ``= value`` would give it.
    """
    if isinstance(read, Rule) or not read:
        raise ValueError("restricted(read=[...]) needs a list of at least one rule")
    return Restricted(tuple(read), default)


class FieldReadPolicy:
    """Which restricted fields of ``model`` one caller may read (module docstring)."""

    __slots__ = ("_decisions", "_model")

    def __init__(self, model: ModelSpec, caller: Caller) -> None:
        self._model = model
        self._decisions: dict[str, Decision] = {
            spec.name: decide(spec.read_rules, caller, "get")
            for spec in model.fields
            if spec.read_rules
        }

    @property
    def restricts(self) -> bool:
        """Whether any field may be hidden from this caller on some item."""
        return any(d.effect != Effect.ALLOWED for d in self._decisions.values())

    def unreadable(self, item: dict[str, Any]) -> list[str]:
        """The fields of the stored ``item`` this caller may not read."""
        hidden: list[str] = []
        for name, decision in self._decisions.items():
            if decision.effect == Effect.ALLOWED:
                continue
            if decision.effect == Effect.OWNER_ONLY and any(
                item.get(field) == decision.caller_id for field in decision.owner_fields
            ):
                continue
            hidden.append(name)
        return hidden

    def check_usable(self, fields: Iterable[str]) -> None:
        """Refuse (AccessDeniedError) a filter or key on a field hidden on some items."""
        for name in fields:
            decision = self._decisions.get(name)
            if decision is not None and decision.effect != Effect.ALLOWED:
                raise AccessDeniedError(
                    f"{self._model.name} items cannot be filtered, sorted or looked up by a "
                    "field you may not read on all of them."
                )


def filter_fields(filter_: Mapping[str, Any] | None) -> set[str]:
    """Every field a filter (as GraphQL and ``ctx.models`` write it) tests."""
    names: set[str] = set()
    for key, value in (filter_ or {}).items():
        if key in ("and", "or") and isinstance(value, list):
            for child in value:
                names |= filter_fields(child if isinstance(child, Mapping) else None)
        elif key == "not" and isinstance(value, Mapping):
            names |= filter_fields(value)
        else:
            names.add(key)
    return names
