"""The model's promises hold however an item is written: GraphQL, a function, the built-in
write function, a trigger's workflow, a DynamoDB client.

The example app runs as ``baas dev`` runs it: its worker (functions, triggers) on the
session's Temporal, and the API on the same store file, driven by GraphQL over HTTP and
by boto3 on ``/dynamodb``. Whatever wrote last, a GraphQL client holding the version it
read before that write gets ``CONDITIONAL_CHECK_FAILED`` from ``expectedVersion``, and
fields the writer left out come back with their declared defaults, never null.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

from auth.access_keys import AccessKeyRepository
from baas.app import create_app
from baas.application import App
from baas.function_runtime import function_runtime
from baas.testing import AppHarness
from examples.board import app as board_app
from examples.board.functions import ArchiveStepInput, archive_board
from functions import Caller
from functions.builtins import WriteItemInput, write_item
from tests.integration.graphql.server import ask_websocket
from tests.support import serve_in_thread
from workflows import result, start_call
from workflows.worker import create_worker

OLGA = Caller.user("olga")
KEY_ID = "AKIAMODELPATHS000001"
SECRET = "model-paths-secret-0123456789abcdefghij"
FIELDS = "id name status archiveRequested previousStatus owner version createdAt updatedAt"
GET = f"query($id: String!) {{ getBoard(id: $id) {{ {FIELDS} }} }}"
CREATE = f"mutation($n: String!) {{ createBoard(input: {{name: $n}}) {{ {FIELDS} }} }}"
UPDATE = (
    "mutation($id: String!, $n: String, $a: Boolean, $v: Int) {"
    " updateBoard(input: {id: $id, name: $n, archiveRequested: $a}, expectedVersion: $v)"
    f" {{ {FIELDS} }} }}"
)


@pytest.fixture
def baas_app() -> App:
    return board_app


@dataclass
class Api:
    """The API on the harness's store, and a GraphQL client acting as olga."""

    url: str
    token: str

    async def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(
                f"{self.url}/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {self.token}"},
            )
        body: dict[str, Any] = response.json()
        return body

    async def board(self, board_id: str) -> dict[str, Any]:
        board: dict[str, Any] = (await self.graphql(GET, id=board_id))["data"]["getBoard"]
        return board

    @property
    def ws(self) -> str:
        return f"{self.url.replace('http://', 'ws://')}/graphql"

    async def stale_update_fails(self, board_id: str, version: int) -> None:
        """An update with ``version`` (what the client last saw) is refused, over HTTP and
        over WebSocket alike."""
        variables = {"id": board_id, "n": "client's edit", "v": version}
        answer = await self.graphql(UPDATE, **variables)
        assert answer["errors"][0]["extensions"]["code"] == "CONDITIONAL_CHECK_FAILED", answer
        over_socket = await ask_websocket(self, UPDATE, variables, token=self.token)  # type: ignore[arg-type]
        assert over_socket.codes == ["CONDITIONAL_CHECK_FAILED"], over_socket
        assert (await self.board(board_id))["name"] != "client's edit"


@pytest.fixture
async def api(baas: AppHarness) -> AsyncIterator[Api]:
    await AccessKeyRepository(baas.store, baas.services.secret_keys).create(
        key_id=KEY_ID, secret=SECRET
    )
    app = create_app(baas.services.settings, app=board_app)
    with serve_in_thread(app) as url:
        token = app.state.services.tokens.issue_access_token("olga", ()).token
        yield Api(url, token)


def _defaults_shown(board: dict[str, Any]) -> None:
    assert (board["status"], board["archiveRequested"]) == ("active", False)


async def test_function_and_builtin_writes_hold_the_invariants(baas: AppHarness, api: Api) -> None:
    created = (await api.graphql(CREATE, n="Q3"))["data"]["createBoard"]
    board_id = created["id"]
    assert created["version"] == 1

    # A function (acting as olga) changes the board through ctx.models.
    call = await baas.start(archive_board, ArchiveStepInput(board_id, "adam"), OLGA)
    await result(baas.client, call)
    after_function = await api.board(board_id)
    assert (after_function["status"], after_function["version"]) == ("archived", 2)
    assert after_function["updatedAt"] > created["updatedAt"]
    await api.stale_update_fails(board_id, 1)

    # The built-in write function: a replace of the board, and a new one, both raw.
    async with create_worker(
        baas.client,
        task_queue=f"{baas.task_queue}-builtins",
        functions=[write_item],
        runtime=function_runtime(baas.services),
    ):
        for item in ({"id": board_id, "name": "renamed"}, {"id": "written", "name": "W"}):
            call = await start_call_on(baas, write_item, WriteItemInput("boards", item))
            await result(baas.client, call)
    replaced = await api.board(board_id)
    assert (replaced["name"], replaced["version"]) == ("renamed", 3)
    assert replaced["createdAt"] == created["createdAt"]
    _defaults_shown(replaced)  # a put replaces: what it left out is the default again
    await api.stale_update_fails(board_id, 2)
    written = await api.board("written")
    _defaults_shown(written)
    assert (written["owner"], written["version"]) == ("olga", 1)
    assert written["createdAt"] is not None


async def start_call_on(baas: AppHarness, target: Any, inp: Any) -> str:
    return await start_call(
        baas.client, target, inp, OLGA, task_queue=f"{baas.task_queue}-builtins"
    )


async def _until(check: Any, seconds: float = 30) -> None:
    async with asyncio.timeout(seconds):
        while not await check():  # noqa: ASYNC110 - polls the API
            await asyncio.sleep(0.1)


async def test_trigger_and_dynamodb_writes_hold_the_invariants(baas: AppHarness, api: Api) -> None:
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=f"{api.url}/dynamodb",
        region_name="us-east-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}),
    )
    key = {"id": {"S": "raw"}}

    def dynamodb_call(method: str, **kwargs: Any) -> Any:
        return asyncio.to_thread(getattr(dynamodb, method), TableName="boards", **kwargs)

    # A DynamoDB client writes a board as it likes it: no status, no archive_requested.
    await dynamodb_call("put_item", Item={**key, "name": {"S": "raw"}, "owner": {"S": "olga"}})
    seen = await api.board("raw")
    _defaults_shown(seen)
    assert (seen["version"], seen["createdAt"]) == (1, None)  # version kept; the rest as sent

    # It updates it, then puts back what it read (the version it saw included).
    await dynamodb_call(
        "update_item",
        Key=key,
        UpdateExpression="SET #n = :n",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":n": {"S": "raw 2"}},
    )
    await api.stale_update_fails("raw", 1)
    item = (await dynamodb_call("get_item", Key=key, ConsistentRead=True))["Item"]
    await dynamodb_call("put_item", Item={**item, "name": {"S": "raw 3"}})
    back = await api.board("raw")
    assert (back["name"], back["version"]) == ("raw 3", 3)
    await api.stale_update_fails("raw", 2)

    # A trigger: asking for the archive (GraphQL) starts the workflow, whose function
    # (acting as the system) marks the board; olga's version 4 is stale after it.
    requested = await api.graphql(UPDATE, id="raw", a=True, v=3)
    assert requested["data"]["updateBoard"]["version"] == 4

    async def reserved() -> bool:
        return bool((await api.board("raw"))["status"] == "archiving")

    await _until(reserved)
    board = await api.board("raw")
    assert (board["version"], board["previousStatus"]) == (5, "active")
    await api.stale_update_fails("raw", 4)
