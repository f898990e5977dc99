"""Cron-style schedules: declarations on the App, kept in sync as Temporal Schedules.

::

    app.schedule("nightly-digest", cron="0 3 * * *", target=SendDigestWorkflow,
                 inp=DigestInput(), timezone="Europe/Paris")

At start-up :func:`sync_schedules` makes Temporal match the declarations: it creates
the missing schedules, updates the changed ones, and deletes the baas-managed ones
that are no longer declared. "baas-managed" means the schedule id starts with
``baas.<app>.``; schedules created by other means are never touched. Each schedule's
note holds a hash of its declaration, which is how a change is detected.

Scheduled runs act as the system caller (there is no user behind a clock). The
schedule's header is signed for its workflow type, its runs' ids and its declared
arguments (:mod:`workflows.caller_signatures`); the note's hash covers the signing key,
so a schedule is re-signed at the first start-up after ``BAAS_SECRET_KEY`` rotates.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError

from functions.identity import Caller
from workflows.caller_signatures import arguments_digest, schedule_scope
from workflows.client import Target, resolve_target
from workflows.clients import configure_client
from workflows.errors import ScheduleError, UnsignedClientError
from workflows.identity import signer_of

__all__ = ["ScheduleBinding", "SyncReport", "schedule_prefix", "sync_schedules"]

_log = logging.getLogger("baas.workflows")
_NOTE_PREFIX = "baas-managed "


@dataclass(frozen=True)
class ScheduleBinding:
    """Run ``target`` (a workflow class or a function) on ``inp`` on a cron schedule."""

    name: str
    cron: str | Sequence[str]
    target: Target
    inp: Any
    timezone: str | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum():
            raise ScheduleError(f"schedule name must be letters, digits, '-' or '_': {self.name!r}")
        crons = (self.cron,) if isinstance(self.cron, str) else tuple(self.cron)
        if not crons or not all(c.strip() for c in crons):
            raise ScheduleError(f"schedule {self.name!r} needs at least one cron expression")
        object.__setattr__(self, "cron", crons)

    @property
    def crons(self) -> tuple[str, ...]:
        return tuple(self.cron)


@dataclass
class SyncReport:
    """What :func:`sync_schedules` changed, by schedule id."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def schedule_prefix(app_name: str) -> str:
    """The id prefix that marks a schedule as managed by app ``app_name``."""
    return f"baas.{app_name}."


def _schedule(
    client: Client, binding: ScheduleBinding, schedule_id: str, task_queue: str
) -> Schedule:
    workflow_name, args, input_type, _function = resolve_target(binding.target)
    if input_type is not None and not isinstance(binding.inp, input_type):
        raise ScheduleError(f"schedule {binding.name!r}: input must be a {input_type.__name__}")
    converter = client.data_converter.payload_converter
    payload = converter.to_payloads([*args, binding.inp])
    signer = signer_of(client)
    if signer is None:  # pragma: no cover - configure_client refuses such a client
        raise UnsignedClientError()
    digest = hashlib.sha256()
    for part in (
        workflow_name,
        task_queue,
        binding.timezone or "",
        signer.key_id,
        *binding.crons,
    ):
        digest.update(part.encode() + b"\x00")
    for item in payload:
        digest.update(item.SerializeToString(deterministic=True))
    action = ScheduleActionStartWorkflow(
        workflow_name, args=[*args, binding.inp], id=schedule_id, task_queue=task_queue
    )
    arguments = arguments_digest(converter, [*args, binding.inp])
    # Set after construction: the typed overloads of the SDK do not list `headers`.
    action.headers = signer.header(
        Caller.system(), schedule_scope(workflow_name, schedule_id, arguments)
    )
    return Schedule(
        action=action,
        spec=ScheduleSpec(cron_expressions=list(binding.crons), time_zone_name=binding.timezone),
        state=ScheduleState(note=_NOTE_PREFIX + digest.hexdigest()[:32]),
    )


async def sync_schedules(
    client: Client, bindings: Sequence[ScheduleBinding], *, app_name: str, task_queue: str
) -> SyncReport:
    """Make the app's Temporal Schedules match ``bindings`` (see the module docstring).

    Listing schedules is eventually consistent on Temporal: one created a moment ago
    may be missing from the list, and is then deleted on the next start-up instead.
    """
    client = configure_client(client)
    prefix = schedule_prefix(app_name)
    wanted = {prefix + b.name: b for b in bindings}
    if len(wanted) != len(bindings):
        raise ScheduleError("two schedules share a name")
    desired = {sid: _schedule(client, b, sid, task_queue) for sid, b in wanted.items()}
    existing: dict[str, str | None] = {}
    async for listed in await client.list_schedules():
        if listed.id.startswith(prefix):
            existing[listed.id] = listed.schedule.state.note if listed.schedule else None
    report = SyncReport()
    for schedule_id, schedule in desired.items():
        if schedule_id not in existing:
            await _create(client, schedule_id, schedule, report)
        elif existing[schedule_id] != schedule.state.note:
            await _update(client, schedule_id, schedule)
            report.updated.append(schedule_id)
    for schedule_id in existing.keys() - desired.keys():
        await client.get_schedule_handle(schedule_id).delete()
        report.deleted.append(schedule_id)
    if report.created or report.updated or report.deleted:
        _log.info("schedules synced: %s", report)
    return report


async def _create(client: Client, schedule_id: str, schedule: Schedule, report: SyncReport) -> None:
    try:
        await client.create_schedule(schedule_id, schedule)
        report.created.append(schedule_id)
    except ScheduleAlreadyRunningError:
        # Listed late (eventual consistency) or created by a concurrent start-up.
        await _update(client, schedule_id, schedule)
        report.updated.append(schedule_id)
    except RPCError as exc:
        raise ScheduleError(f"schedule {schedule_id!r} was refused: {exc.message}") from exc


async def _update(client: Client, schedule_id: str, schedule: Schedule) -> None:
    def replace(_current: ScheduleUpdateInput) -> ScheduleUpdate:
        return ScheduleUpdate(schedule=schedule)

    try:
        await client.get_schedule_handle(schedule_id).update(replace)
    except RPCError as exc:
        raise ScheduleError(f"schedule {schedule_id!r} was refused: {exc.message}") from exc
