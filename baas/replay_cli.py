"""``baas replay``: replay workflow histories against the app's current code before a deploy.

    baas replay                          recent histories from Temporal (last 24 h, 100 at most)
    baas replay --since 7d --limit 500   a wider window
    baas replay --save histories/        ... and keep them as files, for CI
    baas replay histories/ run.json      saved histories (files or folders of *.json)

Exit status 0 when every history replays, 1 when one does not (a line each names the
workflow and the mismatch), as for any expected failure. See docs/functions.md,
"Deploying workflow changes".
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError

from baas.config import Settings
from baas.errors import StartupError
from baas.lifecycle import load_configured_app
from baas.secret_key import load_secret_key
from workflows.caller_signatures import CallerSigner
from workflows.clients import baas_data_converter
from workflows.replay import (
    fetch_histories,
    histories_from_files,
    replay,
    workflow_names,
)

__all__ = ["run_replay_command"]

_DURATION = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


async def run_replay_command(args: argparse.Namespace, settings: Settings) -> int:
    app = load_configured_app(settings)
    if app is None:
        raise StartupError("baas replay needs the app: set BAAS_APP=module:attribute")
    # The callers in the histories were signed with the deployment's key.
    signer = CallerSigner.from_secret_keys(load_secret_key(settings).keys)
    if args.paths:
        missing = [str(path) for path in args.paths if not path.exists()]
        if missing:
            raise StartupError(f"no such history file or folder: {', '.join(missing)}")
        histories = histories_from_files(args.paths)
    else:
        client = await _connect(settings)
        histories = _saved(
            fetch_histories(
                client,
                workflow_types=workflow_names(app.workflows),
                task_queue=settings.task_queue,
                since=datetime.now(UTC) - _duration(args.since),
                limit=args.limit,
            ),
            args.save,
        )
    try:
        outcomes = await replay(histories, app.workflows, signer, app.functions)
    except RPCError as exc:
        raise StartupError(f"Temporal refused to list the histories: {exc.message}") from exc
    failed = [outcome for outcome in outcomes if outcome.error is not None]
    for outcome in failed:
        _say(f"does not replay: {outcome.workflow_id}: {outcome.error}")
    _say(f"{len(outcomes) - len(failed)} of {len(outcomes)} histories replay")
    return 1 if failed else 0


async def _connect(settings: Settings) -> Client:
    target = settings.temporal_target
    try:
        return await Client.connect(
            target, namespace=settings.temporal_namespace, data_converter=baas_data_converter()
        )
    except RuntimeError as exc:
        raise StartupError(
            f"cannot connect to Temporal at {target} (set BAAS_TEMPORAL_ADDRESS)"
        ) from exc


async def _saved(
    histories: AsyncIterator[WorkflowHistory], folder: Path | None
) -> AsyncIterator[WorkflowHistory]:
    if folder is not None:  # even with nothing to save: `baas replay FOLDER` comes next
        _make_folder(folder)
    async for history in histories:
        if folder is not None:
            _save(folder, history)
        yield history


def _make_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)


def _save(folder: Path, history: WorkflowHistory) -> None:
    # Workflow ids are the app's (call ids, trigger ids): keep them readable, never a path.
    name = re.sub(r"[^A-Za-z0-9_.=-]", "_", history.workflow_id)[:200]
    (folder / f"{name}.json").write_text(history.to_json())


def _duration(text: str) -> timedelta:
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise StartupError(f"--since takes a duration such as 30m, 24h or 7d, not {text!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _say(line: str) -> None:
    print(line, file=sys.stderr if line.startswith("does not") else sys.stdout)
