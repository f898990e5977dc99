"""The one body reader: it stops at the limit, declared or not, and knows a hang-up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.types import Message, Scope

from baas.errors import BodyTooLargeError, ClientDisconnectedError
from baas.request_bodies import BodyBuffer, read_body


def _scope(*headers: tuple[bytes, bytes]) -> Scope:
    return {"type": "http", "headers": list(headers)}


class _Client:
    """Hands over ``messages`` one by one and counts how many were read."""

    def __init__(self, messages: list[Message]) -> None:
        self._messages: Iterator[Message] = iter(messages)
        self.read = 0

    async def receive(self) -> Message:
        self.read += 1
        return next(self._messages)


def _chunks(count: int, size: int) -> list[Message]:
    return [
        {"type": "http.request", "body": b"x" * size, "more_body": i < count - 1}
        for i in range(count)
    ]


async def test_a_body_within_the_limit_is_read_whole() -> None:
    client = _Client(_chunks(3, 10))
    assert await read_body(_scope(), client.receive, 30) == b"x" * 30


async def test_a_declared_length_past_the_limit_is_refused_before_reading() -> None:
    client = _Client(_chunks(1, 10))
    with pytest.raises(BodyTooLargeError) as refused:
        await read_body(_scope((b"content-length", b"31")), client.receive, 30)
    assert client.read == 0
    assert refused.value.code == "payload_too_large"


async def test_a_chunked_body_stops_being_read_at_the_first_chunk_past_the_limit() -> None:
    client = _Client(_chunks(1000, 10))  # 10 kB offered, undeclared
    with pytest.raises(BodyTooLargeError):
        await read_body(_scope(), client.receive, 25)
    assert client.read == 3


async def test_a_client_gone_mid_body_is_a_disconnect() -> None:
    client = _Client([*_chunks(2, 10)[:1], {"type": "http.disconnect"}])
    with pytest.raises(ClientDisconnectedError):
        await read_body(_scope(), client.receive, 100)


def test_the_buffer_keeps_nothing_of_a_refused_body() -> None:
    buffer = BodyBuffer(10)
    buffer.add(b"12345")
    with pytest.raises(BodyTooLargeError):
        buffer.add(b"123456")
    assert buffer.take() == b""
