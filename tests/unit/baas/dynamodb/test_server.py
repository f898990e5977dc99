"""The DynamoDB port's HTTP/1.1 server, over real sockets, with a scripted endpoint.

The endpoint here answers what each test tells it to (the real one is exercised with
boto3 in tests/integration/dynamodb); what is tested is the HTTP around it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable

import pytest

from baas.dynamodb.protocol import MAX_BODY_BYTES
from baas.dynamodb.server import MAX_HEAD_BYTES, DynamoDBServer, _run_eagerly

Answer = Callable[[bytes, bytes], Awaitable[tuple[int, bytes]]]


class _Endpoint:
    """Echoes each call as JSON, or runs ``script`` for it."""

    health = b"healthy: test "

    def __init__(self) -> None:
        self.script: Answer | None = None
        self.calls: list[tuple[bytes, bytes, dict[bytes, bytes], bytes]] = []
        self.called = asyncio.Event()

    async def answer(
        self,
        raw_path: bytes,
        query_string: bytes,
        headers: Iterable[tuple[bytes, bytes]],
        body: bytes,
        request_id: str,
    ) -> tuple[int, bytes]:
        self.calls.append((raw_path, query_string, dict(headers), body))
        self.called.set()
        if self.script is not None:
            return await self.script(raw_path, body)
        return 200, json.dumps({"path": raw_path.decode(), "body": body.decode()}).encode()


@contextlib.asynccontextmanager
async def _serving(**options: float) -> AsyncIterator[tuple[DynamoDBServer, _Endpoint]]:
    endpoint = _Endpoint()
    server = DynamoDBServer(endpoint, "127.0.0.1", 0, **options)
    await server.start()
    try:
        yield server, endpoint
    finally:
        await server.shutdown(force=True)


@pytest.fixture
async def served() -> AsyncIterator[tuple[DynamoDBServer, _Endpoint]]:
    async with _serving() as pair:
        yield pair


async def _connect(server: DynamoDBServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", server.port)


def _post(body: bytes, path: str = "/", extra: str = "") -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


async def _response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """One response: status, headers (lower-case names), body."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    status_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
    headers = dict(line.split(": ", 1) for line in lines)
    headers = {name.lower(): value for name, value in headers.items()}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(status_line.split(" ")[1]), headers, body


async def _closed(reader: asyncio.StreamReader) -> bool:
    return await asyncio.wait_for(reader.read(), 5) == b""


async def _last_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """A response that says ``connection: close``, after which the server closes."""
    status, headers, body = await _response(reader)
    assert headers["connection"] == "close"
    assert await _closed(reader)
    return status, body


async def test_a_post_is_answered_with_the_endpoints_json(
    served: tuple[DynamoDBServer, _Endpoint],
) -> None:
    server, endpoint = served
    reader, writer = await _connect(server)
    writer.write(_post(b'{"TableName": "t"}', path="/some/path?x=1", extra="X-Amz-Target: T\r\n"))
    status, headers, body = await _response(reader)
    assert status == 200
    assert headers["content-type"] == "application/x-amz-json-1.0"
    assert len(headers["x-amzn-requestid"]) == 32
    assert "date" in headers
    assert json.loads(body) == {"path": "/some/path", "body": '{"TableName": "t"}'}
    path, query, sent, _ = endpoint.calls[0]
    assert (path, query, sent[b"x-amz-target"]) == (b"/some/path", b"x=1", b"T")
    writer.close()


async def test_a_connection_serves_many_requests_and_pipelined_ones_in_order(
    served: tuple[DynamoDBServer, _Endpoint],
) -> None:
    server, endpoint = served

    async def slow_first(path: bytes, body: bytes) -> tuple[int, bytes]:
        if body == b"0":
            await asyncio.sleep(0.05)  # the first answer is late: order must still hold
        return 200, body

    endpoint.script = slow_first
    reader, writer = await _connect(server)
    count = 40  # more than the server reads ahead, so reading pauses and resumes
    writer.write(b"".join(_post(str(n).encode()) for n in range(count)))
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    bodies = [(await _response(reader))[2] for _ in range(count + 1)]
    assert bodies == [str(n).encode() for n in range(count)] + [b"healthy: test "]
    writer.write(_post(b"again"))
    assert (await _response(reader))[2] == b"again"
    writer.close()


