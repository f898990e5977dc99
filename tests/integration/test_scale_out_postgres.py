"""Scale-out proven, not claimed: two API and two worker processes on one PostgreSQL.

Every part is a real ``baas serve`` / ``baas worker`` process of the example app, on one
PostgreSQL schema and the session's Temporal: conditional writes and transactions sent
to both APIs stay atomic, a subscription on one API sees a mutation made on the other,
a data trigger followed by both workers starts its workflow once, and kill -9 of an API
or a worker loses no acknowledged write.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError
from temporalio.client import Client
from websockets.asyncio.client import connect

from tests.integration.auth.auth_server import FAST_ARGON2, PASSWORD
from tests.postgres_server import drop_schema, schema_name
from tests.support import TEST_SECRET_KEY, free_port

ROOT = Path(__file__).resolve().parents[2]
BAAS = str(Path(sys.executable).parent / "baas")
ADMIN = "ops@example.com"
KEY_ID, KEY_SECRET = "AKIASCALEOUT00000001", "scale-out-secret-0123456789abcdefghij"


@dataclass
class Cluster:
    env: dict[str, str]
    apis: list[str]
    folder: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    token: str = ""

    def dynamodb(self, api: str) -> Any:
        return boto3.client(
            "dynamodb",
            endpoint_url=f"{api}/dynamodb",
            region_name="us-east-1",
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=KEY_SECRET,
        )

    def graphql(self, api: str, query: str, **variables: Any) -> dict[str, Any]:
        answer = httpx.post(
            f"{api}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        body: dict[str, Any] = answer.json()
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]


def _baas(*args: str, env: dict[str, str], stdin: str = "") -> None:
    done = subprocess.run(
        [BAAS, *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def _start(cluster: Cluster, name: str, command: str, data_dir: Path, **env: str) -> None:
    with (data_dir / f"{name}.log").open("wb") as log:  # the child keeps its own copy
        cluster.processes[name] = subprocess.Popen(
            [BAAS, command],
            cwd=ROOT,
            env={**cluster.env, "BAAS_DATA_DIR": str(data_dir), **env},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def _healthy(api: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"{api}/healthz", timeout=2).status_code == 200
    return False


@pytest.fixture(scope="module")
def cluster(
    postgres_url: str, baas_temporal_address: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    schema, folder = schema_name(), tmp_path_factory.mktemp("scale-out")
    ports = [free_port(), free_port()]
    env = {
        **os.environ,
        **FAST_ARGON2,
        "BAAS_APP": "examples.board:app",
        "BAAS_STORE_URL": f"{postgres_url}?schema={schema}",
        "BAAS_TEMPORAL_ADDRESS": baas_temporal_address,
        "BAAS_TASK_QUEUE": f"scale-out-{uuid.uuid4().hex}",
        "BAAS_SECRET_KEY": TEST_SECRET_KEY,
        "BAAS_PUBLIC_URL": "http://api.example.test",  # one issuer behind one balancer
        "BAAS_DATA_DIR": str(folder),
    }
    cluster = Cluster(env, [f"http://127.0.0.1:{port}" for port in ports], folder)
    _baas("users", "create-admin", "--email", ADMIN, "--create", env=env, stdin=PASSWORD + "\n")
    _baas("keys", "create", "--id", KEY_ID, "--secret", "-", env=env, stdin=KEY_SECRET + "\n")
    try:
        for number, port in enumerate(ports, start=1):
            data = folder / f"api{number}"
            data.mkdir()
            _start(cluster, f"api{number}", "serve", data, BAAS_PORT=str(port))
        for number in (1, 2):
            data = folder / f"worker{number}"
            data.mkdir()
            _start(cluster, f"worker{number}", "worker", data)
        deadline = time.monotonic() + 60
        while not all(_healthy(api) for api in cluster.apis):
            assert time.monotonic() < deadline, "the APIs did not become healthy"
            time.sleep(0.2)
        signin = httpx.post(
            f"{cluster.apis[0]}/auth/signin", json={"email": ADMIN, "password": PASSWORD}
        )
        cluster.token = signin.json()["access_token"]
        yield cluster
    finally:
        for process in cluster.processes.values():
            process.terminate()
        for process in cluster.processes.values():
            process.wait(timeout=30)
        drop_schema(postgres_url, schema)


def test_conditional_writes_and_transactions_from_both_apis_stay_atomic(cluster: Cluster) -> None:
    setup = cluster.dynamodb(cluster.apis[0])
    setup.create_table(
        TableName="counters",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    setup.put_item(TableName="counters", Item={"id": {"S": "c"}, "n": {"N": "0"}})
    for account in ("A", "B"):
        setup.put_item(TableName="counters", Item={"id": {"S": account}, "n": {"N": "100"}})

    refusals: list[str] = []

    def increments(api: str) -> None:
        client = cluster.dynamodb(api)
        for _ in range(15):
            while True:
                n = client.get_item(
                    TableName="counters", Key={"id": {"S": "c"}}, ConsistentRead=True
                )
                current = n["Item"]["n"]["N"]
                try:
                    client.update_item(
                        TableName="counters",
                        Key={"id": {"S": "c"}},
                        UpdateExpression="SET n = :new",
                        ConditionExpression="n = :old",
                        ExpressionAttributeValues={
                            ":new": {"N": str(int(current) + 1)},
                            ":old": {"N": current},
                        },
                    )
                    break
                except ClientError as error:  # lost the race: read again and retry
                    refusals.append(error.response["Error"]["Code"])

    def transfers(api: str, seed: int) -> None:
        client, rng = cluster.dynamodb(api), random.Random(seed)  # noqa: S311 - test data
        for _ in range(15):
            source, target = rng.sample(["A", "B"], 2)
            amount = str(rng.randint(1, 60))
            with contextlib.suppress(ClientError):  # not enough money: refused as a whole
                client.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": "counters",
                                "Key": {"id": {"S": source}},
                                "UpdateExpression": "SET n = n - :x",
                                "ConditionExpression": "n >= :x",
                                "ExpressionAttributeValues": {":x": {"N": amount}},
                            }
                        },
                        {
                            "Update": {
                                "TableName": "counters",
                                "Key": {"id": {"S": target}},
                                "UpdateExpression": "SET n = n + :x",
                                "ExpressionAttributeValues": {":x": {"N": amount}},
                            }
                        },
                    ]
                )

    workers = [
        threading.Thread(target=work, args=args)
        for api in cluster.apis
        for work, args in ((increments, (api,)), (transfers, (api, len(api))))
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    items = {
        item["id"]["S"]: int(item["n"]["N"])
        for item in setup.scan(TableName="counters", ConsistentRead=True)["Items"]
    }
    assert items["c"] == 30  # every increment from both APIs counted exactly once
    assert items["A"] + items["B"] == 200
    assert min(items["A"], items["B"]) >= 0
    assert set(refusals) <= {"ConditionalCheckFailedException"}


async def test_a_subscription_on_one_api_sees_a_mutation_made_on_the_other(
    cluster: Cluster,
) -> None:
    board = cluster.graphql(cluster.apis[0], 'mutation { createBoard(input: {name: "S"}) { id } }')
    board_id = board["createBoard"]["id"]
    ws_url = cluster.apis[0].replace("http://", "ws://") + "/graphql"
    async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": cluster.token}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        subscription = {
            "query": "subscription($f: TodoFilterInput) { onTodoCreated(filter: $f) { title } }",
            "variables": {"f": {"boardId": {"eq": board_id}}},
        }
        await ws.send(json.dumps({"type": "subscribe", "id": "s", "payload": subscription}))
        deadline = time.monotonic() + 20
        while True:  # the protocol has no "subscribed" acknowledgement: write until one arrives
            create = (
                'mutation($b: String!) { createTodo(input: {boardId: $b, title: "on two"}) { id } }'
            )
            await asyncio.to_thread(cluster.graphql, cluster.apis[1], create, b=board_id)
            with contextlib.suppress(TimeoutError):
                message = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                assert message["payload"]["data"]["onTodoCreated"]["title"] == "on two"
                return
            assert time.monotonic() < deadline, "the event never reached the other API"


async def _archive_workflows(cluster: Cluster, board_id: str) -> int:
    client = await Client.connect(cluster.env["BAAS_TEMPORAL_ADDRESS"])
    query = (
        f"WorkflowType = 'board.ArchiveBoard' AND TaskQueue = '{cluster.env['BAAS_TASK_QUEUE']}'"
    )
    found = 0
    async for execution in client.list_workflows(query):
        history = await client.get_workflow_handle(execution.id).fetch_history()
        first = history.events[0].workflow_execution_started_event_attributes
        found += board_id.encode() in first.input.payloads[0].data
    return found


async def _why(cluster: Cluster) -> str:
    """What a failed wait for the trigger's workflow needs to be understood: its runs'
    statuses and the surviving worker's last log lines."""
    client = await Client.connect(cluster.env["BAAS_TEMPORAL_ADDRESS"])
    query = f"TaskQueue = '{cluster.env['BAAS_TASK_QUEUE']}'"
    runs = [
        f"{execution.id} {execution.workflow_type} {execution.status}"
        async for execution in client.list_workflows(query)
    ]
    log = (cluster.folder / "worker2" / "worker2.log").read_text(errors="replace")
    tail = [line for line in log.splitlines() if "/healthz" not in line][-40:]
    return "runs:\n" + "\n".join(runs) + "\nworker2:\n" + "\n".join(tail)


