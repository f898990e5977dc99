"""Data-change triggers: a change in a table starts a workflow, exactly once.

::

    app.trigger("archive-on-close", model=Board, events={"MODIFY"},
                target=ArchiveBoardWorkflow, to_input=lambda change: ArchiveBoardInput(...),
                where=lambda change: change.new_image.get("status") == "closed")

A :class:`TriggerRunner` follows the store's change feed from a persisted checkpoint.
For each record and each matching binding it starts the target with a workflow id
derived from the record (``trigger.<app>.<feed>.<binding>.<table>.<seq>``) under
Temporal's reject-duplicate policy, and only then advances the checkpoint. ``<feed>``
names the store's feed (a random id kept beside the checkpoints): sequence numbers
start again at 1 in a new store, and without it a new store's changes would be taken
for starts already made by an old one that the same Temporal still remembers. So:

* a crash after the start but before the checkpoint re-reads the record on restart;
  the start is refused as a duplicate and skipped — never started twice (as long as
  Temporal retains the first run);
* a crash before the start leaves the checkpoint behind the record — never lost
  (as long as the store retains its feed: ``feed_retention_seconds``).

While Temporal cannot be reached, or the store stays locked by another writer, the
runner waits and retries with backoff (one log line each time) instead of failing:
the batch is read again from the last position, and starts it already made are the
duplicates above.

Triggered workflows act as the system caller: a change has no user attached.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from functions.identity import Caller, acting_as
from storage import ChangeRecord, DocumentStore, KeyAttribute, TableSpec, to_wire
from storage.errors import ConditionalCheckFailedError, ResourceInUseError, StorageBusyError
from workflows.availability import Backoff, is_unreachable
from workflows.client import Target, resolve_target
from workflows.clients import configure_client

__all__ = [
    "ChangeEvent",
    "CheckpointStore",
    "StoreCheckpoints",
    "TriggerBinding",
    "TriggerRunner",
    "change_event",
]

_log = logging.getLogger("baas.workflows")
_FEED_ITEM = "feed"  # the checkpoint table's item naming the feed (runners are "triggers.*")
Event = Literal["INSERT", "MODIFY", "REMOVE"]


@dataclass(frozen=True)
class ChangeEvent:
    """The default input of a triggered workflow; images in DynamoDB's JSON wire format."""

    table: str
    event: str
    seq: int
    keys: dict[str, Any]
    new_image: dict[str, Any] | None = None
    old_image: dict[str, Any] | None = None


def change_event(record: ChangeRecord) -> ChangeEvent:
    """A JSON-safe :class:`ChangeEvent` from a store change record."""
    return ChangeEvent(
        table=record.table,
        event=record.event,
        seq=record.seq,
        keys=to_wire(record.keys),
        new_image=to_wire(record.new_image) if record.new_image is not None else None,
        old_image=to_wire(record.old_image) if record.old_image is not None else None,
    )


@dataclass(frozen=True)
class TriggerBinding:
    """Start ``target`` for every change of ``table`` whose event is in ``events``.

    ``where`` (optional) filters records; ``to_input`` builds the target's input
    (default: a :class:`ChangeEvent`).
    """

    name: str
    table: str
    target: Target
    events: Collection[Event] = ("INSERT", "MODIFY", "REMOVE")
    where: Callable[[ChangeRecord], bool] | None = None
    to_input: Callable[[ChangeRecord], Any] = change_event

    def matches(self, record: ChangeRecord) -> bool:
        if record.table != self.table or record.event not in self.events:
            return False
        return self.where is None or self.where(record)


class CheckpointStore(Protocol):
    """Where a runner keeps the sequence number of the last record it fully handled."""

    async def load(self, name: str) -> int: ...

    async def save(self, name: str, seq: int) -> None: ...

    async def feed_id(self) -> str:
        """A name of this feed, the same for every runner on it, unique among feeds."""
        ...


