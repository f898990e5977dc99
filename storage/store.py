"""DocumentStore: DynamoDB's operations, on any backend.

The store validates every request, parses its expressions, and evaluates
conditions and updates in Python; the backend only reads and atomically writes
(see ``backend.py``). Open one with :func:`storage.open_store`.

Consistency: every read, eventually or strongly consistent, sees every write
acknowledged before it started (the SQLite backend reads the newest committed
state). Table specs are cached for half a second, so a table created, changed or
deleted by *another process* may take that long to be seen by reads here.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from types import TracebackType

from storage.backend import Backend
from storage.batches import batch_get, batch_write
from storage.errors import ResourceNotFoundError, ValidationError
from storage.expressions import Placeholders, parse_projection
from storage.feed import ChangeFeed
from storage.operations import (
    PreparedWrite,
    check_return_values,
    prepare_delete,
    prepare_put,
    prepare_update,
    returned_attributes,
)
from storage.reads import ReadOptions, run_query, run_query_partitions, run_scan
from storage.requests import (
    BatchGet,
    BatchGetResult,
    BatchWriteResult,
    DeleteRequest,
    Page,
    PartitionQuery,
    PutRequest,
    TransactGet,
    TransactWriteItem,
)
from storage.tables import (
    IndexSpec,
    StreamViewType,
    TableDescription,
    TableSpec,
    validate_index,
    validate_name,
    validate_spec,
)
from storage.transactions import transact_get, transact_write
from storage.ttl import TtlSweeper
from storage.values import Item, ItemInput, validate_item

__all__ = ["DocumentStore"]

Names = Mapping[str, str] | None
Values = ItemInput | None
_SPEC_CACHE_SECONDS = 0.5
_PUT_DELETE_RETURN = "ReturnValues can only be ALL_OLD or NONE"
_UPDATE_RETURN = (
    "1 validation error detected: Value at 'returnValues' failed to satisfy constraint: "
    "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"
)


class DocumentStore:
    """A DynamoDB-like document store (async; snake_case DynamoDB operations)."""

    def __init__(self, backend: Backend, sweeper: TtlSweeper | None = None) -> None:
        self._backend = backend
        self._sweeper = sweeper
        self.changes = ChangeFeed(backend)
        self._specs: dict[str, tuple[TableSpec, float]] = {}

    async def __aenter__(self) -> DocumentStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop the sweeper and release the backend."""
        if self._sweeper is not None:
            await self._sweeper.stop()
        await self._backend.close()

    async def sweep_expired(self) -> int:
        """Run one TTL sweep now (the background sweeper does it periodically)."""
        sweeper = self._sweeper or TtlSweeper(self._backend, 0, float("inf"))
        return await sweeper.sweep()

    async def _spec(self, table: str) -> TableSpec:
        """The table's spec, cached briefly: catalog reads are on every request's path.

        A table changed by another process is seen after at most ``_SPEC_CACHE_SECONDS``
        (like DynamoDB's control plane, table changes are not instantaneous). Writes
        are safe regardless: the backend re-reads the spec inside the transaction.
        """
        cached = self._specs.get(table)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        spec = await self._backend.get_table(table)
        if spec is None:
            self._specs.pop(table, None)
            raise ResourceNotFoundError("Requested resource not found")
        self._specs[table] = (spec, now + _SPEC_CACHE_SECONDS)
        return spec

    # --- tables ------------------------------------------------------------------

    async def create_table(self, spec: TableSpec) -> TableDescription:
        """Create a table; ResourceInUseError if one with this name exists."""
        validate_spec(spec)
        self._specs.pop(spec.name, None)
        await self._backend.create_table(spec, time.time())
        return await self._backend.describe_table(spec.name)

    async def describe_table(self, name: str) -> TableDescription:
        """The table's spec and statistics (counting its items: use table_spec for the spec)."""
        validate_name(name)
        return await self._backend.describe_table(name)

    async def table_spec(self, name: str) -> TableSpec:
        """The table's spec alone, briefly cached; ResourceNotFoundError when absent."""
        validate_name(name)
        return await self._spec(name)

    async def list_tables(self) -> list[str]:
        """The names of all tables, sorted."""
        return await self._backend.list_tables()

    async def delete_table(self, name: str) -> None:
        """Delete a table and all its items."""
        validate_name(name)
        self._specs.pop(name, None)
        await self._backend.delete_table(name)

    async def update_table(
        self,
        name: str,
        create_indexes: Sequence[IndexSpec] = (),
        delete_indexes: Sequence[str] = (),
        stream_view: StreamViewType | None = None,
    ) -> TableDescription:
        """Add GSIs (back-filled from existing items) or remove them; change the feed view.

        Turning a table ``KEYS_ONLY`` also drops the images of its records already in
        the feed (their bytes leave the file at the next :meth:`compact`).
        """
        spec = await self._spec(name)
        if stream_view is not None:
            spec = spec.with_changes(stream_view=stream_view)
        existing = {index.name for index in spec.indexes}
        for index_name in delete_indexes:
            if index_name not in existing:
                raise ResourceNotFoundError(f"Requested resource not found: Index: {index_name}")
        for index in create_indexes:
            validate_index(index)
            if index.name in existing:
                raise ValidationError(
                    f"One or more parameter values were invalid: Index {index.name} already exists"
                )
        kept = tuple(index for index in spec.indexes if index.name not in delete_indexes)
        changed = spec.with_changes(indexes=kept + tuple(create_indexes))
        validate_spec(changed)
        self._specs.pop(name, None)
        await self._backend.replace_table(changed)
        return await self._backend.describe_table(name)

    async def compact(self) -> None:
        """Rewrite the stored data so that nothing deleted or replaced stays on disk.

        Slow (it rewrites everything) and rarely needed: after secrets were re-sealed or
        removed, so no former copy survives in free space or the write-ahead log.
        """
        await self._backend.compact()

    async def import_items(self, table: str, items: Sequence[ItemInput]) -> None:
        """Store new items as they are, recording no change: for moving a store's data
        (``baas store copy``), never for an application's writes (no condition, no
        version raised, no trigger sees them)."""
        spec = await self._spec(table)
        validated = [validate_item(item) for item in items]
        for item in validated:
            spec.validate_key({name: item.get(name) for name in spec.key_names()})
        await self._backend.import_items(spec, validated)

    async def continue_feed_after(self, seq: int) -> None:
        """Number every later change record above ``seq`` (a moved store keeps its numbers,
        so readers' checkpoints stay meaningful)."""
        await self._backend.continue_feed_after(seq)

    async def update_ttl(self, name: str, attribute: str | None) -> None:
        """Set (or with None, clear) the table's TTL attribute."""
        spec = await self._spec(name)
        if attribute is not None and not attribute:
            raise ValidationError("TimeToLiveSpecification AttributeName may not be empty")
        self._specs.pop(name, None)
        await self._backend.replace_table(spec.with_changes(ttl_attribute=attribute))

    async def update_version_attribute(self, name: str, attribute: str | None) -> None:
        """Name (or with None, stop keeping) the table's version attribute.

        From then on every write raises it (see :mod:`storage.versions`); items already
        stored keep theirs until their next write.
        """
        spec = await self._spec(name)
        changed = spec.with_changes(version_attribute=attribute)
        validate_spec(changed)
        self._specs.pop(name, None)
        await self._backend.replace_table(changed)

    # --- single items --------------------------------------------------------------

    async def get_item(
        self,
        table: str,
        key: ItemInput,
        *,
        consistent: bool = False,  # every read is strongly consistent here
        projection: str | None = None,
        names: Names = None,
    ) -> Item | None:
        """The item with this primary key, or None."""
        spec = await self._spec(table)
        encoded = spec.validate_key(key)
        parsed = None
        if projection is not None or names:
            placeholders = Placeholders(names, None)
            parsed = parse_projection(projection, placeholders) if projection else None
            placeholders.check_all_used()
        item = await self._backend.get_item(spec, encoded)
        if item is None or parsed is None:
            return item
        result: Item = parsed.apply(item)
        return result

    async def _write_one(self, operation: PreparedWrite) -> tuple[Item | None, Item | None]:
        (outcome,) = await self._backend.write(
            [operation.target], lambda olds: [operation.apply(olds[0])]
        )
        return outcome.old, outcome.new

    async def put_item(
        self,
        table: str,
        item: ItemInput,
        *,
        condition: str | None = None,
        names: Names = None,
        values: Values = None,
        return_values: str = "NONE",
        return_values_on_condition_check_failure: str = "NONE",
    ) -> Item | None:
        """Create or replace an item; ReturnValues NONE or ALL_OLD."""
        check_return_values(return_values, ("NONE", "ALL_OLD"), _PUT_DELETE_RETURN)
        spec = await self._spec(table)
        operation = prepare_put(
            spec, item, condition, names, values, return_values_on_condition_check_failure
        )
        old, new = await self._write_one(operation)
        return returned_attributes(return_values, old, new)

    async def update_item(
        self,
        table: str,
        key: ItemInput,
        update: str,
        *,
        condition: str | None = None,
        names: Names = None,
        values: Values = None,
        return_values: str = "NONE",
        return_values_on_condition_check_failure: str = "NONE",
    ) -> Item | None:
        """Edit (or create) an item with an UpdateExpression; all five ReturnValues."""
        check_return_values(
            return_values,
            ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"),
            _UPDATE_RETURN,
        )
        spec = await self._spec(table)
        operation = prepare_update(
            spec, key, update, condition, names, values, return_values_on_condition_check_failure
        )
        old, new = await self._write_one(operation)
        return returned_attributes(return_values, old, new, operation.update_paths)

    async def delete_item(
        self,
        table: str,
        key: ItemInput,
        *,
        condition: str | None = None,
        names: Names = None,
        values: Values = None,
        return_values: str = "NONE",
        return_values_on_condition_check_failure: str = "NONE",
    ) -> Item | None:
        """Delete an item (no error when absent); ReturnValues NONE or ALL_OLD."""
        check_return_values(return_values, ("NONE", "ALL_OLD"), _PUT_DELETE_RETURN)
        spec = await self._spec(table)
        operation = prepare_delete(
            spec, key, condition, names, values, return_values_on_condition_check_failure
        )
        old, new = await self._write_one(operation)
        return returned_attributes(return_values, old, new)

    # --- query and scan ------------------------------------------------------------

    async def query(
        self,
        table: str,
        key_condition: str,
        *,
        index: str | None = None,
        filter: str | None = None,  # noqa: A002 - DynamoDB's name
        projection: str | None = None,
        names: Names = None,
        values: Values = None,
        limit: int | None = None,
        exclusive_start_key: ItemInput | None = None,
        forward: bool = True,
        select: str | None = None,
        consistent: bool = False,
    ) -> Page:
        """One page of items of one partition, in sort-key order."""
        spec = await self._spec(table)
        options = ReadOptions(
            index, filter, projection, names, values, limit, exclusive_start_key, select, consistent
        )
        return await run_query(self._backend, spec, key_condition, options, forward=forward)

    async def query_partitions(
        self,
        table: str,
        partitions: Sequence[PartitionQuery],
        *,
        index: str | None = None,
        filter: str | None = None,  # noqa: A002 - DynamoDB's name
        projection: str | None = None,
        names: Names = None,
        values: Values = None,
        limit: int | None = None,
        forward: bool = True,
    ) -> list[Page]:
        """One Query page from each of several partitions, in one call (a batched Query).

        What a loop of :meth:`query` calls with ``#pk = :pk`` would answer, page for page,
        with the request validated and its expressions parsed once: the read a page of
        parents needs for its children (GraphQL relations). ``limit`` applies to each
        partition; each page has its own ``last_evaluated_key``.
        """
        spec = await self._spec(table)
        options = ReadOptions(index, filter, projection, names, values, limit)
        return await run_query_partitions(self._backend, spec, partitions, options, forward=forward)

    async def scan(
        self,
        table: str,
        *,
        index: str | None = None,
        filter: str | None = None,  # noqa: A002 - DynamoDB's name
        projection: str | None = None,
        names: Names = None,
        values: Values = None,
        limit: int | None = None,
        exclusive_start_key: ItemInput | None = None,
        segment: int | None = None,
        total_segments: int | None = None,
        select: str | None = None,
        consistent: bool = False,
    ) -> Page:
        """One page of the whole table (or one segment of it), in partition-hash order."""
        spec = await self._spec(table)
        options = ReadOptions(
            index, filter, projection, names, values, limit, exclusive_start_key, select, consistent
        )
        return await run_scan(self._backend, spec, options, segment, total_segments)

    # --- batches and transactions -------------------------------------------------

    async def batch_get(self, requests: Mapping[str, BatchGet]) -> BatchGetResult:
        """Read up to 100 items by key from one or more tables."""
        return await batch_get(self._backend, self._spec, requests)

    async def batch_write(
        self, requests: Mapping[str, Sequence[PutRequest | DeleteRequest]]
    ) -> BatchWriteResult:
        """Put or delete up to 25 items in one or more tables."""
        return await batch_write(self._backend, self._spec, requests)

    async def transact_write(
        self, items: Sequence[TransactWriteItem], client_request_token: str | None = None
    ) -> None:
        """Apply up to 100 puts, updates, deletes and condition checks all-or-nothing."""
        await transact_write(self._backend, self._spec, items, client_request_token)

    async def transact_get(self, items: Sequence[TransactGet]) -> list[Item | None]:
        """Read up to 100 items as one snapshot."""
        return await transact_get(self._backend, self._spec, items)
