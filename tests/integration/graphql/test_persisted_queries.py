"""Automatic persisted queries and the allow-list, on a real server, HTTP and WebSocket.

Apollo's own client is driven in ``test_apollo_persisted_queries.py``; here the
protocol's edges: a hash that does not match, a bad version, a mutation by GET, an
invalid document (never registered), the caps on documents (slots, size), a second API
process seeing a registration, a concurrent burst, and the allow-list mode with its
manifest registered by ``baas graphql register``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from baas.persisted_documents import APQ_TABLE
from tests.integration.graphql.server import Api, api_process, serve_api

BAAS = Path(sys.executable).parent / "baas"
ROOT = Path(__file__).parents[3]
VIEWER = "query Viewer { viewer { authenticated } }"
NOT_FOUND = {"message": "PersistedQueryNotFound", "code": "PERSISTED_QUERY_NOT_FOUND"}


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def persisted(document: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(document)}}


def post(api: Api | str, body: dict[str, Any], token: str | None = None) -> httpx.Response:
    url = api.graphql if isinstance(api, Api) else f"{api}/graphql"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(url, json=body, headers=headers, timeout=10)


def get(api: Api, **params: Any) -> httpx.Response:
    encoded = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    return httpx.get(api.graphql, params=encoded, timeout=10)


def error_of(response: httpx.Response) -> dict[str, str]:
    body = response.json()
    assert "data" not in body, body
    (error,) = body["errors"]
    return {"message": error["message"], "code": error["extensions"]["code"]}


def stored_documents(api: Api) -> list[dict[str, Any]]:
    async def scan() -> list[dict[str, Any]]:
        page = await api.services.store.scan(APQ_TABLE)
        return [dict(item) for item in page.items]

    return asyncio.run(scan())


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serve_api(tmp_path_factory.mktemp("apq"), BAAS_GRAPHQL_APQ_MAX_BYTES="2000") as server:
        yield server


def test_hash_only_then_hash_and_query_then_hash_only_by_post_and_get(api: Api) -> None:
    document = "query Mine { viewer { authenticated userId } }"
    missed = post(api, {"extensions": persisted(document)})
    assert missed.status_code == 200
    assert error_of(missed) == NOT_FOUND
    assert missed.headers["cache-control"] == "private, no-cache, must-revalidate"
    assert error_of(get(api, extensions=persisted(document))) == NOT_FOUND

    registered = post(api, {"query": document, "extensions": persisted(document)})
    assert registered.json() == {"data": {"viewer": {"authenticated": False, "userId": None}}}
    for answer in (
        post(api, {"extensions": persisted(document)}),
        get(api, extensions=persisted(document)),
        post(
            api,
            {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha(document).upper()}}},
        ),
    ):
        assert answer.status_code == 200
        assert answer.json() == registered.json()


def test_a_hash_that_is_not_the_documents_sha256_is_refused(api: Api) -> None:
    answer = post(api, {"query": VIEWER, "extensions": persisted("query { __typename }")})
    assert answer.status_code == 400
    assert error_of(answer) == {
        "message": "provided sha does not match query",
        "code": "BAD_REQUEST",
    }
    # Nothing was registered under the other document's hash.
    assert error_of(post(api, {"extensions": persisted("query { __typename }")})) == NOT_FOUND


@pytest.mark.parametrize(
    "extension",
    [
        {"version": 2, "sha256Hash": sha(VIEWER)},
        {"sha256Hash": sha(VIEWER)},
        {"version": 1, "sha256Hash": 12},
        {"version": 1},
        "v1",
    ],
)
def test_a_malformed_persisted_query_extension_is_a_bad_request(
    api: Api, extension: object
) -> None:
    answer = post(api, {"extensions": {"persistedQuery": extension}})
    assert answer.status_code == 400
    assert error_of(answer)["code"] == "BAD_REQUEST"


def test_a_mutation_by_its_hash_runs_over_post_but_never_over_get(api: Api) -> None:
    token = api.token("apq-writer")
    mutation = 'mutation NewBoard { createBoard(input: {name: "apq"}) { name } }'
    first = post(api, {"query": mutation, "extensions": persisted(mutation)}, token)
    assert first.json() == {"data": {"createBoard": {"name": "apq"}}}
    again = post(api, {"extensions": persisted(mutation)}, token)
    assert again.json() == {"data": {"createBoard": {"name": "apq"}}}
    by_get = get(api, extensions=persisted(mutation))
    assert by_get.status_code == 405
    assert by_get.headers["allow"] == "POST"


def test_a_document_that_does_not_validate_is_never_registered(api: Api) -> None:
    invalid = "query Bad { viewer { noSuchField } }"
    answer = post(api, {"query": invalid, "extensions": persisted(invalid)})
    assert answer.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error_of(post(api, {"extensions": persisted(invalid)})) == NOT_FOUND
    assert all(item["hash"] != sha(invalid) for item in stored_documents(api))


def test_a_document_over_the_size_cap_runs_but_is_not_registered(api: Api) -> None:
    long = "query Long { viewer { authenticated } }" + " " * 2100  # BAAS_GRAPHQL_APQ_MAX_BYTES=2000
    answer = post(api, {"query": long, "extensions": persisted(long)})
    assert answer.json() == {"data": {"viewer": {"authenticated": False}}}
    assert error_of(post(api, {"extensions": persisted(long)})) == NOT_FOUND


def test_the_stored_documents_never_exceed_the_cap_and_the_newest_wins(
    tmp_path: Path, store_env: dict[str, str]
) -> None:
    with serve_api(tmp_path, BAAS_GRAPHQL_APQ_DOCUMENTS="3", **store_env) as small:
        documents = [f"query Q{n} {{ viewer {{ authenticated }} }}" for n in range(12)]
        for document in documents:
            assert (
                "data" in post(small, {"query": document, "extensions": persisted(document)}).json()
            )
        stored = stored_documents(small)
        assert 1 <= len(stored) <= 3
        assert {int(item["slot"]) for item in stored} <= {0, 1, 2}
        # A process that has not seen them (this one keeps what it resolved for a
        # minute) finds exactly the stored ones, the last one registered among them.
        with api_process(tmp_path, BAAS_GRAPHQL_APQ_DOCUMENTS="3", **store_env) as other:
            found = [
                "data" in post(other, {"extensions": persisted(document)}).json()
                for document in documents
            ]
        assert found[-1]
        assert sum(found) == len(stored)


def test_a_concurrent_burst_of_registrations_stays_within_the_cap(
    tmp_path: Path, store_env: dict[str, str]
) -> None:
    with serve_api(tmp_path, BAAS_GRAPHQL_APQ_DOCUMENTS="8", **store_env) as small:
        documents = [f"query B{n % 30} {{ viewer {{ authenticated }} }}" for n in range(60)]

        async def burst() -> list[dict[str, Any]]:
            async with httpx.AsyncClient(timeout=20) as client:
                answers = await asyncio.gather(
                    *(
                        client.post(small.graphql, json={"query": d, "extensions": persisted(d)})
                        for d in documents
                    )
                )
            return [answer.json() for answer in answers]

        assert all(
            body == {"data": {"viewer": {"authenticated": False}}} for body in asyncio.run(burst())
        )
        stored = stored_documents(small)
        assert 1 <= len(stored) <= 8
        for item in stored:  # every slot holds a document under its own hash
            assert item["hash"] == sha(str(item["body"]))


def test_another_api_process_runs_a_document_registered_here(api: Api, tmp_path: Path) -> None:
    document = "query Shared { viewer { groups } }"
    assert "data" in post(api, {"query": document, "extensions": persisted(document)}).json()
    data_dir = Path(api.settings.data_dir)
    with api_process(data_dir) as other:
        answer = post(other, {"extensions": persisted(document)})
    assert answer.json() == {"data": {"viewer": {"groups": []}}}


async def subscribe(api: Api, payload: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    """One ``subscribe`` on a fresh graphql-transport-ws connection: its first answer."""
    async with connect(api.ws, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"token": token} if token else {}})
        )
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": payload}))
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        return message


def test_the_same_protocol_over_websocket(api: Api) -> None:
    document = "query OverWs { viewer { authenticated } }"
    missed = asyncio.run(subscribe(api, {"extensions": persisted(document)}))
    assert missed["type"] == "error"
    assert [(e["message"], e["extensions"]["code"]) for e in missed["payload"]] == [
        tuple(NOT_FOUND.values())
    ]
    mismatch = asyncio.run(subscribe(api, {"query": VIEWER, "extensions": persisted(document)}))
    assert mismatch["type"] == "error"
    assert mismatch["payload"][0]["extensions"]["code"] == "BAD_REQUEST"
    registered = asyncio.run(subscribe(api, {"query": document, "extensions": persisted(document)}))
    assert registered == {
        "id": "1",
        "type": "next",
        "payload": {"data": {"viewer": {"authenticated": False}}},
    }
    by_hash = asyncio.run(subscribe(api, {"extensions": persisted(document)}))
    assert by_hash == registered
    # What a WebSocket registered, HTTP runs: one store, one protocol.
    assert post(api, {"extensions": persisted(document)}).json() == registered["payload"]


def test_a_subscription_by_its_hash(api: Api) -> None:
    token = api.token("apq-subscriber")
    subscription = "subscription Boards { onBoardCreated { name } }"
    settle = 0.4  # graphql-transport-ws has no "subscribed" ack: give the server a moment

    def create(name: str) -> None:
        mutation = "mutation New($name: String!) { createBoard(input: {name: $name}) { id } }"
        body = {"query": mutation, "variables": {"name": name}}
        assert "data" in post(api, body, token).json()

    async def next_event(ws: Any) -> tuple[str, Any]:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert message["type"] == "next", message
        return message["id"], message["payload"]

    async def run() -> dict[str, Any]:
        payload: dict[str, Any] = {"query": subscription, "extensions": persisted(subscription)}
        async with connect(api.ws, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
            await ws.recv()
            await ws.send(json.dumps({"type": "subscribe", "id": "s1", "payload": payload}))
            await asyncio.sleep(settle)
            create("first")
            # s1 runs, so its document is registered: s2 names it by its hash alone.
            assert await next_event(ws) == ("s1", {"data": {"onBoardCreated": {"name": "first"}}})
            by_hash = {"extensions": persisted(subscription)}
            await ws.send(json.dumps({"type": "subscribe", "id": "s2", "payload": by_hash}))
            await asyncio.sleep(settle)
            create("second")
            return dict([await next_event(ws), await next_event(ws)])

    events = asyncio.run(run())
    assert events == {
        "s1": {"data": {"onBoardCreated": {"name": "second"}}},
        "s2": {"data": {"onBoardCreated": {"name": "second"}}},
    }


# --- allow-list mode -------------------------------------------------------------------

LISTED = "query Listed { viewer { authenticated } }"


def register(
    data_dir: Path, manifest: dict[str, Any], *args: str
) -> subprocess.CompletedProcess[str]:
    path = data_dir / "manifest.json"
    path.write_text(json.dumps(manifest))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BAAS_")}
    return subprocess.run(
        [str(BAAS), "graphql", "register", str(path), *args],
        cwd=ROOT,
        env={
            **clean,
            "BAAS_DATA_DIR": str(data_dir),
            "BAAS_APP": "tests.integration.graphql.testapp:app",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def manifest(*bodies: str, ids: list[str] | None = None) -> dict[str, Any]:
    return {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            {
                "id": (ids or [sha(b) for b in bodies])[n],
                "body": b,
                "name": f"Op{n}",
                "type": "query",
            }
            for n, b in enumerate(bodies)
        ],
    }


@pytest.fixture(scope="module")
def listed_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    folder = tmp_path_factory.mktemp("allowlist")
    with serve_api(folder, BAAS_GRAPHQL_PERSISTED_ONLY="true") as server:
        ran = register(
            folder,
            manifest(
                LISTED, "query Custom { viewer { groups } }", ids=[sha(LISTED), "custom-id-1"]
            ),
        )
        assert ran.returncode == 0, ran.stderr
        assert "2 operations registered" in ran.stderr
        yield server


def test_allow_list_runs_registered_documents_by_id_or_exact_text(listed_api: Api) -> None:
    expected = {"data": {"viewer": {"authenticated": False}}}
    assert post(listed_api, {"extensions": persisted(LISTED)}).json() == expected
    assert get(listed_api, extensions=persisted(LISTED)).json() == expected
    assert post(listed_api, {"query": LISTED}).json() == expected
    assert post(listed_api, {"query": LISTED, "extensions": persisted(LISTED)}).json() == expected
    by_custom_id = post(
        listed_api, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "custom-id-1"}}}
    )
    assert by_custom_id.json() == {"data": {"viewer": {"groups": []}}}


def test_allow_list_refuses_everything_else_with_a_clear_4xx(listed_api: Api) -> None:
    free = post(listed_api, {"query": VIEWER})
    assert free.status_code == 403
    assert error_of(free)["code"] == "QUERY_NOT_IN_SAFELIST"
    assert "persisted queries" in error_of(free)["message"]
    with_hash = post(listed_api, {"query": VIEWER, "extensions": persisted(VIEWER)})
    assert with_hash.status_code == 403
    assert error_of(with_hash)["code"] == "QUERY_NOT_IN_SAFELIST"
    unknown = post(listed_api, {"extensions": persisted(VIEWER)})
    assert unknown.status_code == 404
    assert error_of(unknown)["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
    # Clients register nothing in this mode.
    assert post(listed_api, {"extensions": persisted(VIEWER)}).status_code == 404
    over_ws = asyncio.run(subscribe(listed_api, {"query": VIEWER}))
    assert over_ws["type"] == "error"
    assert over_ws["payload"][0]["extensions"]["code"] == "QUERY_NOT_IN_SAFELIST"


def test_allow_list_lets_admins_run_any_document(listed_api: Api) -> None:
    admin = listed_api.token("apq-admin", "admin")
    answer = post(listed_api, {"query": VIEWER}, admin)
    assert answer.json() == {"data": {"viewer": {"authenticated": True}}}
    member = listed_api.token("apq-member", "team")
    assert post(listed_api, {"query": VIEWER}, member).status_code == 403


def test_register_prunes_and_refuses_bad_manifests(tmp_path: Path) -> None:
    with serve_api(tmp_path, BAAS_GRAPHQL_PERSISTED_ONLY="true") as server:
        other = "query Other { viewer { userId } }"
        assert register(tmp_path, manifest(LISTED, other)).returncode == 0
        assert "data" in post(server, {"extensions": persisted(other)}).json()
        pruned = register(tmp_path, manifest(LISTED), "--prune")
        assert pruned.returncode == 0, pruned.stderr
        assert "1 operations registered, 1 removed" in pruned.stderr

    for bad, expected in (
        ({"format": "other", "version": 1, "operations": []}, "apollo-persisted-query-manifest"),
        (manifest("query { nope }"), "does not fit the app's schema"),
        (manifest("query {"), "does not fit the app's schema"),
        ({**manifest(LISTED), "operations": [{"id": "", "body": LISTED}]}, "'id' must be"),
    ):
        ran = register(tmp_path, bad)
        assert ran.returncode == 1
        assert len(ran.stderr.splitlines()) == 1, ran.stderr
        assert expected in ran.stderr
