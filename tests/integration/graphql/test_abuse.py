"""Requests meant to hurt the server each get their documented rejection.

Most run over both transports (``transport`` is ``http`` or ``websocket``): one pipeline
serves both, and these tests hold it to that. The rest are about HTTP itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.graphql.server import TRANSPORTS, Api, Transport, ask, serve_api
from tests.support import TEST_SECRET_KEY

GRAPHQL_RESPONSE = "application/graphql-response+json"


def codes(response: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json()["errors"]]


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> Transport:
    transport: Transport = request.param
    return transport


def test_a_deep_query_is_refused_before_execution(api: Api, transport: Transport) -> None:
    query = "query { viewer { " + "__typename " + "}}"
    deep = 'query { __type(name: "Note") { ' + "fields { type { " * 8 + "name" + " } }" * 8 + " } }"
    assert ask(api, transport, query).body == {"data": {"viewer": {"__typename": "Viewer"}}}
    answer = ask(api, transport, deep)
    assert answer.kind in ("http", "error")
    assert answer.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert "depth" in answer.messages
    response = api.post(deep, headers={"Accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400


def test_aliases_are_counted_after_fragment_expansion(api: Api, transport: Transport) -> None:
    # 8 aliases in the fragment, spread 5 times: 40 aliased reads from a short document.
    fragment = (
        "fragment F on Query { " + " ".join(f"a{i}: viewer {{ userId }}" for i in range(8)) + " }"
    )
    query = (
        "query { "
        + " ".join(f"x{i}: viewer {{ userId }} ...F" for i in range(5))
        + " } "
        + fragment
    )
    answer = ask(api, transport, query, token=api.token("alice"))
    assert answer.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert "aliases" in answer.messages


def test_a_huge_document_is_refused_by_its_token_count(
    api: Api, transport: Transport, caplog: pytest.LogCaptureFixture
) -> None:
    query = "query { " + "viewer { userId } " * 800 + "}"
    with caplog.at_level(logging.INFO):
        answer = ask(api, transport, query)
    assert answer.kind in ("http", "error")
    assert answer.codes == ["GRAPHQL_PARSE_FAILED"]
    # Bad input is not an incident: nothing logged with a traceback.
    assert not [record for record in caplog.records if record.exc_info]


def test_a_huge_page_size_is_refused(api: Api, transport: Transport) -> None:
    answer = ask(
        api,
        transport,
        'query { notesByBoard(board: "b", limit: 100000) { items { id } } }',
        token=api.token("alice"),
    )
    assert answer.kind in ("http", "next")
    assert answer.codes == ["VALIDATION"]
    assert "limit" in answer.messages


def test_a_batch_array_is_refused(api: Api) -> None:
    batch = [{"query": "{ viewer { userId } }"}] * 2
    response = httpx.post(api.graphql, json=batch)
    assert response.status_code == 400
    assert codes(response) == ["BATCHING_NOT_SUPPORTED"]


def test_a_mutation_over_get_is_refused(api: Api) -> None:
    mutation = 'mutation { deleteNote(key: {board: "b", id: "x"}) { id } }'
    response = httpx.get(api.graphql, params={"query": mutation})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert httpx.get(api.graphql, params={"query": "{ viewer { userId } }"}).status_code == 200


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", '{"query": "{ viewer { userId } }"}'),
        ("application/x-www-form-urlencoded", "query=%7B+viewer+%7B+userId+%7D+%7D"),
        (
            "multipart/form-data; boundary=x",
            '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ viewer { userId } }\r\n--x--',
        ),
    ],
)
def test_simple_cross_site_requests_are_refused(api: Api, content_type: str, body: str) -> None:
    response = httpx.post(api.graphql, content=body, headers={"Content-Type": content_type})
    assert response.status_code == 415
    assert codes(response) == ["UNSUPPORTED_MEDIA_TYPE"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ viewer {", "GRAPHQL_PARSE_FAILED"),
        ("query { viewer { userId } ", "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("query($b: String!) { notesByBoard(board: $b) { nextToken } }", "BAD_USER_INPUT"),
    ],
)
def test_documents_that_cannot_run_are_request_errors(
    api: Api, transport: Transport, query: str, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        answer = ask(api, transport, query)
    assert answer.kind in ("http", "error")  # over WebSocket: an error message, not a close
    assert answer.codes == [code]
    assert "data" not in answer.body
    assert not [record for record in caplog.records if record.exc_info]


def test_a_wrong_typed_variable_is_bad_user_input(api: Api, transport: Transport) -> None:
    query = "query($b: String!, $l: Int) { notesByBoard(board: $b, limit: $l) { items { id } } }"
    answer = ask(api, transport, query, {"b": "b", "l": "twenty"}, token=api.token("alice"))
    assert answer.kind in ("http", "error")
    assert answer.codes == ["BAD_USER_INPUT"]
    assert "$l" in answer.messages


def test_an_operation_name_naming_no_operation_is_refused(api: Api, transport: Transport) -> None:
    answer = ask(api, transport, "query A { viewer { userId } }", operation_name="B")
    assert answer.kind in ("http", "error")
    assert answer.codes == ["BAD_REQUEST"]
    assert answer.status in (400, None)


def test_unparsable_and_invalid_documents_follow_graphql_over_http(api: Api) -> None:
    for query, code in (
        ("{ viewer {", "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
    ):
        legacy = api.post(query)
        assert (legacy.status_code, legacy.headers["content-type"]) == (200, "application/json")
        modern = api.post(query, headers={"Accept": GRAPHQL_RESPONSE})
        assert (modern.status_code, modern.headers["content-type"]) == (400, GRAPHQL_RESPONSE)
        assert codes(modern) == [code]
        assert "data" not in modern.json()
    not_json = httpx.post(api.graphql, content="{", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert httpx.post(api.graphql, json={"query": 3}).status_code == 400
    assert (
        httpx.post(
            api.graphql, json={"query": "{ viewer { userId } }"}, headers={"Accept": "text/csv"}
        ).status_code
        == 406
    )


def test_errors_never_show_internals(api: Api, transport: Transport) -> None:
    answer = ask(
        api,
        transport,
        'query { notesByBoard(board: "b", filter: {rank: {between: [1]}}) { items { id } } }',
        token=api.token("alice"),
    )
    assert answer.codes == ["VALIDATION"]
    for leak in ("Traceback", "#n0", ":v0", "SELECT", "sqlite", ".py"):
        assert leak not in answer.text


def test_an_invalid_bearer_token_is_refused_before_graphql(api: Api) -> None:
    response = api.post("{ viewer { userId } }", token="not-a-token")
    assert response.status_code == 401


@pytest.fixture(scope="module")
def prod_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    prod = {"BAAS_ENV": "prod", "BAAS_SECRET_KEY": TEST_SECRET_KEY}
    with serve_api(tmp_path_factory.mktemp("prod"), **prod) as server:
        yield server


def test_introspection_and_graphiql_are_off_outside_dev(
    api: Api, prod_api: Api, transport: Transport
) -> None:
    introspection = "{ __schema { types { name } } }"
    assert "errors" not in ask(api, transport, introspection).body
    answer = ask(prod_api, transport, introspection)
    assert answer.kind in ("http", "error")
    assert set(answer.codes) == {"GRAPHQL_VALIDATION_FAILED"}
    response = prod_api.post(introspection, headers={"Accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    browser = {"Accept": "text/html"}
    assert "graphiql" in httpx.get(api.graphql, headers=browser).text.lower()
    assert "graphiql" not in httpx.get(prod_api.graphql, headers=browser).text.lower()


# Each names something of the schema by a near miss, in the document or in variables:
# a field, an argument, an input field, an enum value, a type.
NEAR_MISSES = [
    ("{ viewr { userId } }", None),
    ('{ getNote(bord: "b", id: "x") { id } }', None),
    ('mutation { createNote(input: {board: "b", titel: "t"}) { id } }', None),
    ('{ notesByBoard(board: "b", sortDirection: ASCC) { nextToken } }', None),
    ("query($f: NoteFilterInpt) { listNotes(filter: $f) { nextToken } }", None),
    (
        "mutation($i: CreateNoteInput!) { createNote(input: $i) { id } }",
        {"i": {"board": "b", "titel": "t"}},
    ),
    (
        'query($d: SortDirection) { notesByBoard(board: "b", sortDirection: $d) { nextToken } }',
        {"d": "ASCC"},
    ),
]


@pytest.mark.parametrize(("query", "variables"), NEAR_MISSES)
def test_no_suggestion_names_the_schema_outside_dev(
    api: Api,
    prod_api: Api,
    transport: Transport,
    query: str,
    variables: dict[str, object] | None,
) -> None:
    # In dev the hint helps (and shows the near miss is one); in prod it would spell
    # out names introspection keeps to itself.
    token = "alice"
    dev = ask(api, transport, query, variables, token=api.token(token))
    assert "Did you mean" in dev.messages
    prod = ask(prod_api, transport, query, variables, token=prod_api.token(token))
    assert prod.codes
    assert "Did you mean" not in prod.text


def test_unexpected_errors_are_masked_with_a_request_id(
    tmp_path: Path, transport: Transport, caplog: pytest.LogCaptureFixture
) -> None:
    with serve_api(tmp_path) as server:

        async def broken(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("disk on fire at /var/lib/baas/baas.sqlite3")

        server.services.store.get_item = broken  # type: ignore[method-assign]
        with caplog.at_level(logging.ERROR):
            answer = ask(
                server,
                transport,
                'query { getNote(board: "b", id: "x") { id } }',
                token=server.token("alice"),
            )
    error = answer.body["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"]
    assert "fire" not in answer.text
    assert "sqlite" not in answer.text
    # The operator finds the detail in the log, under the request id the client quotes.
    logged = [r for r in caplog.records if r.exc_info and "fire" in str(r.exc_info[1])]
    assert len(logged) == 1
