"""Relations between models: has-many, has-one and belongs-to, declared on the model.

    @app.model(rules=[...])
    class Board:
        id: PartitionKey[str] = generated_id()
        name: str
        todos: HasMany["Todo"] = relation()                       # Todo's partition key = board id
        pinned: HasOne["Todo"] = relation(index="by_pinned_board")  # first of an index partition

    @app.model(rules=[...])
    class Todo:
        board_id: PartitionKey[str]
        id: SortKey[str] = generated_id()
        board: BelongsTo["Board"] = relation(fields=("board_id",))  # Board's key = this board_id

A relation is not a stored attribute: it says how to find the related items, and
GraphQL shows it as a nested field (``board { todos(limit: 20) { items { title } } }``).
How each kind finds them:

- ``HasMany[T]``: the items of ``T`` whose partition key (of ``T``'s table, or of
  ``T``'s ``index``) equals this item's ``fields`` (default: this model's partition key);
  a page, in sort-key order.
- ``HasOne[T]``: with ``index``, the first item of that partition (as ``HasMany``);
  without, the item of ``T`` whose key is this item's ``fields`` (as ``BelongsTo``).
- ``BelongsTo[T]``: the item of ``T`` whose primary key is this item's ``fields``, in the
  order of ``T``'s key fields (default: ``<t>_id``, e.g. ``board_id`` for ``Board``).

The target is named as a string (``HasMany["Todo"]``) so that models may refer to each
other whatever their order; :func:`check_relations` resolves every relation of an app
at start-up and fails naming the model and field when one cannot work.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from auth.errors import ModelDeclarationError

if TYPE_CHECKING:
    from auth.models import ModelSpec

__all__ = [
    "BelongsTo",
    "HasMany",
    "HasOne",
    "Relation",
    "RelationKind",
    "RelationSpec",
    "RelationTarget",
    "check_relations",
    "relation",
]

_T = TypeVar("_T")


class RelationKind(enum.Enum):
    HAS_MANY = "has_many"
    HAS_ONE = "has_one"
    BELONGS_TO = "belongs_to"


@dataclass(frozen=True)
class RelationTarget:
    """What ``HasMany["Todo"]`` evaluates to: the kind and the target model's name."""

    kind: RelationKind
    target: str


class _RelationAnnotation:
    kind: RelationKind

    def __class_getitem__(cls, target: object) -> RelationTarget:
        name = target if isinstance(target, str) else getattr(target, "__name__", None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"{cls.__name__}[...] takes a model class or its name")
        return RelationTarget(cls.kind, name)


if TYPE_CHECKING:  # to a type checker, the annotations are plain generics

    class HasMany(Generic[_T]):
        """A page of items of another model (see the module docstring)."""

    class HasOne(Generic[_T]):
        """One item of another model (see the module docstring)."""

    class BelongsTo(Generic[_T]):
        """The item of another model this one points at (see the module docstring)."""

else:

    class HasMany(_RelationAnnotation):
        """A page of items of another model (see the module docstring)."""

        kind = RelationKind.HAS_MANY

    class HasOne(_RelationAnnotation):
        """One item of another model (see the module docstring)."""

        kind = RelationKind.HAS_ONE

    class BelongsTo(_RelationAnnotation):
        """The item of another model this one points at (see the module docstring)."""

        kind = RelationKind.BELONGS_TO


@dataclass(frozen=True)
class Relation:
    """How a relation finds its items: made by :func:`relation`, the annotation's value."""

    index: str | None = None
    fields: tuple[str, ...] = ()


def relation(*, index: str | None = None, fields: str | Sequence[str] = ()) -> Any:
    """The value of a relation annotation: ``todos: HasMany["Todo"] = relation()``.

    ``index`` is one of the target's indexes (has-many, has-one); ``fields`` are this
    model's fields holding the related key (see the module docstring for defaults).
    """
    return Relation(index, (fields,) if isinstance(fields, str) else tuple(fields))


