"""JSON bodies, read and written with orjson.

orjson writes a page of items some twenty times faster than the ``json`` module, and
reads a request several times faster. What it refuses to read (``NaN``, ``Infinity``)
goes through the ``json`` module instead and reads as it always did.

Two things are refused by :func:`loads` whatever the module (a ValueError, which every
route answers with its 400): a document nested deeper than :data:`MAX_DEPTH` (orjson's
own limit; the ``json`` module would recurse until Python's recursion limit and fail
with a RecursionError) and a string holding a lone surrogate (``"\\ud800"``), which is
not Unicode text: it has no UTF-8 form, so no key, value or email address can hold it
(RFC 8259 §8.2 leaves such strings' meaning unpredictable).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from starlette.responses import JSONResponse

__all__ = ["MAX_DEPTH", "JsonBody", "dumps", "loads"]

# orjson refuses deeper documents; the fallback must not accept what it refused.
MAX_DEPTH = 1024
# In a str decoded from JSON, a surrogate code point is always a lone one: a valid
# pair ("\\ud83d\\ude00") decodes to a single character outside the BMP.
_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(body: Any) -> bytes:
    """``body`` as compact JSON bytes."""
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError:
        # ASCII escapes: a lone surrogate has no UTF-8 form, but "\\ud800" is valid JSON.
        return json.dumps(body, separators=(",", ":")).encode()


def loads(body: bytes | str) -> Any:
    """The value of a JSON document; ValueError when it is not one (see the module)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if str(exc).startswith("depth limit exceeded"):
            raise ValueError(f"The JSON document is nested deeper than {MAX_DEPTH}.") from None
    try:
        value = json.loads(body)
    except RecursionError:  # a message orjson may word differently some day
        raise ValueError(f"The JSON document is nested deeper than {MAX_DEPTH}.") from None
    if _has_lone_surrogate(value):
        raise ValueError("A JSON string holds a lone surrogate: it is not Unicode text.")
    return value


def _has_lone_surrogate(value: Any) -> bool:
    # A loop, not recursion: the document may be nested nearly as deep as the json
    # module's own recursion allowed.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


class JsonBody(JSONResponse):
    """Starlette's JSONResponse, rendered by :func:`dumps`."""

    def render(self, content: Any) -> bytes:
        return dumps(content)
