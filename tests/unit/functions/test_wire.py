"""What a worker accepts from a function process: plain data, never code to run."""

from __future__ import annotations

import os
import pickle
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from functions.services import OutgoingEmail
from functions.wire import (
    HEADER,
    MAX_MESSAGE_BYTES,
    FrameSplitter,
    ProtocolError,
    check_plain,
    encode,
    load_untrusted,
)
from storage import TransactPut

PLAIN = (
    "request",
    7,
    "store",
    "transact_write",
    ([TransactPut("boards", {"id": "b1", "n": Decimal("1.5"), "tags": {"a", "b"}})],),
    {"client_request_token": None, "blob": b"\x00", "mail": OutgoingEmail("a@b.c", "s", "t")},
)


def test_plain_data_and_the_store_and_mail_dataclasses_round_trip() -> None:
    assert load_untrusted(pickle.dumps(PLAIN)) == PLAIN
    check_plain(PLAIN)


class _Exploit:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo owned",))


@pytest.mark.parametrize(
    "forged",
    [
        pickle.dumps(_Exploit()),
        pickle.dumps(("log", datetime.now(UTC))),
        b"\x80\x05\x95\x05",  # truncated
        b"not a pickle",
    ],
)
def test_anything_else_is_refused_without_running_it(forged: bytes) -> None:
    with pytest.raises(ProtocolError):
        load_untrusted(forged)


@pytest.mark.parametrize(
    "value", [datetime.now(UTC), object(), {"k": [1, {2: frozenset({object()})}]}]
)
def test_a_function_is_told_what_it_cannot_send(value: object) -> None:
    with pytest.raises(TypeError, match="cannot be sent to the worker"):
        check_plain(("request", 1, "store", "put_item", (value,), {}))


def test_a_value_nested_too_deeply_is_refused() -> None:
    nested: list[object] = []
    for _ in range(100):
        nested = [nested]
    with pytest.raises(TypeError, match="nested too deeply"):
        check_plain(nested)


def test_frames_are_cut_from_a_stream_in_any_pieces() -> None:
    stream = encode(("a", 1)) + encode(("b", b"x" * 1000))
    splitter = FrameSplitter()
    frames = [
        frame for byte in range(len(stream)) for frame in splitter.feed(stream[byte : byte + 1])
    ]
    assert [load_untrusted(frame) for frame in frames] == [("a", 1), ("b", b"x" * 1000)]


def test_an_oversized_frame_is_refused_before_it_is_read() -> None:
    with pytest.raises(ProtocolError):
        FrameSplitter().feed(HEADER.pack(MAX_MESSAGE_BYTES + 1))
