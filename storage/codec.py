"""Lossless, fast serialisation of items to bytes for storage.

Decoding runs on every read, so the format is plain JSON that the C decoder turns
into Python values directly: numbers are written as JSON numbers and decoded as
``Decimal`` (exact), strings, booleans, null, lists and maps are native. Only
binary values and sets have no JSON counterpart; an item holding any of them is
written in a *tagged* variant where such a value is a one-key object
``{"\\u0000B": base64}`` (``\\u0000SS``, ``\\u0000NS``, ``\\u0000BS`` for sets) and
decoded with an object hook. The first byte says which variant follows, so the
common item pays nothing for the rare one. Pickle is never used: a database file
must not be able to run code. orjson writes the text (a pure-Python writer remains for
the rare item with a name starting with NUL, which must be escaped).
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

import orjson

from storage.values import Item, Value

__all__ = ["decode_item", "encode_item"]

_PLAIN = b"J"
_TAGGED = b"T"
_TAG = "\x00"
_decoder = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal)


def encode_item(item: Item) -> bytes:
    """Serialise a (validated) item."""
    # orjson writes the item, and asks back only for what JSON lacks: a number is written
    # as its exact text, a binary value or a set as its tag object. Names starting with
    # NUL must be escaped, which orjson cannot do: every "\u0000 in its output must be
    # one of the tags it asked for, or the item is written by _write instead.
    made = 0

    def fill_in(value: Any) -> Any:
        nonlocal made
        if isinstance(value, Decimal):
            return orjson.Fragment(str(value))
        made += 1
        return _tag_object(value)

    try:
        data = orjson.dumps(item, default=fill_in)
    except orjson.JSONEncodeError:
        data = None
    if data is not None and data.count(b'"\\u0000') == made:
        return (_TAGGED if made else _PLAIN) + data
    parts: list[str] = []
    # One pass: the tagged variant writes a plain item exactly as the plain one would.
    tagged = _write(item, parts)
    return (_TAGGED if tagged else _PLAIN) + "".join(parts).encode()


def decode_item(data: bytes) -> Item:
    """The inverse of :func:`encode_item`."""
    text = data[1:].decode()
    # raw_decode skips decode()'s whitespace handling: the text is our own.
    if data[:1] == _PLAIN:
        result: Item = _decoder.raw_decode(text)[0]
        return result
    tagged: Item = _tagged_decoder.raw_decode(text)[0]
    return tagged


def _write(value: Value, parts: list[str]) -> bool:
    """Append ``value``'s text to ``parts``; whether it needed the tagged variant."""
    if isinstance(value, str):
        parts.append(encode_basestring(value))
    elif isinstance(value, Decimal):
        parts.append(str(value))
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif value is None:
        parts.append("null")
    elif isinstance(value, dict):
        return _write_map(value, parts)
    elif isinstance(value, list):
        tagged = False
        separator = "["
        for element in value:
            parts.append(separator)
            tagged |= _write(element, parts)
            separator = ","
        parts.append("]" if value else "[]")
        return tagged
    else:
        parts.append(orjson.dumps(_tag_object(value)).decode())
        return True
    return False


def _write_map(value: dict[str, Value], parts: list[str]) -> bool:
    tagged = False
    separator = "{"
    for name, element in value.items():
        if name.startswith(_TAG):
            name = _TAG + name  # escaped so it cannot be taken for a tag
            tagged = True
        # Strings and numbers, most values, are written here without a call.
        if isinstance(element, str):
            parts.append(f"{separator}{encode_basestring(name)}:{encode_basestring(element)}")
        elif isinstance(element, Decimal):
            parts.append(f"{separator}{encode_basestring(name)}:{element}")
        else:
            parts.append(f"{separator}{encode_basestring(name)}:")
            tagged |= _write(element, parts)
        separator = ","
    parts.append("}" if value else "{}")
    return tagged


def _tag_object(value: Any) -> dict[str, Any]:
    """The tagged object standing for a binary value or a set."""
    if isinstance(value, bytes):
        return {_TAG + "B": base64.b64encode(value).decode("ascii")}
    elements: list[Any] = list(value)
    first = elements[0]
    if isinstance(first, str):
        return {_TAG + "SS": elements}
    if isinstance(first, bytes):
        return {_TAG + "BS": [base64.b64encode(e).decode("ascii") for e in elements]}
    if isinstance(first, Decimal):
        return {_TAG + "NS": [str(e) for e in elements]}
    raise TypeError(f"not a DynamoDB value: {type(value).__name__}")


def _untag(obj: dict[str, Any]) -> Any:
    # Called for every object decoded; most hold no tag (a name starting with NUL).
    if _TAG not in "".join(obj):
        return obj
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


# Defined after _untag, its object hook.
_tagged_decoder = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal, object_hook=_untag)
