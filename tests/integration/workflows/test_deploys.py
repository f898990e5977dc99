"""Deploys never diverge silently: a changed call is caught, live and by ``baas replay``.

Temporal's replay compares the type of each call with the history but not its input,
so swapping two calls of one function with different inputs used to replay cleanly
and every running call went on with the wrong effects. Calls now carry their input's
digest in their id (workflows.scheduling).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.client import Client

from functions import Caller
from tests.integration.workflows.long_workflows import TwoStepsSwappedWorkflow, TwoStepsWorkflow
from tests.integration.workflows.memory import Journal
from tests.integration.workflows.sample_functions import Step, StepDone, record_step
from tests.support import TEST_SECRET_KEY
from workflows import CallFailedError, result, signal, start_call
from workflows.worker import create_worker

OWNER = Caller.user("olga", ["members"])
ROOT = Path(__file__).parents[3]
HISTORIES = Path(__file__).parent / "histories"


async def _run_two_steps_until_waiting(client: Client, task_queue: str, journal: Journal) -> str:
    """Start TwoSteps under the first deploy and stop that worker once it waits for "go"."""
    first_deploy = create_worker(
        client,
        task_queue=task_queue,
        workflows=[TwoStepsWorkflow],
        functions=[record_step],
        runtime=journal.runtime(),
        max_cached_workflows=0,  # the next task goes to whichever worker polls
    )
    async with first_deploy:
        call_id = await start_call(
            client, TwoStepsWorkflow, Step("go"), OWNER, task_queue=task_queue
        )
        for _ in range(600):
            if len(journal.events) == 2:
                break
            await asyncio.sleep(0.05)
    assert journal.events == ["a:attempt1", "b:attempt1"]
    return call_id


async def test_a_deploy_that_swaps_two_calls_fails_running_calls_instead_of_diverging(
    temporal_client: Client, task_queue: str, journal: Journal
) -> None:
    call_id = await _run_two_steps_until_waiting(temporal_client, task_queue, journal)
    second_deploy = create_worker(
        temporal_client,
        task_queue=task_queue,
        workflows=[TwoStepsSwappedWorkflow],
        functions=[record_step],
        runtime=journal.runtime(),
    )
    async with second_deploy:
        await signal(temporal_client, call_id, "go", "now", OWNER)
        with pytest.raises(CallFailedError) as failed:
            await asyncio.wait_for(result(temporal_client, call_id, StepDone), 60)
    assert failed.value.code == "nondeterministic"
    assert journal.events == ["a:attempt1", "b:attempt1"]  # nothing ran after the swap


def _baas_replay(app: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "baas"), "replay", *args],
        cwd=ROOT,
        env={**os.environ, "BAAS_APP": app, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_example_apps_recorded_histories_replay() -> None:
    replayed = _baas_replay("examples.board:app", str(HISTORIES), BAAS_SECRET_KEY=TEST_SECRET_KEY)
    assert replayed.returncode == 0, replayed.stderr
    count = len(list(HISTORIES.glob("*.json")))
    assert f"{count} of {count} histories replay" in replayed.stdout


async def test_baas_replay_fetches_saves_and_catches_a_reordered_call(
    temporal_client: Client,
    temporal_address: str,
    task_queue: str,
    journal: Journal,
    tmp_path: Path,
) -> None:
    call_id = await _run_two_steps_until_waiting(temporal_client, task_queue, journal)
    env = {
        "BAAS_TEMPORAL_ADDRESS": temporal_address,
        "BAAS_TASK_QUEUE": task_queue,
        # The key temporal_client signed the call's caller with (baas_settings' dev key).
        "BAAS_SECRET_KEY_FILE": str(tmp_path / "baas" / "secret.key"),
    }
    apps = "tests.integration.workflows.replay_apps"

    fetched = _baas_replay(f"{apps}:two_steps", "--since", "1h", "--save", str(tmp_path), **env)
    assert fetched.returncode == 0, fetched.stderr
    assert "1 of 1 histories replay" in fetched.stdout
    assert (tmp_path / f"{call_id}.json").is_file()

    # The running call's history, against the deploy that swapped its two calls.
    refused = _baas_replay(f"{apps}:swapped", str(tmp_path), **env)
    assert refused.returncode == 1
    assert f"does not replay: {call_id}: NondeterminismError" in refused.stderr
    assert "0 of 1 histories replay" in refused.stdout
