"""Query and scan: DynamoDB's paging rules on top of a backend's ordered reads.

``Limit`` caps the items *evaluated* (before the filter), a page stops once it has
read 1 MB (DynamoDB Developer Guide, "Paginating query results"), and
``last_evaluated_key`` is returned whenever a page stopped early, holding the
table key (plus the index key on an index).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from storage.backend import Backend, RangeRead, ScanRead, StoredItem
from storage.errors import ValidationError
from storage.expressions import (
    Placeholders,
    parse_condition,
    parse_key_condition,
    parse_projection,
)
from storage.operations import placeholders_for
from storage.ranges import (
    check_start_key,
    encode_operand,
    segment_range,
    sort_bounds,
    start_position,
)
from storage.requests import Page, PartitionQuery
from storage.tables import IndexSpec, KeyAttribute, TableSpec
from storage.values import Item, ItemInput, validate_value

__all__ = ["MAX_QUERY_PARTITIONS", "ReadOptions", "run_query", "run_query_partitions", "run_scan"]

PAGE_BYTES = 1024 * 1024
MAX_QUERY_PARTITIONS = 1000
"""Partitions one ``query_partitions`` reads (a page of parents, at most 1,000)."""
_BATCH = 256
_INVALID = "One or more parameter values were invalid: "


@dataclass(frozen=True)
class ReadOptions:
    """The options query and scan share."""

    index: str | None = None
    filter: str | None = None
    projection: str | None = None
    names: Mapping[str, str] | None = None
    values: ItemInput | None = None
    limit: int | None = None
    exclusive_start_key: ItemInput | None = None
    select: str | None = None
    consistent: bool = False


@dataclass(frozen=True)
class _Plan:
    keys: tuple[KeyAttribute, KeyAttribute | None]
    index: IndexSpec | None
    filter: Any
    projection: Any
    count_only: bool
    limit: int | None


def _plan(spec: TableSpec, options: ReadOptions, placeholders: Placeholders) -> _Plan:
    index = spec.index(options.index) if options.index is not None else None
    if index is not None and options.consistent:
        raise ValidationError("Consistent reads are not supported on global secondary indexes")
    if options.limit is not None and options.limit < 1:
        raise ValidationError(
            f"1 validation error detected: Value '{options.limit}' at 'limit' failed to "
            "satisfy constraint: Member must have value greater than or equal to 1"
        )
    select = options.select or (
        "SPECIFIC_ATTRIBUTES"
        if options.projection
        else "ALL_PROJECTED_ATTRIBUTES"
        if index
        else "ALL_ATTRIBUTES"
    )
    _check_select(select, options, index)
    keys = (index.partition_key, index.sort_key) if index else (spec.partition_key, spec.sort_key)
    return _Plan(
        keys=keys,
        index=index,
        filter=parse_condition(options.filter, placeholders) if options.filter else None,
        projection=(
            parse_projection(options.projection, placeholders) if options.projection else None
        ),
        count_only=select == "COUNT",
        limit=options.limit,
    )


def _check_select(select: str, options: ReadOptions, index: IndexSpec | None) -> None:
    if select not in ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"):
        raise ValidationError(
            f"1 validation error detected: Value '{select}' at 'select' failed to satisfy "
            "constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, "
            "ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"
        )
    if options.projection and select != "SPECIFIC_ATTRIBUTES":
        raise ValidationError(
            f"{_INVALID}Cannot specify the ProjectionExpression when choosing to get {select}"
        )
    if select == "SPECIFIC_ATTRIBUTES" and not options.projection:
        raise ValidationError(
            f"{_INVALID}Must specify the ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"
        )
    if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
        raise ValidationError(
            f"{_INVALID}ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
        )
    if select == "ALL_ATTRIBUTES" and index is not None and index.projection.type != "ALL":
        raise ValidationError(
            f"{_INVALID}Select type ALL_ATTRIBUTES is not supported for global secondary "
            f"index {index.name} because its projection type is not ALL"
        )


async def run_query(
    backend: Backend, spec: TableSpec, key_condition: str, options: ReadOptions, *, forward: bool
) -> Page:
    """One page of a Query."""
    placeholders = placeholders_for(options.names, options.values)
    plan = _plan(spec, options, placeholders)
    partition_key, sort_key = plan.keys
    condition = parse_key_condition(
        key_condition, placeholders, partition_key.name, sort_key.name if sort_key else None
    )
    placeholders.check_all_used()
    if plan.filter is not None:
        _check_filter_avoids_keys(plan.filter.tree, plan.keys)
    partition = encode_operand(condition.partition_value, partition_key)
    lower: tuple[bytes, bool] | None = None
    upper: tuple[bytes, bool] | None = None
    if condition.sort is not None and sort_key is not None:
        lower, upper = sort_bounds(condition.sort.op, condition.sort.values, sort_key)
    start = None
    if options.exclusive_start_key is not None:
        check_start_key(spec, plan.index, options.exclusive_start_key)
        position = start_position(spec, plan.index, options.exclusive_start_key)
        if position[1] != partition:
            raise ValidationError(
                "The provided starting key is outside query boundaries based on provided conditions"
            )
        start = position[2:]

    def fetch(after: tuple[Any, ...] | None, count: int) -> Any:
        read = RangeRead(
            plan.index.name if plan.index else None, partition, lower, upper, forward, after, count
        )
        return backend.query(spec, read)

    return await _page(
        spec, plan, fetch, start, lambda item: start_position(spec, plan.index, item)[2:]
    )


async def run_query_partitions(
    backend: Backend,
    spec: TableSpec,
    partitions: Sequence[PartitionQuery],
    options: ReadOptions,
    *,
    forward: bool,
) -> list[Page]:
    """One Query page per partition, the request checked and its expressions parsed once.

    Each page follows a Query's rules on its own (``limit`` items evaluated per
    partition, 1 MB, ``last_evaluated_key``); pages come back in the order asked.
    """
    if not 1 <= len(partitions) <= MAX_QUERY_PARTITIONS:
        raise ValidationError(
            f"{_INVALID}between 1 and {MAX_QUERY_PARTITIONS} partitions may be queried at once"
        )
    placeholders = placeholders_for(options.names, options.values)
    plan = _plan(spec, options, placeholders)
    placeholders.check_all_used()
    if plan.filter is not None:
        _check_filter_avoids_keys(plan.filter.tree, plan.keys)
    partition_key = plan.keys[0]
    index_name = plan.index.name if plan.index else None
    pages: list[Page] = []
    for query in partitions:
        partition = encode_operand(validate_value(query.partition), partition_key)
        start = None
        if query.exclusive_start_key is not None:
            check_start_key(spec, plan.index, query.exclusive_start_key)
            position = start_position(spec, plan.index, query.exclusive_start_key)
            if position[1] != partition:
                raise ValidationError(
                    "The provided starting key is outside query boundaries based on provided "
                    "conditions"
                )
            start = position[2:]

        def fetch(after: tuple[Any, ...] | None, count: int, partition: bytes = partition) -> Any:
            read = RangeRead(index_name, partition, None, None, forward, after, count)
            return backend.query(spec, read)

        pages.append(
            await _page(
                spec, plan, fetch, start, lambda item: start_position(spec, plan.index, item)[2:]
            )
        )
    return pages


async def run_scan(
    backend: Backend,
    spec: TableSpec,
    options: ReadOptions,
    segment: int | None,
    total_segments: int | None,
) -> Page:
    """One page of a Scan (of one segment when ``total_segments`` is given)."""
    placeholders = placeholders_for(options.names, options.values)
    plan = _plan(spec, options, placeholders)
    placeholders.check_all_used()
    low, high = segment_range(segment, total_segments)
    start = None
    if options.exclusive_start_key is not None:
        check_start_key(spec, plan.index, options.exclusive_start_key)
        start = start_position(spec, plan.index, options.exclusive_start_key)

    def fetch(after: tuple[Any, ...] | None, count: int) -> Any:
        read = ScanRead(plan.index.name if plan.index else None, low, high, after, count)
        return backend.scan(spec, read)

    return await _page(
        spec, plan, fetch, start, lambda item: start_position(spec, plan.index, item)
    )


async def _page(
    spec: TableSpec,
    plan: _Plan,
    fetch: Callable[[tuple[Any, ...] | None, int], Any],
    start: tuple[Any, ...] | None,
    position_of: Callable[[Item], tuple[Any, ...]],
) -> Page:
    matched: list[Item] = []
    scanned = size = 0
    last: Item | None = None
    while True:
        want = _BATCH if plan.limit is None else min(_BATCH, plan.limit - scanned)
        rows: list[StoredItem] = await fetch(start, want)
        for row in rows:
            scanned += 1
            size += row.size
            last = row.item
            if plan.filter is None or plan.filter.evaluate(row.item):
                matched.append(row.item)
            if scanned == plan.limit or size >= PAGE_BYTES:
                return _finish(spec, plan, matched, scanned, last)
        if len(rows) < want:
            return _finish(spec, plan, matched, scanned, None)
        assert last is not None  # noqa: S101 - rows was not empty
        start = position_of(last)


def _finish(
    spec: TableSpec, plan: _Plan, matched: list[Item], scanned: int, last: Item | None
) -> Page:
    last_key = None
    if last is not None:
        names = list(spec.key_names())
        if plan.index is not None:
            names += [k.name for k in (plan.index.partition_key, plan.index.sort_key) if k]
        last_key = {name: last[name] for name in names}
    if plan.count_only:
        return Page([], len(matched), scanned, last_key)
    if plan.projection is not None:
        matched = [plan.projection.apply(item) for item in matched]
    return Page(matched, len(matched), scanned, last_key)


def _check_filter_avoids_keys(tree: object, keys: tuple[KeyAttribute, KeyAttribute | None]) -> None:
    """A Query filter may not use the key attributes (those belong in the key condition)."""
    used = _attribute_names(tree)
    for key in keys:
        if key is not None and key.name in used:
            raise ValidationError(
                "Filter Expression can only contain non-primary key attributes: "
                f"Primary key attribute: {key.name}"
            )


def _attribute_names(node: object) -> set[str]:
    """Top-level attribute names of every document path in a bound expression tree."""
    if isinstance(node, tuple):
        return set().union(*(_attribute_names(element) for element in node))
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return set()
    names: set[str] = set()
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if field.name == "path" and isinstance(value, tuple) and value:
            if isinstance(value[0], str):
                names.add(value[0])
        else:
            names |= _attribute_names(value)
    return names
