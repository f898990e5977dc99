"""Model declarations: one annotated class says what a thing is and who may touch it.

    @app.model(rules=[allow.owner(), allow.groups("admin"), allow.authenticated(read=True)])
    class Todo:
        board_id: PartitionKey[str]
        id: SortKey[str] = generated_id()
        title: str
        done: bool = False
        by_owner = Index(partition="owner", sort="created_at")

From that one declaration baas derives the table (:meth:`ModelSpec.table_spec`), the
access rules, and the GraphQL types. Field names are the stored attribute names (Python
style, ``board_id``); GraphQL shows them camel-cased (``boardId``).

The model lives here, in ``auth`` below ``functions`` and ``baas``, so that the one layer
every caller-scoped write passes through (:class:`~auth.acting_store.ActingStore`)
applies it, whatever the way in: GraphQL, a function, a trigger's workflow. App authors
import these names from ``baas.models``, which re-exports them.

Server-owned fields are added and maintained by baas, never set by clients: ``owner``
(one per owner rule field), ``created_at`` and ``updated_at`` (ISO 8601 UTC strings, so
they sort as text), and ``version`` (optimistic locking).

A declaration that cannot work fails at start-up with :class:`ModelDeclarationError`
naming the model and the field.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeAlias, TypeVar

from auth.errors import InvalidRequestError, ModelDeclarationError
from auth.field_rules import ABSENT, Restricted, restricted
from auth.model_classes import declaration
from auth.model_computed import ComputedField, ComputedSpec, FieldContext, computed
from auth.model_relations import (
    BelongsTo,
    HasMany,
    HasOne,
    RelationSpec,
    RelationTarget,
    declared_relation,
    relation,
)
from auth.model_values import to_store
from auth.owner_index import implied_owner_index
from auth.rules import Rule
from storage import IndexProjection, IndexSpec, Item, KeyAttribute, TableSpec
from storage.errors import ValidationError
from storage.tables import validate_name

__all__ = [
    "BelongsTo",
    "FieldContext",
    "FieldSpec",
    "GeneratedId",
    "HasMany",
    "HasOne",
    "Index",
    "ModelDeclarationError",
    "ModelSpec",
    "PartitionKey",
    "SortKey",
    "computed",
    "declare_model",
    "generated_id",
    "relation",
    "restricted",
]

_T = TypeVar("_T")


class KeyRole(enum.Enum):
    PARTITION = "partition"
    SORT = "sort"


PartitionKey: TypeAlias = Annotated[_T, KeyRole.PARTITION]
SortKey: TypeAlias = Annotated[_T, KeyRole.SORT]

SERVER_TIMESTAMPS = ("created_at", "updated_at")
RESERVED_TABLE_PREFIX = "_baas"
VERSION_FIELD = "version"

# Python type -> (field kind, DynamoDB type). The kind decides the GraphQL scalar.
FieldKind = Literal[
    "string", "int", "float", "decimal", "boolean", "datetime", "bytes", "json", "enum"
]
_SCALARS: dict[type, tuple[FieldKind, str]] = {
    str: ("string", "S"),
    int: ("int", "N"),
    float: ("float", "N"),
    Decimal: ("decimal", "N"),
    bool: ("boolean", "BOOL"),
    datetime: ("datetime", "S"),
    bytes: ("bytes", "B"),
    dict: ("json", "M"),
}


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()
"""A required field's default: the client must provide a value."""


@dataclass(frozen=True)
class GeneratedId:
    """Default marker: baas fills the field with a new unique, time-ordered id on create."""


def generated_id() -> Any:
    """Use as a default: ``id: SortKey[str] = generated_id()``."""
    return GeneratedId()


@dataclass(frozen=True)
class Index:
    """A global secondary index; its attribute name in the class becomes its name."""

    partition: str
    sort: str | None = None
    projection: Literal["ALL", "KEYS_ONLY"] | tuple[str, ...] = "ALL"


