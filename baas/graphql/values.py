"""Converting field values between GraphQL and the store, by field kind.

To the store, GraphQL's values (already checked against the schema by graphql-core)
take the model's own conversion, :func:`auth.model_values.to_store`: the same one a
function's values take. To GraphQL, a stored value becomes what the resolvers return,
as :func:`auth.model_values.from_store` shows it to functions (``Decimal`` as ``int`` or
``float`` as declared, enum values their member, sets as lists), except datetimes,
which stay their stored ISO text (the ``DateTime`` scalar serialises it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from strawberry.utils.str_converters import to_camel_case

from auth.errors import AccessDeniedError
from auth.field_rules import FieldReadPolicy
from auth.model_values import from_store, to_store
from auth.models import FieldSpec, ModelSpec
from auth.rules import Caller
from storage import Item

__all__ = [
    "HIDDEN",
    "STORED",
    "ItemView",
    "ShownItems",
    "StoredField",
    "from_graphql",
    "item_to_graphql",
    "stored_fields",
    "to_graphql",
]

STORED = "__stored"
"""The key under which a model's object keeps its stored item, for the object's own
fields to read (a relation's link values, a computed field's input). Never a GraphQL
field name: names starting with ``__`` are reserved for introspection."""


def from_graphql(spec: FieldSpec, value: Any) -> Any:
    """A GraphQL input value of ``spec`` as a store value (None stays None)."""
    return to_store(spec, value)


def to_graphql(spec: FieldSpec, value: Any) -> Any:
    """A stored value of ``spec`` as GraphQL's resolvers return it."""
    if spec.kind == "datetime":  # the stored text is what the DateTime scalar answers
        return list(value) if isinstance(value, set | frozenset) else value
    if spec.kind == "int" and isinstance(value, Decimal) and value.is_finite():
        return int(value)  # a raw writer's 1.5 in an Int field: GraphQL can only say 1
    return from_store(spec, value)


def item_to_graphql(model: ModelSpec, item: Item) -> dict[str, Any]:
    """A stored item as its GraphQL object: GraphQL field names (``boardId``) to values.

    Keyed by GraphQL names so that graphql-core resolves the fields itself, without a
    Python call per field (see :func:`baas.graphql.schema.build_schema`). Only declared
    fields are returned: attributes written by other paths (the DynamoDB API,
    functions) are not part of the schema and stay invisible. A field the item lacks
    (or holds as null) shows its declared default: items written before the field was
    declared, or by a raw path, read as if written through the model.
    """
    result: dict[str, Any] = {}
    for graphql_name, (name, default, convert, spec) in stored_fields(model).items():
        value = item.get(name)
        if value is None:
            value = default
        result[graphql_name] = value if convert is None else convert(spec, value)
    return result


StoredField = tuple[str, Any, Any, FieldSpec]
"""How one field of an item reads as GraphQL: its stored name, its read default, the
converter (``to_graphql``, or None where the stored value is already the answer) and
its spec."""

# Kinds whose stored value is already what GraphQL answers (not in a list): no call.
_AS_STORED = ("string", "boolean", "decimal", "bytes", "datetime")
_STORED_FIELDS: dict[int, tuple[ModelSpec, dict[str, StoredField]]] = {}


def stored_fields(model: ModelSpec) -> dict[str, StoredField]:
    """``model``'s declared fields by GraphQL name, each as :data:`StoredField`."""
    cached = _STORED_FIELDS.get(id(model))
    if cached is None or cached[0] is not model:
        defaults = dict(model.read_defaults)
        fields = {
            to_camel_case(spec.name): (
                spec.name,
                defaults.get(spec.name),
                None if spec.kind in _AS_STORED and not spec.list_of else to_graphql,
                spec,
            )
            for spec in model.fields
        }
        cached = _STORED_FIELDS[id(model)] = (model, fields)  # the model keeps its id unique
    return cached[1]


class _HiddenField:
    """A field's value the caller may not read (:mod:`auth.field_rules`).

    graphql-core calls a callable value to resolve it (``resolve_field``), so selecting
    the field answers null with ``FORBIDDEN`` at its path, on whatever path the item
    came (a query, a nested edge, a mutation's result).
    """

    __slots__ = ()

    def __call__(self, *_args: Any, **_kwargs: Any) -> Any:
        raise AccessDeniedError("You may not read this field.")

    def __repr__(self) -> str:
        return "HIDDEN"


HIDDEN: Any = _HiddenField()


class ItemView:
    """Stored items of ``model`` as ``caller`` sees them in GraphQL.

    :func:`item_to_graphql`, and each field the caller may not read on that item set to
    ``hidden``: :data:`HIDDEN` (null and ``FORBIDDEN`` if selected) or, for subscription
    events, None (stripped: an event carries no errors).
    """

    __slots__ = ("_keep", "_names", "_policy", "hidden", "model")

    def __init__(self, model: ModelSpec, caller: Caller, *, hidden: Any = HIDDEN) -> None:
        self.model = model
        policy = FieldReadPolicy(model, caller) if model.restricted_fields else None
        self._policy = policy if policy is not None and policy.restricts else None
        self._names = {spec.name: to_camel_case(spec.name) for spec in model.restricted_fields}
        self.hidden = hidden
        self._keep = bool(model.relations or model.computed)

    def __call__(self, item: Item) -> dict[str, Any]:
        shown = item_to_graphql(self.model, item)
        if self._policy is not None:
            for name in self._policy.unreadable(item):
                shown[self._names[name]] = self.hidden
        if self._keep:
            shown[STORED] = item
        return shown

    def hides_any(self, item: Item, names: frozenset[str]) -> bool:
        """Whether the caller may not read one of the fields ``names`` on ``item``."""
        return self._policy is not None and not names.isdisjoint(self._policy.unreadable(item))

    def check_usable(self, fields: set[str]) -> None:
        """Refuse a filter, condition or key on a field hidden on some items (FORBIDDEN)."""
        if self._policy is not None and fields:
            self._policy.check_usable(fields)


class ShownItems:
    """A page of stored items as ``view`` shows them, converted only when read.

    A page's items are most often read as a plain selection (``items { id title }``):
    the executor (:mod:`baas.graphql.executor`) then completes each stored item straight
    into its answer, without the object :meth:`shown` would build first. Any other
    reader takes :meth:`shown`: the same objects the view makes for a single item.
    """

    __slots__ = ("stored", "view")

    def __init__(self, view: ItemView, stored: list[Item]) -> None:
        self.view = view
        self.stored = stored

    def shown(self) -> list[dict[str, Any]]:
        """The items as GraphQL objects (``view``'s, hidden fields marked)."""
        view = self.view
        return [view(item) for item in self.stored]
