"""Hypothesis strategies for what a hostile or careless client sends to the API.

Values that broke the API before are always in the mix: JSON nested past every parser's
limit, strings with a lone surrogate, numbers beyond 64 bits, bytes that are not UTF-8,
control characters, huge and negative sizes.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

NASTY_STRINGS = (
    "",
    "\x00",
    "line\nbreak",
    "\u202e",
    "é" * 300,
    "💥",
    "%0a%0d",
    "' OR 1=1 --",
    "${jndi:ldap://x}",
    "a" * 5000,
    "1e400",
    "-0",
    "NaN",
    "#name",
    ":value",
    "__proto__",
)
NASTY_NUMBERS = (0, -1, 2**31, 2**63, 2**64 + 1, 10**40, -(10**40))


def deep(depth: int, *, kind: str = "[") -> bytes:
    """A JSON document nested ``depth`` levels deep."""
    if kind == "[":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


# Lone surrogates are not among them: a body holding one is refused whole, so they would
# hide the rest; bodies with one in each place that once failed are in raw_bodies.
texts = st.one_of(st.sampled_from(NASTY_STRINGS), st.text(max_size=40))
numbers = st.one_of(st.sampled_from(NASTY_NUMBERS), st.integers(), st.floats(allow_nan=False))
json_leaves = st.one_of(st.none(), st.booleans(), numbers, texts)
json_values = st.recursive(
    json_leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(texts, children, max_size=4)
    ),
    max_leaves=12,
)


def encode(value: Any) -> bytes:
    """JSON text for ``value`` (ASCII escapes, so a lone surrogate survives as ``\\ud800``)."""
    return json.dumps(value).encode()


def json_object_with(fields: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with some of the ``fields`` a route reads, holding anything."""
    return st.dictionaries(fields, json_values, max_size=5)


raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            deep(1100),
            deep(1100, kind="{"),
            deep(100_000),
            b"\xff\xfe",
            b'{"a": NaN}',
            b"[]",
            b'{"email": "a\\ud800@example.com", "password": "correct horse battery"}',
            b'{"TableName": "Fuzz", "Key": {"pk": {"S": "\\udfff"}, "sk": {"N": "1"}}}',
            b'{"query": "{ __typename }", "variables": {"a": "\\ud800"}}',
            b'{"a": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8: not UTF-8
        ]
    ),
)


def bodies(fields: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """Any body, weighted towards JSON shaped like what the route expects."""
    return st.one_of(
        raw_bodies,
        json_values.map(encode),
        json_object_with(fields).map(encode),
        json_object_with(fields).map(encode),
    )


# What an HTTP client can send in a header (it refuses leading or trailing blanks).
header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60
).map(str.strip)
content_types = (
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/x-www-form-urlencoded",
            "application/x-amz-json-1.0",
            "text/plain",
            "multipart/form-data; boundary=x",
            "application/graphql-response+json",
            "",
            "*/*",
        ]
    )
    | header_text
)
path_junk = st.sampled_from(
    ["", "/", "%00", "%0a", "%0d%0a", "%ff", "%ed%a0%80", "..%2f..%2f", "/x" * 50, "?", "%"]
) | st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20)
query_strings = st.dictionaries(
    st.sampled_from(["query", "variables", "operationName", "extensions", "code", "state", "x"])
    | header_text,
    texts | json_values.map(json.dumps),
    max_size=4,
)


@st.composite
def attribute_values(draw: st.DrawFn, depth: int = 0) -> Any:
    """DynamoDB attribute values, well-formed or not."""
    scalar = st.one_of(
        st.builds(lambda s: {"S": s}, texts),
        st.builds(lambda n: {"N": n}, texts | numbers.map(str)),
        st.builds(lambda b: {"B": b}, texts),
        st.builds(lambda b: {"BOOL": b}, json_leaves),
        st.just({"NULL": True}),
        st.builds(lambda s: {"SS": s}, st.lists(texts, max_size=3)),
        st.builds(lambda s: {"NS": s}, st.lists(numbers.map(str), max_size=3)),
        json_values,
    )
    if depth >= 2:
        return draw(scalar)
    nested = st.one_of(
        st.builds(lambda v: {"L": v}, st.lists(attribute_values(depth + 1), max_size=3)),
        st.builds(
            lambda v: {"M": v}, st.dictionaries(texts, attribute_values(depth + 1), max_size=3)
        ),
    )
    return draw(scalar | nested)