@dataclass(frozen=True)
class FieldSpec:
    """One field of a model."""

    name: str
    kind: FieldKind
    dynamo_type: str
    required: bool
    list_of: bool = False
    enum_type: type[enum.Enum] | None = None
    default: Any = NO_DEFAULT
    key_role: KeyRole | None = None
    server_owned: bool = False
    read_rules: tuple[Rule, ...] = ()
    """Who may read the field, when not every reader of the item may
    (:mod:`auth.field_rules`); empty: whoever reads the item."""

    @property
    def generated(self) -> bool:
        return isinstance(self.default, GeneratedId)

    @property
    def fills_default(self) -> bool:
        """Whether reads show the declared default when an item lacks this field."""
        return not (
            self.server_owned
            or self.generated
            or self.default is NO_DEFAULT
            or self.default is None
        )


@dataclass(frozen=True)
class ModelSpec:
    """Everything baas knows about one model."""

    name: str
    table: str
    fields: tuple[FieldSpec, ...]
    partition_key: str
    sort_key: str | None
    indexes: dict[str, Index]
    rules: tuple[Rule, ...]
    owner_fields: tuple[str, ...]
    ttl_attribute: str | None
    declared: type
    read_defaults: tuple[tuple[str, Any], ...] = ()
    """``(field, stored default)`` of each field a read fills when an item lacks it."""
    relations: tuple[RelationSpec, ...] = ()
    """Links to other models (:mod:`auth.model_relations`), as declared."""
    computed: tuple[ComputedSpec, ...] = ()
    """Values derived on read by the app's methods (:mod:`auth.model_computed`)."""

    @property
    def restricted_fields(self) -> tuple[FieldSpec, ...]:
        """The fields with read rules of their own (:mod:`auth.field_rules`)."""
        return tuple(spec for spec in self.fields if spec.read_rules)

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def with_defaults(self, item: Item) -> Item:
        """``item`` with each declared default it lacks (or holds as null) filled in.

        Items written before a field was declared, or by a raw path (``/dynamodb``, a
        system write), read as if written through the model: a ``done: bool = False``
        never reads as null. The stored item is not changed.
        """
        missing = {name: default for name, default in self.read_defaults if item.get(name) is None}
        return {**item, **missing} if missing else item

    @property
    def key_fields(self) -> tuple[str, ...]:
        return (self.partition_key,) + ((self.sort_key,) if self.sort_key else ())

    def table_spec(self) -> TableSpec:
        """The store table this model lives in (with the index owner-only lists read
        through, when the model declares none: see :mod:`auth.owner_index`)."""
        implied = implied_owner_index(self)
        return TableSpec(
            name=self.table,
            partition_key=self._key(self.partition_key),
            sort_key=self._key(self.sort_key) if self.sort_key else None,
            indexes=tuple(
                IndexSpec(
                    name=name,
                    partition_key=self._key(index.partition),
                    sort_key=self._key(index.sort) if index.sort else None,
                    projection=_projection(index),
                )
                for name, index in self.indexes.items()
            )
            + ((implied,) if implied else ()),
            ttl_attribute=self.ttl_attribute,
            # The store raises it on every write, whoever writes (see storage.versions).
            version_attribute=VERSION_FIELD,
        )

    def _key(self, name: str) -> KeyAttribute:
        spec = self.field(name)
        return KeyAttribute(name, typing.cast(Any, spec.dynamo_type))


def _projection(index: Index) -> IndexProjection:
    if isinstance(index.projection, tuple):
        return IndexProjection("INCLUDE", index.projection)
    return IndexProjection(index.projection)


