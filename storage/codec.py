"""Lossless, fast serialisation of items to bytes for storage.

Decoding runs on every read, so the format is plain JSON that the C decoder turns
into Python values directly: numbers are written as JSON numbers and decoded as
``Decimal`` (exact), strings, booleans, null, lists and maps are native. Only
binary values and sets have no JSON counterpart; an item holding any of them is
written in a *tagged* variant where such a value is a one-key object
``{"\\u0000B": base64}`` (``\\u0000SS``, ``\\u0000NS``, ``\\u0000BS`` for sets) and
decoded with an object hook. The first byte says which variant follows, so the
common item pays nothing for the rare one. Pickle is never used: a database file
must not be able to run code.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

from storage.values import Item, Value

__all__ = ["decode_item", "encode_item"]

_PLAIN = b"J"
_TAGGED = b"T"
_TAG = "\x00"
_decoder = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal)


class _NeedsTagsError(Exception):
    """Raised while writing the plain variant when a value needs the tagged one."""


def encode_item(item: Item) -> bytes:
    """Serialise a (validated) item."""
    parts: list[str] = []
    try:
        _write(item, parts, tagged=False)
        return _PLAIN + "".join(parts).encode()
    except _NeedsTagsError:
        parts.clear()
        _write(item, parts, tagged=True)
        return _TAGGED + "".join(parts).encode()


def decode_item(data: bytes) -> Item:
    """The inverse of :func:`encode_item`."""
    text = data[1:].decode()
    if data[:1] == _PLAIN:
        # raw_decode skips decode()'s whitespace handling: the text is our own.
        result: Item = _decoder.raw_decode(text)[0]
        return result
    tagged: Item = json.loads(text, parse_float=Decimal, parse_int=Decimal, object_hook=_untag)
    return tagged


def _write(value: Value, parts: list[str], *, tagged: bool) -> None:
    if isinstance(value, str):
        parts.append(encode_basestring(value))
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif value is None:
        parts.append("null")
    elif isinstance(value, Decimal):
        parts.append(str(value))
    elif isinstance(value, list):
        parts.append("[")
        for index, element in enumerate(value):
            if index:
                parts.append(",")
            _write(element, parts, tagged=tagged)
        parts.append("]")
    elif isinstance(value, dict):
        parts.append("{")
        for index, (name, element) in enumerate(value.items()):
            if index:
                parts.append(",")
            if name.startswith(_TAG):
                if not tagged:
                    raise _NeedsTagsError
                name = _TAG + name  # escaped so it cannot be taken for a tag
            parts.append(encode_basestring(name))
            parts.append(":")
            _write(element, parts, tagged=tagged)
        parts.append("}")
    elif not tagged:
        raise _NeedsTagsError
    else:
        parts.append(json.dumps(_tag(value)))


def _tag(value: Value) -> dict[str, Any]:
    if isinstance(value, bytes):
        return {_TAG + "B": base64.b64encode(value).decode("ascii")}
    elements: list[Any] = list(value)  # type: ignore[arg-type]
    first = elements[0]
    if isinstance(first, str):
        return {_TAG + "SS": elements}
    if isinstance(first, bytes):
        return {_TAG + "BS": [base64.b64encode(e).decode("ascii") for e in elements]}
    return {_TAG + "NS": [str(e) for e in elements]}


def _untag(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        ((name, raw),) = obj.items()
        if name == _TAG + "B":
            return base64.b64decode(raw)
        if name == _TAG + "SS":
            return set(raw)
        if name == _TAG + "NS":
            return {Decimal(text) for text in raw}
        if name == _TAG + "BS":
            return {base64.b64decode(text) for text in raw}
    if any(name.startswith(_TAG) for name in obj):
        return {(name[1:] if name.startswith(_TAG) else name): v for name, v in obj.items()}
    return obj