key_names = st.sampled_from(["pk", "sk", "other"]) | texts
items = st.dictionaries(key_names, attribute_values(), max_size=4)
expressions = (
    st.sampled_from(
        [
            "pk = :v",
            "pk = :v AND sk > :n",
            "attribute_exists(pk)",
            "SET #a = :v",
            "SET other = other + :n",
            "REMOVE other",
            "pk, sk, other",
            "(((((((pk = :v)))))))",
            "size(other) > :n",
        ]
    )
    | texts
)
DYNAMODB_FIELDS = (
    "TableName",
    "Key",
    "Item",
    "ExclusiveStartKey",
    "ExpressionAttributeValues",
    "ExpressionAttributeNames",
    "KeyConditionExpression",
    "ConditionExpression",
    "FilterExpression",
    "UpdateExpression",
    "ProjectionExpression",
    "Limit",
    "Segment",
    "TotalSegments",
    "RequestItems",
    "TransactItems",
    "ReturnValues",
    "ClientRequestToken",
    "IndexName",
    "Select",
)


def _mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` three times in four. (one_of drops a strategy given twice: hence the maps.)"""
    return st.one_of(*(good.map(_same) for _ in range(3)), bad)


def _same(value: Any) -> Any:
    return value


key_texts = _mostly(st.sampled_from(["a", "b", "c"]), texts)
key_numbers = _mostly(st.sampled_from(["1", "2", "-3.5"]), texts | numbers.map(str))
good_keys = st.fixed_dictionaries(
    {
        "pk": st.builds(lambda s: {"S": s}, key_texts),
        "sk": st.builds(lambda n: {"N": n}, key_numbers),
    }
)
keys = _mostly(good_keys, items | json_values)
full_items = _mostly(st.builds(lambda key, rest: {**rest, **key}, good_keys, items), items)
values = st.dictionaries(
    _mostly(st.sampled_from([":v", ":n"]), texts), _mostly(attribute_values(), json_values)
)
names = st.dictionaries(_mostly(st.just("#a"), texts), _mostly(key_names, json_values), max_size=2)


def _table(table: str) -> st.SearchStrategy[Any]:
    return _mostly(st.just(table), texts | json_values)


def _request(table: str, **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"TableName": _table(table)},
        optional={
            "ExpressionAttributeValues": values,
            "ExpressionAttributeNames": names,
            "ReturnValues": st.sampled_from(["ALL_OLD", "ALL_NEW", "NONE"]) | texts,
            "ConditionExpression": _mostly(expressions, json_values),
            **fields,
        },
    )


def operation_inputs(table: str) -> dict[str, st.SearchStrategy[dict[str, Any]]]:
    """Per operation, its input with the fields it needs, good values and bad."""
    item_requests = st.lists(
        st.one_of(
            st.builds(lambda item: {"PutRequest": {"Item": item}}, full_items),
            st.builds(lambda key: {"DeleteRequest": {"Key": key}}, keys),
            json_values,
        ),
        max_size=3,
    )
    transact_items = st.lists(
        st.one_of(
            st.builds(lambda r: {"Put": r}, _request(table, Item=full_items)),
            st.builds(lambda r: {"Delete": r}, _request(table, Key=keys)),
            st.builds(
                lambda r: {"Update": r}, _request(table, Key=keys, UpdateExpression=expressions)
            ),
            st.builds(lambda r: {"ConditionCheck": r}, _request(table, Key=keys)),
            st.builds(lambda r: {"Get": r}, _request(table, Key=keys)),
            json_values,
        ),
        max_size=3,
    )
    page = {
        "ExclusiveStartKey": keys,
        "Limit": numbers,
        "FilterExpression": expressions,
        "ProjectionExpression": expressions,
        "IndexName": texts,
        "Select": st.sampled_from(["COUNT", "ALL_ATTRIBUTES", "SPECIFIC_ATTRIBUTES"]) | texts,
    }
    return {
        "GetItem": _request(table, Key=keys, ProjectionExpression=expressions),
        "DeleteItem": _request(table, Key=keys),
        "PutItem": _request(table, Item=full_items),
        "UpdateItem": _request(table, Key=keys, UpdateExpression=expressions),
        "Query": _request(table, KeyConditionExpression=expressions, **page),
        "Scan": _request(table, Segment=numbers, TotalSegments=numbers, **page),
        "BatchGetItem": st.fixed_dictionaries(
            {
                "RequestItems": st.dictionaries(
                    _mostly(st.just(table), texts),
                    st.builds(lambda k: {"Keys": k}, st.lists(keys, max_size=3)) | json_values,
                    max_size=2,
                )
            }
        ),
        "BatchWriteItem": st.fixed_dictionaries(
            {
                "RequestItems": st.dictionaries(
                    _mostly(st.just(table), texts), item_requests | json_values, max_size=2
                )
            }
        ),
        "TransactWriteItems": st.fixed_dictionaries(
            {"TransactItems": transact_items}, optional={"ClientRequestToken": texts}
        ),
        "TransactGetItems": st.fixed_dictionaries({"TransactItems": transact_items}),
    }


@st.composite
def dynamodb_inputs(draw: st.DrawFn, operation: str, table: str) -> dict[str, Any]:
    """An operation's input: its fields, good values and bad, and a few stray ones."""
    shaped = operation_inputs(table).get(operation.rsplit(".", 1)[-1])
    body: dict[str, Any] = (
        draw(shaped) if shaped is not None else {"TableName": draw(_table(table))}
    )
    for field in draw(st.lists(st.sampled_from(DYNAMODB_FIELDS), max_size=2, unique=True)):
        body[field] = draw(json_values)
    return body


GRAPHQL_OPERATIONS = (
    "{ __typename }",
    "query($board: String!, $id: String!) { getNote(board: $board, id: $id) { title } }",
    (
        "query($board: String!, $limit: Int, $next: String, $filter: NoteFilterInput) "
        "{ notesByBoard(board: $board, limit: $limit, nextToken: $next, filter: $filter) "
        "{ items { id title rank tags } nextToken } }"
    ),
    "mutation($input: CreateNoteInput!) { createNote(input: $input) { id title } }",
    (
        "mutation($input: UpdateNoteInput!, $v: Int, $c: NoteFilterInput) "
        "{ updateNote(input: $input, expectedVersion: $v, condition: $c) { title } }"
    ),
    "mutation($key: NoteKeyInput!) { deleteNote(key: $key) { title } }",
    "mutation($items: [TransactItemInput!]!) { transact(items: $items) { __typename } }",
    "mutation($input: CreateBoardInput!) { createBoard(input: $input) { id name } }",
    "subscription { onCreateNote { id } }",
    "{ " + "a: __typename " * 200 + "}",
    "{" * 500 + "}" * 500,
    'query { getNote(board: "\\ud800", id: "x") { title } }',
)
graphql_queries = _mostly(st.sampled_from(GRAPHQL_OPERATIONS), texts)
note_fields = _mostly(
    st.fixed_dictionaries(
        {"board": key_texts, "title": texts},
        optional={
            "id": key_texts,
            "done": json_leaves,
            "rank": numbers,
            "tags": st.lists(texts, max_size=3) | json_values,
        },
    ),
    st.dictionaries(
        st.sampled_from(["board", "id", "title", "done", "rank", "tags", "owner", "version"])
        | texts,
        json_values,
        max_size=5,
    ),
)
graphql_variables = _mostly(
    st.fixed_dictionaries(
        {},
        optional={
            "input": note_fields,
            "board": key_texts,
            "id": key_texts,
            "limit": numbers,
            "next": texts,
            "filter": json_values,
            "key": st.fixed_dictionaries({"board": key_texts, "id": key_texts}) | json_values,
            "items": st.lists(
                st.dictionaries(
                    st.sampled_from(["createNote", "updateNote", "deleteNote", "createBoard"]),
                    st.builds(lambda i: {"input": i}, note_fields) | json_values,
                    max_size=1,
                ),
                max_size=3,
            ),
            "v": numbers,
        },
    ),
    json_values,
)
graphql_bodies = _mostly(
    st.fixed_dictionaries(
        {"query": graphql_queries},
        optional={"variables": graphql_variables, "operationName": texts | json_values},
    ).map(encode),
    bodies(st.sampled_from(["query", "variables", "operationName", "extensions"])),
)
ws_messages = st.one_of(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["connection_init", "subscribe", "complete", "ping", "pong"])},
        optional={
            "id": texts | json_values,
            "payload": st.one_of(
                json_values,
                st.fixed_dictionaries(
                    {"query": graphql_queries}, optional={"variables": graphql_variables}
                ),
                st.fixed_dictionaries({"authorization": texts, "token": texts}),
            ),
        },
    ).map(json.dumps),
    json_values.map(json.dumps),
    texts,
)
