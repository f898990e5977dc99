"""Access rules, declared once per model (in the style of Amplify's ``@auth``).

A model lists the rules that grant access; anything not granted is denied::

    rules = [
        allow.owner(),                                   # owners do everything to theirs
        allow.groups("admin"),                           # admins do everything
        allow.authenticated(read=True),                  # signed-in users read all
    ]
    decision = decide(rules, caller, "update")

:func:`decide` returns a :class:`Decision`: denied, allowed, or allowed only for items
the caller owns. The last one is not checked here: the store adds
:meth:`Decision.condition` to the *same* conditional write or filter as the operation,
so there is no window between the check and the write (threat: TOCTOU on ownership).
On ``create`` it instead sets the owner fields to the caller (:attr:`Decision.owner_values`).

Everything fails closed: no rules, an unknown operation, an unknown caller kind, an
unknown rule strategy all mean denied. The ``system`` caller (the platform itself, and
functions declared to act as system) is always allowed.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from auth.errors import AccessDeniedError

__all__ = [
    "MODEL_OPERATIONS",
    "Allow",
    "Caller",
    "CallerKind",
    "Decision",
    "Effect",
    "Rule",
    "allow",
    "decide",
]

MODEL_OPERATIONS: tuple[str, ...] = ("create", "get", "list", "update", "delete")
_READ = ("get", "list")  # the "read" shorthand
_PLACEHOLDER_PREFIX = re.compile(r"__[A-Za-z0-9_]*")

Strategy = Literal["owner", "groups", "authenticated", "public", "system"]


class CallerKind(StrEnum):
    ANONYMOUS = "anonymous"
    USER = "user"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: nobody in particular, a signed-in user, or the platform itself."""

    kind: CallerKind
    user_id: str | None = None
    groups: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", CallerKind(self.kind))  # "user" -> CallerKind.USER
        object.__setattr__(self, "groups", frozenset(self.groups))
        if (self.kind == CallerKind.USER) != bool(self.user_id):
            raise ValueError("a user caller needs a user_id, and only a user caller has one")

    @classmethod
    def anonymous(cls) -> Caller:
        return cls(CallerKind.ANONYMOUS)

    @classmethod
    def user(cls, user_id: str, groups: Iterable[str] = ()) -> Caller:
        return cls(CallerKind.USER, user_id, frozenset(groups))

    @classmethod
    def system(cls) -> Caller:
        return cls(CallerKind.SYSTEM)


@dataclass(frozen=True, slots=True)
class Rule:
    """One grant: ``strategy`` allows ``operations``. Build rules with :data:`allow`."""

    strategy: Strategy
    operations: frozenset[str]
    owner_field: str | None = None
    groups: frozenset[str] = frozenset()


class Allow:
    """Builds rules over a known set of operations, so a typo fails at declaration.

    The module-level :data:`allow` knows the model operations; for other resources make
    another, e.g. ``Allow(operations=("start", "get"))`` for workflows.
    """

    def __init__(self, operations: Iterable[str] = MODEL_OPERATIONS) -> None:
        self.operations = tuple(dict.fromkeys(operations))

    def owner(self, field: str = "owner", *, operations: Iterable[str] | None = None) -> Rule:
        """The user whose id is in the item's ``field`` may do ``operations`` (default all)."""
        if not field:
            raise ValueError("owner field must be non-empty")
        return Rule("owner", self._resolve(operations, read=False), owner_field=field)

    def groups(self, *names: str, operations: Iterable[str] | None = None) -> Rule:
        """Members of any of ``names`` may do ``operations`` (default all) on every item."""
        if not names or not all(names):
            raise ValueError("groups() needs at least one non-empty group name")
        return Rule("groups", self._resolve(operations, read=False), groups=frozenset(names))

    def authenticated(self, *, operations: Iterable[str] | None = None, read: bool = False) -> Rule:
        """Any signed-in user may do ``operations`` (default all; ``read=True``: get+list)."""
        return Rule("authenticated", self._resolve(operations, read=read))

    def public(self, *, operations: Iterable[str] | None = None, read: bool = False) -> Rule:
        """Anyone, signed in or not, may do ``operations``; these must be listed.

        No default here on purpose. Threat: a world-writable model by omission.
        """
        if operations is None and not read:
            raise ValueError("public() needs explicit operations=… or read=True")
        return Rule("public", self._resolve(operations, read=read))

    def system(self) -> Rule:
        """Documents that the platform acts on this model; the system caller is always allowed."""
        return Rule("system", frozenset())

    def _resolve(self, operations: Iterable[str] | None, *, read: bool) -> frozenset[str]:
        if isinstance(operations, str):
            raise TypeError("operations must be a collection of names, not one string")
        names: list[str] = []
        if operations is None and not read:
            names.extend(self.operations)
        for name in operations or ():
            names.extend(_READ if name == "read" else (name,))
        if read:
            names.extend(_READ)
        unknown = sorted(set(names) - set(self.operations))
        if unknown:
            raise ValueError(f"unknown operations {unknown}; known: {list(self.operations)}")
        if not names:
            raise ValueError("a rule must allow at least one operation")
        return frozenset(names)