async def test_health_checks_answer_without_calling_the_endpoint(
    served: tuple[DynamoDBServer, _Endpoint],
) -> None:
    server, endpoint = served
    reader, writer = await _connect(server)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, body = await _response(reader)
    assert (status, body) == (200, b"healthy: test ")
    assert headers["content-type"].startswith("text/plain")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert b"content-length: 14\r\n" in head  # the length of the GET's body, but none sent
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await _response(reader))[2] == b"healthy: test "  # nothing was left over
    assert endpoint.calls == []
    writer.close()


@pytest.mark.parametrize(
    ("request_head", "closes"),
    [
        ("POST / HTTP/1.1\r\nConnection: close\r\n", True),
        ("POST / HTTP/1.0\r\n", True),
        ("POST / HTTP/1.0\r\nConnection: keep-alive\r\n", False),
        ("POST / HTTP/1.1\r\n", False),
    ],
)
async def test_connections_persist_as_http_1_1_says(
    served: tuple[DynamoDBServer, _Endpoint], request_head: str, closes: bool
) -> None:
    server, _ = served
    reader, writer = await _connect(server)
    writer.write(f"{request_head}Host: x\r\nContent-Length: 2\r\n\r\n{{}}".encode())
    status, headers, _ = await _response(reader)
    assert status == 200
    assert (headers.get("connection") == "close") is closes
    if closes:
        assert await _closed(reader)
    else:
        writer.write(_post(b"{}"))
        assert (await _response(reader))[0] == 200
    writer.close()


async def test_a_chunked_body_is_read_whole(served: tuple[DynamoDBServer, _Endpoint]) -> None:
    server, endpoint = served
    reader, writer = await _connect(server)
    writer.write(
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'5\r\n{"a":\r\n4\r\n 12}\r\n0\r\n\r\n'
    )
    status, _, _ = await _response(reader)
    assert status == 200
    assert endpoint.calls[0][3] == b'{"a": 12}'
    writer.close()


async def test_expect_100_continue_gets_its_interim_answer(
    served: tuple[DynamoDBServer, _Endpoint],
) -> None:
    server, _ = served
    reader, writer = await _connect(server)
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    writer.write(b"{}")
    assert (await _response(reader))[0] == 200
    writer.close()


async def test_a_body_declared_too_large_is_refused_before_it_is_sent(
    served: tuple[DynamoDBServer, _Endpoint],
) -> None:
    server, endpoint = served
    reader, writer = await _connect(server)
    writer.write(
        f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode()
    )
    status, body = await _last_response(reader)
    assert status == 413
    assert json.loads(body)["__type"].endswith("#RequestEntityTooLarge")
    assert endpoint.calls == []
    writer.close()


async def test_a_chunked_body_growing_too_large_is_refused(
    served: tuple[DynamoDBServer, _Endpoint],
) -> None:
    server, endpoint = served
    reader, writer = await _connect(server)
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"x" * (1024 * 1024)
    for _ in range(MAX_BODY_BYTES // len(chunk) + 1):
        writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    status, _, _ = await _response(reader)
    assert status == 413
    assert endpoint.calls == []
    writer.close()


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"NOT HTTP AT ALL\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nX-Big: " + b"a" * MAX_HEAD_BYTES + b"\r\n\r\n", 431),
    ],
)
async def test_a_malformed_request_is_refused_and_the_connection_closed(
    served: tuple[DynamoDBServer, _Endpoint], raw: bytes, status: int
) -> None:
    server, endpoint = served
    reader, writer = await _connect(server)
    writer.write(raw)
    answered, body = await _last_response(reader)
    assert answered == status
    assert "message" in json.loads(body)
    assert endpoint.calls == []
    writer.close()


async def test_a_request_for_an_upgrade_is_answered_plainly_then_closed(
    served: tuple[DynamoDBServer, _Endpoint],
) -> None:
    server, _ = served
    reader, writer = await _connect(server)
    writer.write(
        b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello"
    )
    assert await _last_response(reader) == (200, b"healthy: test ")
    writer.close()