@dataclass
class StoreCheckpoints:
    """Checkpoints kept in a table of the document store itself."""

    store: DocumentStore
    table: str = "_baas_trigger_checkpoints"
    _ready: bool = field(default=False, repr=False)

    async def _ensure_table(self) -> None:
        if not self._ready:
            with contextlib.suppress(ResourceInUseError):  # made by an earlier start
                await self.store.create_table(TableSpec(self.table, KeyAttribute("name", "S")))
            self._ready = True

    async def load(self, name: str) -> int:
        await self._ensure_table()
        item = await self.store.get_item(self.table, {"name": name}, consistent=True)
        return int(item["seq"]) if item else 0  # type: ignore[arg-type]

    async def save(self, name: str, seq: int) -> None:
        await self._ensure_table()
        await self.store.put_item(self.table, {"name": name, "seq": seq})

    async def feed_id(self) -> str:
        """Made once per store (the first runner's wins a race), then read."""
        await self._ensure_table()
        with contextlib.suppress(ConditionalCheckFailedError):
            await self.store.put_item(
                self.table,
                {"name": _FEED_ITEM, "id": secrets.token_hex(6)},
                condition="attribute_not_exists(#name)",
                names={"#name": "name"},
            )
        item = await self.store.get_item(self.table, {"name": _FEED_ITEM}, consistent=True)
        assert item is not None  # noqa: S101 - written just above or before
        return str(item["id"])


class TriggerRunner:
    """Follows the change feed and starts the bound workflows (see the module docstring)."""

    def __init__(
        self,
        client: Client,
        store: DocumentStore,
        bindings: Sequence[TriggerBinding],
        checkpoints: CheckpointStore,
        *,
        app_name: str,
        task_queue: str,
        batch: int = 100,
    ) -> None:
        self._client = configure_client(client)
        self._store = store
        self._bindings = list(bindings)
        self._checkpoints = checkpoints
        self._name = f"triggers.{app_name}"
        self._app_name = app_name
        self._prefix: str | None = None  # trigger.<app>.<feed>., once the feed is known
        self._task_queue = task_queue
        self._batch = batch
        self._position: int | None = None  # last record read by this runner
        checkpoint_table = getattr(checkpoints, "table", None)
        self._ignored = {checkpoint_table} if isinstance(checkpoint_table, str) else set()

    async def run_once(self) -> int:
        """Handle one batch of records after the checkpoint; return how many matched a table.

        The checkpoint is saved once per batch, after every start in it. Writing it
        appends to the feed too (it is a table of the same store), so records of the
        checkpoint table are skipped and never cause a save on their own — otherwise
        each save would be a new record to read, and the runner would never rest.
        """
        if self._prefix is None:
            self._prefix = f"trigger.{self._app_name}.{await self._checkpoints.feed_id()}."
        after = (
            self._position
            if self._position is not None
            else await self._checkpoints.load(self._name)
        )
        records = await self._store.changes.read(after, self._batch)
        relevant = [r for r in records if r.table not in self._ignored]
        for record in relevant:
            for binding in self._bindings:
                if binding.matches(record):
                    await self._start(binding, record)
        if relevant:
            await self._checkpoints.save(self._name, records[-1].seq)
        if records:
            self._position = records[-1].seq
        return len(relevant)

    async def run(self, idle_wait: float = 1.0, backoff: Backoff | None = None) -> None:
        """Follow the feed forever (cancel the task to stop); ride out outages.

        A lost Temporal connection or a busy store makes it wait (``backoff``) and
        retry; any other error ends the task.
        """
        backoff = backoff or Backoff(initial=0.5, maximum=10.0)
        while True:
            try:
                handled = await self.run_once()
            except (StorageBusyError, RPCError, RuntimeError) as exc:
                if not (isinstance(exc, StorageBusyError) or is_unreachable(exc)):
                    raise
                delay = backoff.next_delay()
                _log.warning("triggers wait %.1f s and retry: %s", delay, _reason(exc))
                await asyncio.sleep(delay)
                continue
            backoff.reset()
            if handled == 0:
                await self._store.changes.wait(self._position or 0, idle_wait)

    def workflow_id(self, binding: TriggerBinding, record: ChangeRecord) -> str:
        """The id of the run ``record`` starts for ``binding``: the same on every retry."""
        if self._prefix is None:
            raise RuntimeError("the feed id is read by the first run_once")
        return f"{self._prefix}{binding.name}.{record.table}.{record.seq}"

    async def _start(self, binding: TriggerBinding, record: ChangeRecord) -> None:
        workflow_name, args, _input_type, _function = resolve_target(binding.target)
        workflow_id = self.workflow_id(binding, record)
        with acting_as(Caller.system()):
            try:
                await self._client.start_workflow(
                    workflow_name,
                    args=[*args, binding.to_input(record)],
                    id=workflow_id,
                    task_queue=self._task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                )
            except WorkflowAlreadyStartedError:
                _log.info("trigger %s already started %s; skipped", binding.name, workflow_id)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, StorageBusyError):
        return "the store is busy"
    return "Temporal cannot be reached"