allow = Allow()


class Effect(StrEnum):
    DENIED = "denied"
    ALLOWED = "allowed"
    OWNER_ONLY = "owner_only"


@dataclass(frozen=True, slots=True)
class Decision:
    """What :func:`decide` concluded, with what the store needs to enforce it.

    For ``OWNER_ONLY``: on create, set :attr:`owner_values` on the new item (overriding
    whatever the client sent); on every other operation, AND :meth:`condition` into the
    operation's condition or filter. An owner-only update must also not change an owner
    field (threat: handing an item to someone else); the store refuses that.
    """

    effect: Effect
    operation: str
    owner_fields: tuple[str, ...] = ()
    caller_id: str | None = None
    owner_values: Mapping[str, str] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.effect != Effect.DENIED

    def require(self) -> Decision:
        """Self if allowed (in some way); raise :class:`AccessDeniedError` if denied."""
        if not self.allowed:
            raise AccessDeniedError()
        return self

    def condition(
        self, prefix: str = "__auth"
    ) -> tuple[str, dict[str, str], dict[str, str]] | None:
        """``(expression, names, values)`` restricting to the caller's items, or None.

        In DynamoDB condition syntax, parenthesised so it can be ANDed with the user's
        own. Placeholders start with ``prefix`` (``#__auth_owner0``, ``:__auth_caller``);
        the store must reserve ``__``-prefixed placeholders so users cannot collide with
        them (threat: a user-supplied ``:__auth_caller`` overriding the caller id).
        None when no condition applies: allowed outright, or a create.
        """
        if not _PLACEHOLDER_PREFIX.fullmatch(prefix):
            raise ValueError("prefix must match __[A-Za-z0-9_]*")
        if self.effect == Effect.DENIED:
            raise AccessDeniedError()
        if self.effect == Effect.ALLOWED or self.operation == "create":
            return None
        if self.caller_id is None:  # unreachable by construction; fail closed anyway
            raise AccessDeniedError()
        value = f":{prefix}_caller"
        names = {f"#{prefix}_owner{i}": name for i, name in enumerate(self.owner_fields)}
        expression = " OR ".join(f"{placeholder} = {value}" for placeholder in names)
        return f"({expression})", names, {value: self.caller_id}


def decide(
    rules: Iterable[Rule],
    caller: Caller,
    operation: str,
    *,
    known_operations: Collection[str] = MODEL_OPERATIONS,
) -> Decision:
    """Combine ``rules`` for ``caller`` doing ``operation``: any grant wins, else denied.

    ``known_operations`` is the resource's operation set (the same one its :class:`Allow`
    was built with); anything else is denied, even to the system caller.
    """
    denied = Decision(Effect.DENIED, str(operation))
    kind = _kind_of(caller)
    if kind is None or not isinstance(operation, str) or operation not in known_operations:
        return denied
    if kind == CallerKind.SYSTEM:
        return Decision(Effect.ALLOWED, operation)
    owner_fields: list[str] = []
    for rule in rules:
        if operation not in rule.operations:
            continue
        if _grants_outright(rule, caller):
            return Decision(Effect.ALLOWED, operation)
        if rule.strategy == "owner" and caller.kind == CallerKind.USER and rule.owner_field:
            owner_fields.append(rule.owner_field)
    if not owner_fields or caller.user_id is None:
        return denied
    fields = tuple(dict.fromkeys(owner_fields))
    return Decision(
        Effect.OWNER_ONLY,
        operation,
        owner_fields=fields,
        caller_id=caller.user_id,
        owner_values=dict.fromkeys(fields, caller.user_id) if operation == "create" else {},
    )


def _kind_of(caller: object) -> CallerKind | None:
    # Checked at run time too: decide() is the last gate, and a caller built by hand or
    # deserialised from a workflow payload may not be what the annotations promise.
    if not isinstance(caller, Caller):
        return None
    kind: object = caller.kind
    return kind if isinstance(kind, CallerKind) else None


def _grants_outright(rule: Rule, caller: Caller) -> bool:
    is_user = caller.kind == CallerKind.USER
    if rule.strategy == "public":
        return True
    if rule.strategy == "authenticated":
        return is_user
    if rule.strategy == "groups":
        return is_user and not rule.groups.isdisjoint(caller.groups)
    return False