async def _board_status(cluster: Cluster, api: str, board_id: str) -> str:
    query = "query($id: String!) { getBoard(id: $id) { status } }"
    data = await asyncio.to_thread(cluster.graphql, api, query, id=board_id)
    return str(data["getBoard"]["status"])


async def test_a_trigger_followed_by_two_workers_starts_its_workflow_once(
    cluster: Cluster,
) -> None:
    api_one, api_two = cluster.apis
    board = cluster.graphql(api_one, 'mutation { createBoard(input: {name: "T"}) { id } }')
    board_id = board["createBoard"]["id"]
    request = (
        "mutation($id: String!) { updateBoard(input: {id: $id, archiveRequested: true}) { id } }"
    )
    cluster.graphql(api_two, request, id=board_id)
    deadline = time.monotonic() + 60
    while await _board_status(cluster, api_one, board_id) != "archiving":
        assert time.monotonic() < deadline, "the trigger's workflow never ran"
        await asyncio.sleep(0.3)
    await asyncio.sleep(2)  # time for a second start, were the followers not exactly-once
    assert await _archive_workflows(cluster, board_id) == 1


async def test_kill_9_of_an_api_or_a_worker_loses_no_acknowledged_write(cluster: Cluster) -> None:
    victim, survivor = cluster.apis
    client = cluster.dynamodb(victim)
    acknowledged: list[str] = []

    def write_until_killed() -> None:
        with contextlib.suppress(Exception):  # the connection dies with the process
            for number in range(100_000):
                key = f"k-{number}"
                client.put_item(TableName="counters", Item={"id": {"S": key}, "n": {"N": "1"}})
                acknowledged.append(key)

    writer = threading.Thread(target=write_until_killed)
    writer.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 20 and time.monotonic() < deadline:  # noqa: ASYNC110 - a thread's progress
        await asyncio.sleep(0.05)
    cluster.processes["api1"].send_signal(signal.SIGKILL)
    cluster.processes["worker1"].send_signal(signal.SIGKILL)
    writer.join(timeout=60)
    reader = cluster.dynamodb(survivor)
    missing = [
        key
        for key in acknowledged
        if "Item"
        not in reader.get_item(TableName="counters", Key={"id": {"S": key}}, ConsistentRead=True)
    ]
    assert missing == []
    # The surviving worker alone still runs a trigger, once.
    board = cluster.graphql(survivor, 'mutation { createBoard(input: {name: "K"}) { id } }')
    board_id = board["createBoard"]["id"]
    request = (
        "mutation($id: String!) { updateBoard(input: {id: $id, archiveRequested: true}) { id } }"
    )
    cluster.graphql(survivor, request, id=board_id)
    # Generous: a task Temporal handed to the killed worker's last poll waits out its
    # timeout before the survivor gets it.
    deadline = time.monotonic() + 150
    while await _board_status(cluster, survivor, board_id) != "archiving":
        if time.monotonic() > deadline:
            pytest.fail(f"the surviving worker never ran the trigger\n{await _why(cluster)}")
        await asyncio.sleep(0.3)
    assert await _archive_workflows(cluster, board_id) == 1
