"""Requests meant to hurt the server each get their documented rejection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.graphql.server import Api, serve_api

GRAPHQL_RESPONSE = "application/graphql-response+json"


def codes(response: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json()["errors"]]


def test_a_deep_query_is_refused_before_execution(api: Api) -> None:
    query = "query { viewer { " + "__typename " + "}}"
    deep = 'query { __type(name: "Note") { ' + "fields { type { " * 8 + "name" + " } }" * 8 + " } }"
    assert api.post(query).status_code == 200
    response = api.post(deep, headers={"Accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    assert codes(response) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "depth" in response.json()["errors"][0]["message"]


def test_aliases_are_counted_after_fragment_expansion(api: Api) -> None:
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
    response = api.post(query, token=api.token("alice"))
    assert codes(response) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "aliases" in response.json()["errors"][0]["message"]


def test_a_huge_document_is_refused_by_its_token_count(api: Api) -> None:
    query = "query { " + "viewer { userId } " * 800 + "}"
    response = api.post(query)
    assert codes(response) == ["GRAPHQL_PARSE_FAILED"]


def test_a_huge_page_size_is_refused(api: Api) -> None:
    response = api.post(
        'query { notesByBoard(board: "b", limit: 100000) { items { id } } }',
        token=api.token("alice"),
    )
    assert codes(response) == ["VALIDATION"]
    assert "limit" in response.json()["errors"][0]["message"]


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


def test_errors_never_show_internals(api: Api) -> None:
    response = api.post(
        'query { notesByBoard(board: "b", filter: {rank: {between: [1]}}) { items { id } } }',
        token=api.token("alice"),
    )
    assert codes(response) == ["VALIDATION"]
    text = response.text
    for leak in ("Traceback", "#n0", ":v0", "SELECT", "sqlite", ".py"):
        assert leak not in text


def test_an_invalid_bearer_token_is_refused_before_graphql(api: Api) -> None:
    response = api.post("{ viewer { userId } }", token="not-a-token")
    assert response.status_code == 401


@pytest.fixture(scope="module")
def prod_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serve_api(tmp_path_factory.mktemp("prod"), BAAS_ENV="prod") as server:
        yield server


def test_introspection_and_graphiql_are_off_outside_dev(api: Api, prod_api: Api) -> None:
    introspection = "{ __schema { types { name } } }"
    assert "errors" not in api.post(introspection).json()
    response = prod_api.post(introspection, headers={"Accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    assert set(codes(response)) == {"GRAPHQL_VALIDATION_FAILED"}
    browser = {"Accept": "text/html"}
    assert "graphiql" in httpx.get(api.graphql, headers=browser).text.lower()
    assert "graphiql" not in httpx.get(prod_api.graphql, headers=browser).text.lower()
    # No "did you mean" either: suggestions would spell the schema out.
    assert "Did you mean" not in prod_api.post("{ viewr { userId } }").text


def test_unexpected_errors_are_masked_with_a_request_id(tmp_path: Path) -> None:
    with serve_api(tmp_path) as server:

        async def broken(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("disk on fire at /var/lib/baas/baas.sqlite3")

        server.services.store.get_item = broken  # type: ignore[method-assign]
        response = server.post(
            'query { getNote(board: "b", id: "x") { id } }', token=server.token("alice")
        )
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    assert "fire" not in response.text
    assert "sqlite" not in response.text
