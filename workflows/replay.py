"""Replaying recorded histories against the current workflow code: the check before a deploy.

A Temporal workflow is re-run from its history whenever a worker picks it up again, so
new workflow code must reproduce, command for command, what old code did for every
call still running. Replaying recent histories against the new code finds a change
that would not (a step added, removed or reordered, a call whose input changed: see
:mod:`workflows.scheduling`) before it reaches running calls. ``baas replay`` runs
this on histories fetched from Temporal or saved as files.

The Replayer is set up like a worker (:mod:`workflows.worker`): the same sandbox, data
converter and interceptors, so what replays here replays there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import _Definition  # the SDK's only way to a class's workflow name

from functions.definition import Function
from functions.payloads import DEFAULT_MAX_PAYLOAD_BYTES
from functions.registry import registry
from workflows.caller_signatures import CallerSigner
from workflows.clients import baas_data_converter
from workflows.invoke import InvokeFunctionWorkflow
from workflows.worker import workflow_interceptors, workflow_runner

__all__ = [
    "ReplayOutcome",
    "fetch_histories",
    "histories_from_files",
    "replay",
    "replayer",
    "workflow_names",
]


@dataclass(frozen=True, slots=True)
class ReplayOutcome:
    """One history replayed: ``error`` is None when the current code reproduced it."""

    workflow_id: str
    error: str | None


def replayer(
    workflows: Sequence[type], signer: CallerSigner, functions: Iterable[Function[Any, Any]] = ()
) -> Replayer:
    """A Replayer for ``workflows`` (plus the one-step invoke workflow), set up as a worker.

    ``functions`` are those the worker serves: a one-step call of one replays only if
    the function is still registered, as on the worker. ``signer`` holds the caller key
    the histories were signed with (the deployment's ``BAAS_SECRET_KEY``).
    """
    for fn in functions:
        registry.serve(fn)
    return Replayer(
        workflows=[
            InvokeFunctionWorkflow,
            *(w for w in workflows if w is not InvokeFunctionWorkflow),
        ],
        data_converter=baas_data_converter(),
        interceptors=workflow_interceptors(signer, max_payload_bytes=DEFAULT_MAX_PAYLOAD_BYTES),
        # Unlike a worker's, nondeterminism is not turned into a failed workflow here:
        # it is what a replay reports.
        workflow_runner=workflow_runner(),
    )


async def replay(
    histories: AsyncIterator[WorkflowHistory],
    workflows: Sequence[type],
    signer: CallerSigner,
    functions: Iterable[Function[Any, Any]] = (),
) -> list[ReplayOutcome]:
    """Replay every history; one outcome each, in order (a failure does not stop the rest)."""
    outcomes: list[ReplayOutcome] = []
    async with replayer(workflows, signer, functions).workflow_replay_iterator(
        histories
    ) as results:
        async for result in results:
            error = None if result.replay_failure is None else _describe(result.replay_failure)
            outcomes.append(ReplayOutcome(result.history.workflow_id, error))
    return outcomes


def workflow_names(workflows: Iterable[type]) -> list[str]:
    """The Temporal names of ``workflows`` and of the one-step invoke workflow."""
    classes = [InvokeFunctionWorkflow, *(w for w in workflows if w is not InvokeFunctionWorkflow)]
    return [name for w in classes if (name := _Definition.must_from_class(w).name)]


async def fetch_histories(
    client: Client,
    *,
    workflow_types: Sequence[str],
    task_queue: str,
    since: datetime,
    limit: int,
) -> AsyncIterator[WorkflowHistory]:
    """Histories of ``workflow_types`` on ``task_queue`` started since ``since``, at most
    ``limit`` (Temporal lists the newest first); running and closed ones alike."""
    types = ", ".join(_quoted(name) for name in workflow_types)
    query = (
        f"TaskQueue = {_quoted(task_queue)} AND WorkflowType IN ({types}) "
        f"AND StartTime > {_quoted(since.isoformat())}"
    )
    async for history in client.list_workflows(query, limit=limit).map_histories():
        yield history


async def histories_from_files(paths: Iterable[Path]) -> AsyncIterator[WorkflowHistory]:
    """Histories saved as JSON (``WorkflowHistory.to_json`` or ``temporal workflow show
    --output json``); a directory stands for the ``*.json`` files in it."""
    for path in paths:
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        for file in files:
            yield WorkflowHistory.from_json(file.stem, file.read_text())


def _quoted(text: str) -> str:
    # Visibility queries quote strings with single quotes; names and times never hold
    # one, but a task queue from a setting might: refuse rather than build a bad query.
    if "'" in text:
        raise ValueError(f"cannot query for a name with a quote: {text!r}")
    return f"'{text}'"


def _describe(error: Exception) -> str:
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first_line}"[:500]
