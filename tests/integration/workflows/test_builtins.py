"""The built-in functions, run by a worker as an app would register them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from temporalio.client import Client

from functions import Caller, Context, FunctionRuntime, function
from functions.builtins import (
    HttpRequest,
    SendEmailInput,
    WriteItemInput,
    http_request,
    send_email,
    write_item,
)
from tests.integration.workflows import sample_functions as f
from tests.integration.workflows.memory import Journal
from tests.support import serve_in_thread
from workflows import CallFailedError, result, start_call
from workflows.worker import create_worker

ALICE = Caller.user("alice")
BUILTINS = [http_request, write_item, send_email]


async def _hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"hello {request.headers['host']}", headers={"x-seen": "yes"})


@pytest.fixture(scope="module")
def local_server() -> Iterator[str]:
    with serve_in_thread(Starlette(routes=[Route("/hello", _hello)])) as url:
        yield url


async def _run(
    client: Client, task_queue: str, runtime: FunctionRuntime, target: object, inp: object
) -> object:
    async with create_worker(client, task_queue=task_queue, functions=BUILTINS, runtime=runtime):
        call_id = await start_call(client, target, inp, ALICE, task_queue=task_queue)  # type: ignore[arg-type]
        return await result(client, call_id, target)  # type: ignore[call-overload]


async def test_http_to_a_private_address_is_refused_by_default(
    temporal_client: Client, task_queue: str, local_server: str
) -> None:
    with pytest.raises(CallFailedError) as failure:
        await _run(
            temporal_client,
            task_queue,
            FunctionRuntime(),
            http_request,
            HttpRequest(f"{local_server}/hello"),
        )
    assert failure.value.code == "forbidden_destination"


async def test_http_reaches_an_allowed_destination(
    temporal_client: Client, task_queue: str, local_server: str
) -> None:
    runtime = FunctionRuntime(allow_private_network=True)
    response = await _run(
        temporal_client, task_queue, runtime, http_request, HttpRequest(f"{local_server}/hello")
    )
    port = local_server.rsplit(":", 1)[1]
    assert response.status == 200  # type: ignore[attr-defined]
    assert response.body == f"hello 127.0.0.1:{port}"  # type: ignore[attr-defined]
    assert response.headers["x-seen"] == "yes"  # type: ignore[attr-defined]


async def test_write_item_and_send_email_go_through_the_injected_services(
    temporal_client: Client, task_queue: str
) -> None:
    journal = Journal()
    await _run(
        temporal_client,
        task_queue,
        journal.runtime(),
        write_item,
        WriteItemInput("boards", {"id": "b9", "title": "T"}),
    )
    await _run(
        temporal_client,
        task_queue,
        journal.runtime(),
        send_email,
        SendEmailInput("a@example.com", "Hi", "text"),
    )
    assert journal.tables["boards"]["b9"] == {"id": "b9", "title": "T"}
    assert journal.store_requests == [(ALICE, "caller")]
    assert [email.to for email, _key in journal.sent] == ["a@example.com"]


@function(name="t_declared_but_never_served")
async def never_served(ctx: Context, inp: f.Empty) -> f.Empty:
    return inp


async def test_a_function_no_worker_serves_cannot_be_invoked_by_name(
    temporal_client: Client, task_queue: str
) -> None:
    # Declared (imported) in this process, but no worker was given it: threat, a client
    # invoking by name a function the app never exposed (a built-in, say).
    async with create_worker(temporal_client, task_queue=task_queue, functions=BUILTINS):
        call_id = await start_call(
            temporal_client, "t_declared_but_never_served", f.Empty(), ALICE, task_queue=task_queue
        )
        with pytest.raises(CallFailedError) as failure:
            await result(temporal_client, call_id)
    assert failure.value.code == "unknown_function"
