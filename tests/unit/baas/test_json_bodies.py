"""JSON bodies: orjson's speed, the json module's reach."""

from __future__ import annotations

import json

import pytest

from baas.json_bodies import JsonBody, dumps, loads


def test_a_body_is_compact_utf8_json() -> None:
    body = {"data": {"title": "Zoë's board", "done": False, "n": 3, "tags": ["a"]}}
    assert (
        dumps(body) == b'{"data":{"title":"Zo\xc3\xab\'s board","done":false,"n":3,"tags":["a"]}}'
    )


def test_what_orjson_refuses_is_written_by_the_json_module() -> None:
    lone_surrogate = {"s": "\ud800"}
    huge = {"n": 2**70}
    assert json.loads(dumps(lone_surrogate)) == lone_surrogate
    assert json.loads(dumps(huge)) == huge


def test_the_response_class_renders_with_it() -> None:
    response = JsonBody({"data": None}, media_type="application/graphql-response+json")
    assert response.body == b'{"data":null}'
    assert response.headers["content-type"] == "application/graphql-response+json"


@pytest.mark.parametrize(
    "document",
    [
        b"[" * 1100 + b"]" * 1100,
        b'{"a":' * 1100 + b"1" + b"}" * 1100,
        # Past orjson's limit, through the fallback (NaN sends it there).
        b"[" * 1100 + b"NaN" + b"]" * 1100,
    ],
)
def test_a_document_nested_too_deep_is_a_value_error_not_a_recursion_error(
    document: bytes,
) -> None:
    with pytest.raises(ValueError, match="nested deeper than 1024"):
        loads(document)


@pytest.mark.parametrize(
    "document",
    [
        b'{"email": "a\\ud800@example.com"}',
        b'["ok", {"k\\udfff": 1}]',
        b'"\xed\xa0\x80"',  # the surrogate as (invalid) UTF-8 bytes
        b'{"n": NaN, "s": "\\ud800"}',
    ],
)
def test_a_lone_surrogate_is_refused(document: bytes) -> None:
    with pytest.raises(ValueError, match="lone surrogate"):
        loads(document)


def test_what_orjson_refuses_but_json_reads_still_reads() -> None:
    read = loads(b'{"n": NaN, "emoji": "\\ud83d\\ude00"}')
    assert read["n"] != read["n"]  # NaN
    assert read["emoji"] == "😀"
    nested = loads(b"[" * 1000 + b"]" * 1000)  # within the limit: read as it is
    depth = 0
    while nested:
        nested, depth = nested[0], depth + 1
    assert depth == 999
