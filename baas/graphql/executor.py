"""How graphql-core executes the generated schema: plain model fields in one step.

graphql-core resolves every field of every object on its own: it builds a resolve
info, calls the resolver, checks the value for awaitables, then completes it by type.
For a page of 20 items of 8 fields that is 160 rounds of this machinery, and it was
two thirds of such a request (``bench/graphql.py``). Yet most selections on a model
are plain: scalar (or enum, or list of scalar) fields with no arguments and no
resolver, read straight from the item's dict (keyed by GraphQL field name, see
:func:`~baas.graphql.values.item_to_graphql`).

:class:`PlainFieldsExecutor` completes such a selection in one loop: it reads each
value and serialises it with its type's own ``serialize``, as graphql-core would. A
page's items (:class:`~baas.graphql.values.ShownItems`) go one step further: each
stored item is completed straight from the store's dict (read default, conversion,
serialisation in the one loop), never built as a GraphQL object first. Anything else
takes graphql-core's own path, unchanged:

- a field with a resolver or arguments, an object-typed field, a directive-deferred
  selection;
- any resolve middleware (a Strawberry extension's ``resolve`` hook must see every field);
- a selected field hidden from the caller on an item (:mod:`auth.field_rules`): its
  ``FORBIDDEN`` error is graphql-core's to place;
- a value that graphql-core would turn into an error (null in a non-null field, a value
  its scalar refuses) or treat specially (a callable): the whole object (or page) is
  completed again the ordinary way, which reports the error at its path. Converting and
  serialising are pure, so doing them twice changes nothing.

Both transports execute with this class (:mod:`baas.graphql.pipeline`), so the fast
path is the one path.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from types import CoroutineType
from typing import Any, TypeGuard

from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLResolveInfoHelpers,
    default_field_resolver,
    is_leaf_type,
)
from graphql.execution import Executor
from graphql.execution.collect_fields import DeferUsage, FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path, Undefined
from graphql.type.scalars import serialize_boolean, serialize_id, serialize_string
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from baas.graphql.values import ShownItems, stored_fields

__all__ = ["PlainFieldsExecutor", "is_awaitable", "resolve_field"]

# What store items and resolver results are made of: never awaitable, never callable.
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None), dict, list, tuple, Decimal})
_PLAIN_VALUES = frozenset({str, int, float, bool, Decimal, datetime, date, bytes, dict, list})
# Scalars whose serialize returns a value of this type as it is (graphql-core's own).
_AS_IS: dict[Callable[[Any], Any], type] = {
    serialize_string: str,
    serialize_id: str,
    serialize_boolean: bool,
}


@dataclass(frozen=True, slots=True)
class _Leaf:
    """How one leaf (or list-of-leaf) field completes."""

    serialize: Callable[[Any], Any]
    as_is: type | None  # a value of exactly this type is its own serialisation
    non_null: bool
    is_list: bool
    items_non_null: bool


# One field of a plain selection: (response key, the key its value has in the source,
# the value read for a missing or null one, a converter called as convert(spec, value)
# or None, that spec, how the value completes). The leaf None is ``__typename``.
# A GraphQL object is read by field name as it is; a stored item by stored name, with
# the read default and conversion :func:`~baas.graphql.values.item_to_graphql` applies.
_PlainField = tuple[str, str, Any, Any, Any, _Leaf | None]
_NOT_PLAIN: tuple[_PlainField, ...] = ()
# By field: GraphQLField compares by value, so it is keyed by identity and kept alive
# (a schema's fields live as long as it does; a few schemas per process).
_LEAVES: dict[int, tuple[GraphQLField, _Leaf | None]] = {}


def is_awaitable(value: Any) -> TypeGuard[Awaitable[Any]]:
    """graphql-core's check, run on every field's value, with plain values answered first."""
    cls = type(value)
    if cls in _PLAIN_TYPES:
        return False
    return cls is CoroutineType or hasattr(value, "__await__")


def resolve_field(source: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    """graphql-core's default resolver, with the plain dict of an item looked up first.

    The default resolver's ``isinstance(source, Mapping)`` (an ABC check) was a tenth of
    a list request.
    """
    if type(source) is dict:
        value = source.get(info.field_name)
        return value(info, **args) if callable(value) else value
    return default_field_resolver(source, info, **args)


class PlainFieldsExecutor(Executor[Any]):
    """graphql-core's executor, completing plain selections in one step (module docstring).

    Its base is graphql-core's plain ``Executor``, not the incremental one Strawberry's
    executor derives from: ``@defer`` and ``@stream`` are not in the schema, and the
    incremental machinery was a tenth of a ``getTodo``'s execution. The fields
    Strawberry resolves get the resolve info Strawberry's executor gives them.
    """

    # Borrowed, not copied: the plain dict of variables and the operation's extensions.
    build_resolve_info = StrawberryGraphQLCoreExecutionContext.build_resolve_info

    def __init__(
        self, *args: Any, operation_extensions: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.async_helpers = _helpers_without_a_cycle(self)
        self.operation_extensions = operation_extensions
        # By identity of the grouped field set, which the executor's own memo of
        # collected subfields keeps alive for as long as this executor lives.
        self._plans: dict[int, tuple[_PlainField, ...]] = {}
        self._stored_plans: dict[int, tuple[tuple[_PlainField, ...], frozenset[str]]] = {}

    def complete_list_value(
        self,
        return_type: GraphQLList[Any],
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """A list of plain objects in one loop (a page's items), else graphql-core's way."""
        item_type = return_type.of_type
        items_non_null = isinstance(item_type, GraphQLNonNull)
        if items_non_null:
            item_type = item_type.of_type
        if type(result) is ShownItems:
            if isinstance(item_type, GraphQLObjectType):
                completed = self._complete_stored(item_type, field_details_list, result)
                if completed is not None:
                    return completed
            result = result.shown()
        if type(result) is list and isinstance(item_type, GraphQLObjectType):
            completed = self._complete_objects(
                item_type, field_details_list, result, items_non_null=items_non_null
            )
            if completed is not None:
                return completed
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def execute_collected_subfields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path,
        grouped_field_set: GroupedFieldSet,
        new_defer_usages: Sequence[DeferUsage],
        position_context: Any,
    ) -> Any:
        """One plain object (a ``getTodo``) in one loop, else graphql-core's way."""
        if type(source_value) is dict and not new_defer_usages:
            plan = self._plan(parent_type, grouped_field_set)
            if plan:
                completed = _complete(plan, source_value, parent_type.name)
                if completed is not None:
                    return completed
        return super().execute_collected_subfields(
            parent_type, source_value, path, grouped_field_set, new_defer_usages, position_context
        )

    def _complete_objects(
        self,
        item_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        items: list[Any],
        *,
        items_non_null: bool,
    ) -> list[Any] | None:
        grouped_field_set = self._item_fields(item_type, field_details_list)
        if grouped_field_set is None:
            return None
        plan = self._plan(item_type, grouped_field_set)
        if not plan:
            return None
        completed: list[Any] = []
        for item in items:
            if item is None and not items_non_null:
                completed.append(None)
                continue
            if type(item) is not dict:
                return None
            one = _complete(plan, item, item_type.name)
            if one is None:
                return None
            completed.append(one)
        return completed

    def _complete_stored(
        self,
        item_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        items: ShownItems,
    ) -> list[Any] | None:
        """A page's stored items completed straight from the store's dicts, or None."""
        grouped_field_set = self._item_fields(item_type, field_details_list)
        if grouped_field_set is None:
            return None
        view = items.view
        plan, selected = self._stored_plan(item_type, grouped_field_set, view.model)
        if not plan:
            return None
        type_name = item_type.name
        completed: list[Any] = []
        for item in items.stored:
            if view.hides_any(item, selected):
                return None  # graphql-core places that field's FORBIDDEN
            one = _complete(plan, item, type_name)
            if one is None:
                return None
            completed.append(one)
        return completed

    def _item_fields(
        self, item_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> GroupedFieldSet | None:
        """The selection on a list's items, or None where graphql-core must complete
        them itself (a type checked per item, a deferred selection)."""
        if item_type.is_type_of is not None:
            return None  # graphql-core checks each item with it
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(
            item_type, field_details_list
        )
        return None if new_defer_usages else grouped_field_set

    def _stored_plan(
        self, item_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet, model: Any
    ) -> tuple[tuple[_PlainField, ...], frozenset[str]]:
        """The plain plan of a selection over ``model``'s stored items, and the stored
        names it reads (``_NOT_PLAIN`` if any selected field is not a stored one)."""
        known = self._stored_plans.get(id(grouped_field_set))
        if known is None:
            plan = self._plan(item_type, grouped_field_set)
            fields = stored_fields(model)
            stored: list[_PlainField] = []
            for key, name, _, _, _, leaf in plan:
                if leaf is None:
                    stored.append((key, name, None, None, None, None))
                elif name not in fields:
                    stored, plan = [], _NOT_PLAIN  # a field of the type, not of the store
                    break
                else:
                    stored_name, default, convert, spec = fields[name]
                    stored.append((key, stored_name, default, convert, spec, leaf))
            selected = frozenset(entry[1] for entry in stored if entry[5] is not None)
            known = self._stored_plans[id(grouped_field_set)] = (tuple(stored), selected)
        return known

    def _plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> tuple[_PlainField, ...]:
        """The plain fields of a selection, or ``_NOT_PLAIN`` if any field is not plain."""
        plan = self._plans.get(id(grouped_field_set))
        if plan is None:
            plan = self._plans[id(grouped_field_set)] = self._new_plan(
                parent_type, grouped_field_set
            )
        return plan

    def _new_plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> tuple[_PlainField, ...]:
        if self.middleware_manager is not None:
            return _NOT_PLAIN
        plan: list[_PlainField] = []
        for response_key, details in grouped_field_set.items():
            node = details[0].node
            name = node.name.value
            if name == "__typename":
                plan.append((response_key, name, None, None, None, None))
                continue
            field = parent_type.fields.get(name)
            if field is None or node.arguments:
                return _NOT_PLAIN
            leaf = _leaf_of(field)
            if leaf is None:
                return _NOT_PLAIN
            plan.append((response_key, name, None, None, None, leaf))
        return tuple(plan)


def _helpers_without_a_cycle(executor: Executor[Any]) -> GraphQLResolveInfoHelpers:
    """The resolve info's helpers of ``executor``, holding it weakly.

    graphql-core's own hold its bound methods: a reference cycle through the executor,
    which kept each request's whole object graph (its context, batches, pages) alive
    until the garbage collector's next full pass, instead of freeing it on return. Under
    concurrent requests those full passes were the largest GraphQL-only cost
    (``bench/graphql.py``'s nested query).
    """
    reference = weakref.ref(executor)

    def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        return _alive(reference).gather_async_work(values)

    def track(values: Sequence[Any]) -> None:
        _alive(reference).track_async_work(values)

    return GraphQLResolveInfoHelpers(gather=gather, track=track)


def _alive(reference: weakref.ref[Executor[Any]]) -> Executor[Any]:
    executor = reference()
    if executor is None:  # pragma: no cover - helpers run only while it executes
        raise RuntimeError("the GraphQL execution has ended")
    return executor


def _leaf_of(field: GraphQLField) -> _Leaf | None:
    """How ``field`` completes, if it is a plain field: no resolver, no arguments, and a
    leaf or list-of-leaf type."""
    known = _LEAVES.get(id(field))
    if known is None:
        known = _LEAVES[id(field)] = (field, _new_leaf(field))
    return known[1]


def _new_leaf(field: GraphQLField) -> _Leaf | None:
    if field.resolve is not None or field.args:
        return None
    type_: Any = field.type
    non_null = isinstance(type_, GraphQLNonNull)
    if non_null:
        type_ = type_.of_type
    is_list = isinstance(type_, GraphQLList)
    items_non_null = False
    if is_list:
        type_ = type_.of_type
        items_non_null = isinstance(type_, GraphQLNonNull)
        if items_non_null:
            type_ = type_.of_type
    if not is_leaf_type(type_):
        return None
    serialize = type_.serialize
    return _Leaf(serialize, _AS_IS.get(serialize), non_null, is_list, items_non_null)


def _complete(
    plan: tuple[_PlainField, ...], source: dict[str, Any], type_name: str
) -> dict[str, Any] | None:
    """The completed object, or None when graphql-core must complete it (an error)."""
    completed: dict[str, Any] = {}
    try:
        for key, name, default, convert, spec, leaf in plan:
            if leaf is None:
                completed[key] = type_name
                continue
            value = source.get(name)
            if value is None:
                value = default
            if convert is not None and value is not None:
                value = convert(spec, value)
            if value is None:
                if leaf.non_null:
                    return None
                completed[key] = None
            elif leaf.is_list:
                items = _serialized_list(leaf, value)
                if items is None:
                    return None
                completed[key] = items
            elif type(value) is leaf.as_is:
                completed[key] = value
            else:
                serialized = _serialized(leaf.serialize, value)
                if serialized is Undefined:
                    return None
                completed[key] = serialized
    except Exception:  # noqa: BLE001 - graphql-core completes it again and reports the error
        return None
    return completed


def _serialized_list(leaf: _Leaf, value: Any) -> list[Any] | None:
    if type(value) is not list:
        return None
    items: list[Any] = []
    for element in value:
        if element is None:
            if leaf.items_non_null:
                return None
            items.append(None)
        elif type(element) is leaf.as_is:
            items.append(element)
        else:
            serialized = _serialized(leaf.serialize, element)
            if serialized is Undefined:
                return None
            items.append(serialized)
    return items


def _serialized(serialize: Callable[[Any], Any], value: Any) -> Any:
    cls = type(value)
    if cls not in _PLAIN_VALUES and not issubclass(cls, Enum):
        return Undefined  # a callable, an error object ...: graphql-core's business
    serialized = serialize(value)
    return Undefined if serialized is None else serialized