def declare_model(
    cls: type,
    *,
    rules: Sequence[Rule],
    table: str | None = None,
    ttl: str | None = None,
) -> ModelSpec:
    """Read ``cls``'s annotations into a :class:`ModelSpec`, or fail naming what is wrong."""
    name = cls.__name__
    fail = _Failer(name)
    if not rules:
        fail(None, "declare at least one access rule (rules=[...]); models fail closed")
    try:
        hints, defaults = declaration(cls)
    except (NameError, TypeError) as exc:
        fail(None, f"cannot resolve the annotations ({exc})")
    relations = tuple(
        declared_relation(name, field_name, hint, defaults.get(field_name))
        for field_name, hint in hints.items()
        if isinstance(hint, RelationTarget)
    )
    fields = [
        _field(fail, field_name, hint, defaults.get(field_name, NO_DEFAULT))
        for field_name, hint in hints.items()
        if not isinstance(hint, RelationTarget)
    ]
    owner_fields = tuple(dict.fromkeys(r.owner_field for r in rules if r.owner_field))
    fields += _server_fields(fail, fields, owner_fields)
    by_name = {f.name: f for f in fields}
    partition = _single_key(fail, fields, KeyRole.PARTITION, required=True)
    sort = _single_key(fail, fields, KeyRole.SORT, required=False)
    indexes = {attr: value for attr, value in vars(cls).items() if isinstance(value, Index)}
    for index_name, index in indexes.items():
        for role, key in (("partition", index.partition), ("sort", index.sort)):
            if key is not None:
                _check_key_field(fail, by_name, key, f"index {index_name} {role} key")
    _check_read_rules(fail, by_name)
    computed = _computed_fields(fail, cls, set(by_name) | {r.name for r in relations})
    if ttl is not None and (ttl not in by_name or by_name[ttl].kind not in ("int", "decimal")):
        fail(ttl, "the ttl field must be declared as int or Decimal (epoch seconds)")
    table_name = table or name
    if table_name.startswith(RESERVED_TABLE_PREFIX):
        # Threat: an app model placing its own rules on baas's system tables (users, keys).
        fail(None, f"table names starting with {RESERVED_TABLE_PREFIX!r} are reserved for baas")
    try:
        validate_name(table_name)
    except ValidationError:
        fail(None, f"invalid table name {table_name!r}: use 3-255 of a-z A-Z 0-9 _ . -")
    return ModelSpec(
        read_defaults=tuple(
            (spec.name, _stored_default(fail, spec)) for spec in fields if spec.fills_default
        ),
        name=name,
        table=table_name,
        fields=tuple(fields),
        partition_key=partition,
        sort_key=sort,
        indexes=indexes,
        rules=tuple(rules),
        owner_fields=owner_fields,
        ttl_attribute=ttl,
        declared=cls,
        relations=relations,
        computed=computed,
    )


def _stored_default(fail: _Failer, spec: FieldSpec) -> Any:
    try:
        return to_store(spec, spec.default)
    except InvalidRequestError:
        fail(spec.name, f"the default {spec.default!r} does not fit the declared type")


class _Failer:
    def __init__(self, model: str) -> None:
        self.model = model

    def __call__(self, field: str | None, problem: str) -> typing.NoReturn:
        where = f"model {self.model}" + (f", field {field}" if field else "")
        raise ModelDeclarationError(f"{where}: {problem}")


def _field(fail: _Failer, name: str, hint: Any, default: Any) -> FieldSpec:
    if name.startswith("_"):
        fail(name, "field names must not start with '_' (reserved for baas)")
    read_rules: tuple[Rule, ...] = ()
    if isinstance(default, Restricted):
        read_rules = default.read
        default = NO_DEFAULT if default.default is ABSENT else default.default
    role: KeyRole | None = None
    if typing.get_origin(hint) is Annotated:
        inner, *extras = typing.get_args(hint)
        roles = [extra for extra in extras if isinstance(extra, KeyRole)]
        role = roles[0] if roles else None
        hint = inner
    required = True
    if _is_optional(hint):
        required = False
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    list_of = typing.get_origin(hint) is list
    if list_of:
        (hint,) = typing.get_args(hint) or (Any,)
    if typing.get_origin(hint) is dict:
        hint = dict
    enum_type = hint if isinstance(hint, type) and issubclass(hint, enum.Enum) else None
    kind: FieldKind
    if enum_type is not None:
        kind, dynamo = "enum", "S"
    elif hint in _SCALARS:
        kind, dynamo = _SCALARS[hint]
    else:
        fail(
            name,
            f"unsupported type {hint!r}; use str, int, float, Decimal, bool, "
            "datetime, bytes, dict, an Enum, a list of these, or Optional of these",
        )
    # float is not exact, so it cannot identify an item.
    if role is not None and (
        list_of or not required or kind == "float" or dynamo not in ("S", "N", "B")
    ):
        fail(name, "a key must be a required str, int, Decimal or bytes")
    if role is not None and read_rules:
        fail(name, "a key field is part of every item's identity: it cannot be restricted")
    if default is not NO_DEFAULT:
        required = False
    elif not required:
        default = None
    return FieldSpec(
        name=name,
        kind=kind,
        dynamo_type="L" if list_of else dynamo,
        required=required,
        list_of=list_of,
        enum_type=enum_type,
        default=default,
        key_role=role,
        read_rules=read_rules,
    )