@dataclass(frozen=True)
class RelationSpec:
    """One relation of a model, as declared (targets resolved by :func:`check_relations`)."""

    name: str
    kind: RelationKind
    target: str
    index: str | None
    fields: tuple[str, ...]

    @property
    def is_list(self) -> bool:
        return self.kind is RelationKind.HAS_MANY

    @property
    def by_key(self) -> bool:
        """Whether it reads the target by primary key (else by one partition)."""
        return self.kind is RelationKind.BELONGS_TO or (
            self.kind is RelationKind.HAS_ONE and self.index is None
        )

    def target_keys(self, target: ModelSpec) -> tuple[str, ...]:
        """The target's fields that this relation's ``fields`` match, in order."""
        if self.by_key:
            return target.key_fields
        if self.index is not None:
            return (target.indexes[self.index].partition,)
        return (target.partition_key,)


def declared_relation(
    model: str, name: str, annotation: RelationTarget, value: object
) -> RelationSpec:
    """The :class:`RelationSpec` of ``name: HasMany["T"] = relation(...)``."""
    if not isinstance(value, Relation):
        raise ModelDeclarationError(
            f"model {model}, field {name}: a relation needs a value, e.g. "
            f'{name}: {annotation.kind.name.title().replace("_", "")}["{annotation.target}"] '
            "= relation()"
        )
    if annotation.kind is RelationKind.BELONGS_TO and value.index is not None:
        raise ModelDeclarationError(
            f"model {model}, field {name}: a BelongsTo reads the target by its key; "
            "index= is for HasMany and HasOne"
        )
    return RelationSpec(name, annotation.kind, annotation.target, value.index, value.fields)


def check_relations(models: Sequence[ModelSpec]) -> dict[str, tuple[RelationSpec, ...]]:
    """Every model's relations with their defaults filled in, or ModelDeclarationError.

    Checks that each target is a model of the app, that the index exists, and that the
    linking fields exist on both sides with the same stored type.
    """
    by_name = {model.name: model for model in models}
    resolved: dict[str, tuple[RelationSpec, ...]] = {}
    for model in models:
        specs = []
        for spec in model.relations:
            where = f"model {model.name}, field {spec.name}"
            target = by_name.get(spec.target)
            if target is None:
                raise ModelDeclarationError(f"{where}: {spec.target!r} is not a model of this app")
            if spec.index is not None and spec.index not in target.indexes:
                raise ModelDeclarationError(f"{where}: {target.name} has no index {spec.index!r}")
            spec = _with_default_fields(where, model, spec, target)
            _check_fields(where, model, spec, target)
            specs.append(spec)
        resolved[model.name] = tuple(specs)
    return resolved


def _with_default_fields(
    where: str, model: ModelSpec, spec: RelationSpec, target: ModelSpec
) -> RelationSpec:
    if spec.fields:
        return spec
    if spec.kind is RelationKind.BELONGS_TO:
        guess = f"{_snake(target.name)}_id"
        if len(target.key_fields) == 1 and any(f.name == guess for f in model.fields):
            return RelationSpec(spec.name, spec.kind, spec.target, spec.index, (guess,))
        raise ModelDeclarationError(
            f"{where}: name the fields holding {target.name}'s key: relation(fields=(...))"
        )
    if spec.by_key:
        raise ModelDeclarationError(
            f"{where}: name the fields holding {target.name}'s key: relation(fields=(...))"
        )
    if model.sort_key is not None:
        raise ModelDeclarationError(
            f"{where}: {model.name} has a sort key; name the field that {target.name}'s "
            "partition matches: relation(fields=...)"
        )
    return RelationSpec(spec.name, spec.kind, spec.target, spec.index, (model.partition_key,))


def _check_fields(where: str, model: ModelSpec, spec: RelationSpec, target: ModelSpec) -> None:
    wanted = spec.target_keys(target)
    if len(spec.fields) != len(wanted):
        raise ModelDeclarationError(
            f"{where}: {len(wanted)} field(s) must match {target.name}'s {', '.join(wanted)}"
        )
    for mine, theirs in zip(spec.fields, wanted, strict=True):
        try:
            source = model.field(mine)
        except KeyError:
            raise ModelDeclarationError(f"{where}: {model.name} has no field {mine!r}") from None
        if source.list_of or source.dynamo_type != target.field(theirs).dynamo_type:
            raise ModelDeclarationError(
                f"{where}: {model.name}.{mine} and {target.name}.{theirs} must have the same type"
            )


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