async def test_answers_due_come_before_a_refusal(
    served: tuple[DynamoDBServer, _Endpoint],
) -> None:
    server, endpoint = served

    async def late(path: bytes, body: bytes) -> tuple[int, bytes]:
        await asyncio.sleep(0.05)
        return 200, body

    endpoint.script = late
    reader, writer = await _connect(server)
    writer.write(_post(b"first") + b"GARBAGE\r\n\r\n")
    assert (await _response(reader))[:3:2] == (200, b"first")
    assert (await _last_response(reader))[0] == 400
    writer.close()


async def test_an_idle_connection_is_closed_after_the_keep_alive_time() -> None:
    async with _serving(keep_alive_seconds=0.2) as (server, _):
        reader, writer = await _connect(server)
        writer.write(_post(b"{}"))
        assert (await _response(reader))[0] == 200
        assert await _closed(reader)
        writer.close()


def _hold_calls(endpoint: _Endpoint, answer: bytes) -> asyncio.Event:
    """Calls wait for the returned event, then answer ``answer``."""
    release = asyncio.Event()

    async def held(path: bytes, body: bytes) -> tuple[int, bytes]:
        await release.wait()
        return 200, answer

    endpoint.script = held
    return release


async def _call_in_progress(writer: asyncio.StreamWriter, endpoint: _Endpoint) -> None:
    """Send a call and return once the endpoint has it."""
    endpoint.called.clear()
    writer.write(_post(b"{}"))
    await asyncio.wait_for(endpoint.called.wait(), 5)


async def test_shutdown_lets_a_call_in_progress_finish_and_stops_listening() -> None:
    async with _serving() as (server, endpoint):
        release = _hold_calls(endpoint, answer=b"done")
        busy_reader, busy_writer = await _connect(server)
        idle_reader, idle_writer = await _connect(server)
        await _call_in_progress(busy_writer, endpoint)
        stopping = asyncio.create_task(server.shutdown(grace_seconds=10))
        assert await _closed(idle_reader)  # an idle connection goes at once
        with pytest.raises(ConnectionRefusedError):
            await _connect(server)
        assert not stopping.done()
        release.set()
        status, headers, body = await _response(busy_reader)
        assert (status, body, headers["connection"]) == (200, b"done", "close")
        await asyncio.wait_for(stopping, 5)
        busy_writer.close()
        idle_writer.close()


async def test_a_forced_shutdown_does_not_wait() -> None:
    async with _serving() as (server, endpoint):
        _hold_calls(endpoint, answer=b"")  # never released
        reader, writer = await _connect(server)
        await _call_in_progress(writer, endpoint)
        await asyncio.wait_for(server.shutdown(force=True), 5)
        assert await _closed(reader)
        writer.close()


async def test_an_endpoint_bug_closes_the_connection_and_is_logged(
    served: tuple[DynamoDBServer, _Endpoint], caplog: pytest.LogCaptureFixture
) -> None:
    server, endpoint = served

    async def broken(path: bytes, body: bytes) -> tuple[int, bytes]:
        raise RuntimeError("a bug")

    endpoint.script = broken
    reader, writer = await _connect(server)
    writer.write(_post(b"{}"))
    assert await _closed(reader)
    assert "the DynamoDB endpoint failed" in caplog.text
    writer.close()


async def test_a_call_that_suspends_is_finished_by_a_task() -> None:
    order: list[str] = []
    future: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def call() -> None:
        order.append("started")
        await asyncio.sleep(0)  # a bare yield to the loop
        order.append(await future)

    task = _run_eagerly(call())
    assert order == ["started"]  # ran at once, up to its first suspension
    assert task is not None
    future.set_result("resumed")
    await asyncio.wait_for(task, 5)
    assert order == ["started", "resumed"]


async def test_a_call_that_never_suspends_needs_no_task() -> None:
    done: list[bool] = []

    async def call() -> None:
        done.append(True)

    assert _run_eagerly(call()) is None
    assert done == [True]


async def test_cancelling_the_task_reaches_the_suspended_call() -> None:
    seen: list[str] = []

    async def call() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    task = _run_eagerly(call())
    assert task is not None
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cancelled"]