def _is_optional(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    return origin in (typing.Union, types.UnionType) and type(None) in typing.get_args(hint)


def _server_fields(
    fail: _Failer, fields: list[FieldSpec], owner_fields: Iterable[str]
) -> list[FieldSpec]:
    declared = {f.name for f in fields}
    added = [
        FieldSpec(name, "string", "S", required=False, server_owned=True)
        for name in owner_fields
        if name not in declared
    ]
    added += [
        FieldSpec(name, "datetime", "S", required=False, server_owned=True)
        for name in SERVER_TIMESTAMPS
    ]
    added.append(FieldSpec(VERSION_FIELD, "int", "N", required=False, server_owned=True))
    clash = declared & ({*SERVER_TIMESTAMPS, VERSION_FIELD})
    if clash:
        fail(sorted(clash)[0], "the name is reserved for a server-owned field")
    # An owner field the developer declared is still server-owned: clients never set it.
    for i, spec in enumerate(fields):
        if spec.name in owner_fields:
            fields[i] = dataclasses.replace(spec, server_owned=True, required=False)
    return added


def _single_key(fail: _Failer, fields: list[FieldSpec], role: KeyRole, *, required: bool) -> Any:
    keys = [f.name for f in fields if f.key_role is role]
    label = "PartitionKey" if role is KeyRole.PARTITION else "SortKey"
    if len(keys) > 1:
        fail(keys[1], f"only one field may be the {label}")
    if not keys and required:
        fail(None, f"declare exactly one field as {label}[...]")
    return keys[0] if keys else None


def _check_key_field(fail: _Failer, by_name: dict[str, FieldSpec], name: str, what: str) -> None:
    spec = by_name.get(name)
    if spec is None:
        fail(name, f"{what} names a field the model does not have")
    if spec.list_of or spec.kind == "float" or spec.dynamo_type not in ("S", "N", "B"):
        fail(name, f"{what} must be a str, number or bytes field")


def _check_read_rules(fail: _Failer, by_name: dict[str, FieldSpec]) -> None:
    for spec in by_name.values():
        for rule in spec.read_rules:
            if "get" not in rule.operations:
                fail(spec.name, "a read rule must allow reading (e.g. allow.groups('x'))")
            owner = rule.owner_field
            if owner is not None and (owner not in by_name or by_name[owner].kind != "string"):
                fail(spec.name, f"the owner rule names {owner!r}, which is not a str field")


def _computed_fields(fail: _Failer, cls: type, taken: set[str]) -> tuple[ComputedSpec, ...]:
    found: list[ComputedSpec] = []
    for name, value in vars(cls).items():
        if not isinstance(value, ComputedField):
            continue
        if name in taken or name.startswith("_"):
            fail(name, "a computed field needs a name of its own, not starting with '_'")
        try:
            hint = typing.get_type_hints(value.function).get("return")
        except (NameError, TypeError) as exc:
            fail(name, f"cannot resolve the return annotation ({exc})")
        if hint is None:
            fail(name, "a computed field needs a return annotation (its GraphQL type)")
        output = _field(fail, name, hint, None)
        found.append(ComputedSpec(name, output, value.function, value.cost))
    return tuple(found)
