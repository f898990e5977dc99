"""JSON bodies: orjson's speed, the json module's reach."""

from __future__ import annotations

import json

from baas.json_bodies import JsonBody, dumps


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
