"""Messages between a worker and its function processes, and what each side may decode.

A message is a 4-byte big-endian length followed by a pickle, over a Unix socket pair.

The two directions are not equal. A function process trusts its worker and unpickles
what it sends as it is. The worker does **not** trust a function process: it runs the
app's code, under limits precisely because that code may misbehave, and a pickle can
name any callable to run on loading. So the worker decodes with :func:`load_untrusted`,
an unpickler that builds only plain data — None, booleans, numbers, strings, bytes,
lists, tuples, dicts, sets, Decimals — and the few baas dataclasses a store or mail
request carries (threat: a function forging a message that runs code in the worker,
which holds every secret and the whole store).
"""

from __future__ import annotations

import decimal
import io
import pickle
import struct
from typing import Any

from functions.services import OutgoingEmail
from storage import TransactConditionCheck, TransactDelete, TransactPut, TransactUpdate

__all__ = [
    "HEADER",
    "MAX_MESSAGE_BYTES",
    "FrameSplitter",
    "ProtocolError",
    "check_plain",
    "encode",
    "load_untrusted",
]

HEADER = struct.Struct(">I")
# Above the largest legitimate message: a 100-item transaction of 400 KB items.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024

_PLAIN_CLASSES: dict[tuple[str, str], type] = {
    ("decimal", "Decimal"): decimal.Decimal,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "bytearray"): bytearray,
    **{
        (cls.__module__, cls.__qualname__): cls
        for cls in (
            TransactPut,
            TransactUpdate,
            TransactDelete,
            TransactConditionCheck,
            OutgoingEmail,
        )
    },
}

_SCALARS = frozenset({type(None), bool, int, float, str, bytes, bytearray, decimal.Decimal})
_CONTAINERS = frozenset({list, tuple, set, frozenset})
_DATACLASSES = frozenset(cls for cls in _PLAIN_CLASSES.values() if cls not in _SCALARS)
_MAX_DEPTH = 64


class ProtocolError(Exception):
    """A message that breaks the protocol: the sending process is ended."""


def encode(message: object) -> bytes:
    """``message`` as one frame, ready to write."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


class _PlainDataUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        cls = _PLAIN_CLASSES.get((module, name))
        if cls is None:
            raise ProtocolError(f"{module}.{name} may not be sent by a function process")
        return cls

    def persistent_load(self, pid: Any) -> Any:
        raise ProtocolError("persistent ids may not be sent by a function process")


def check_plain(value: object, depth: int = 0) -> None:
    """TypeError unless ``value`` is data the worker accepts from a function process.

    A function process checks what it sends, so that a store argument the worker would
    refuse (a datetime, an object) fails the function's own call with a clear message
    instead of ending its process.
    """
    kind = type(value)
    if kind in _SCALARS:
        return
    if depth >= _MAX_DEPTH:
        raise TypeError("a value nested too deeply to send to the worker")
    if kind in _CONTAINERS:
        for element in value:  # type: ignore[attr-defined]
            check_plain(element, depth + 1)
    elif kind is dict:
        for key, element in value.items():  # type: ignore[attr-defined]
            check_plain(key, depth + 1)
            check_plain(element, depth + 1)
    elif kind in _DATACLASSES:
        check_plain(vars(value), depth + 1)
    else:
        raise TypeError(
            f"a {kind.__name__} cannot be sent to the worker: use plain data "
            "(None, bool, numbers, str, bytes, lists, tuples, dicts, sets, Decimal)"
        )


def load_untrusted(data: bytes) -> Any:
    """Decode a message from a function process: plain data only, or ProtocolError."""
    try:
        return _PlainDataUnpickler(io.BytesIO(data)).load()
    except ProtocolError:
        raise
    except Exception as exc:  # noqa: BLE001 - any malformed pickle: truncated or forged
        raise ProtocolError(f"undecodable message ({type(exc).__name__})") from None


class FrameSplitter:
    """Cuts a byte stream into messages (the worker's side reads with asyncio)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """The complete messages ``data`` finished (ProtocolError on an oversized one)."""
        self._buffer += data
        messages: list[bytes] = []
        while len(self._buffer) >= HEADER.size:
            (size,) = HEADER.unpack_from(self._buffer)
            if size > MAX_MESSAGE_BYTES:
                raise ProtocolError(f"a message of {size} bytes is above the limit")
            end = HEADER.size + size
            if len(self._buffer) < end:
                break
            messages.append(bytes(self._buffer[HEADER.size : end]))
            del self._buffer[:end]
        return messages
