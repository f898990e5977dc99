"""Apollo Client's persisted-queries link, in Node, against a real baas API.

``tests/apollo/apq.mjs`` runs ``@apollo/client``'s ``PersistedQueryLink`` (sha256 from
``crypto-hash``) over its ``HttpLink`` and reports every HTTP request it made. The round
trips are Apollo's: the first request of a document sends its hash alone, is told
``PersistedQueryNotFound`` and sends the document with it; from then on the hash alone
gets the data, from this client or any other, by POST or, with
``useGETForHashedQueries``, by GET (mutations stay on POST).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.graphql.server import Api, serve_api

TESTS = Path(__file__).resolve().parents[2]
SCRIPT = TESTS / "apollo" / "apq.mjs"


def _missing_tools() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (needed to run Apollo Client)"
    if not (TESTS / "node_modules" / "@apollo" / "client").is_dir():
        return "npm package @apollo/client is missing: run `npm ci --prefix tests`"
    return None


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    missing = _missing_tools()
    if missing:
        pytest.skip(missing)
    with serve_api(tmp_path_factory.mktemp("apollo")) as server:
        yield server


@pytest.fixture(scope="module")
def steps(api: Api) -> dict[str, dict[str, Any]]:
    ran = subprocess.run(
        ["node", str(SCRIPT), api.graphql, api.token("apollo-user")],
        cwd=TESTS,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    return {step["name"]: step for step in json.loads(ran.stdout)}


def _trips(step: dict[str, Any]) -> list[tuple[str, bool, list[str]]]:
    """(method, document sent?, error codes) per HTTP request of one operation."""
    return [(r["method"], r["query"] is not None, r["codes"]) for r in step["requests"]]


def _check_hashes(step: dict[str, Any]) -> None:
    """Every request named one hash, the sha256 of the document the link sent."""
    documents = {r["query"] for r in step["requests"] if r["query"]}
    hashes = {r["hash"] for r in step["requests"]}
    assert len(hashes) == 1
    assert {hashlib.sha256(d.encode()).hexdigest() for d in documents} <= hashes


NOT_FOUND = ["PERSISTED_QUERY_NOT_FOUND"]


def test_first_request_misses_then_registers_then_the_hash_alone_answers(
    steps: dict[str, dict[str, Any]],
) -> None:
    # Apollo's cache asks for __typename too.
    viewer = {"viewer": {"__typename": "Viewer", "authenticated": True, "userId": "apollo-user"}}
    first = steps["post-first"]
    assert first["error"] is None
    assert first["data"] == viewer
    assert _trips(first) == [("POST", False, NOT_FOUND), ("POST", True, [])]
    assert [r["status"] for r in first["requests"]] == [200, 200]
    _check_hashes(first)
    for name in ("post-again", "other-client"):  # the same client, and a fresh one
        assert steps[name]["data"] == viewer
        assert _trips(steps[name]) == [("POST", False, [])]
        assert steps[name]["requests"][0]["hash"] == first["requests"][0]["hash"]


def test_use_get_for_hashed_queries(steps: dict[str, dict[str, Any]]) -> None:
    first = steps["get-first"]
    assert first["data"] == {"viewer": {"__typename": "Viewer", "groups": []}}
    # Apollo sends the document by POST when it retries: it may be long.
    assert _trips(first) == [("GET", False, NOT_FOUND), ("POST", True, [])]
    _check_hashes(first)
    again = steps["get-again"]
    assert again["data"] == first["data"]
    assert _trips(again) == [("GET", False, [])]


def test_mutations_stay_on_post(steps: dict[str, dict[str, Any]]) -> None:
    first, again = steps["mutation-first"], steps["mutation-again"]
    assert first["data"] == {"createBoard": {"__typename": "Board", "name": "apollo-1"}}
    assert _trips(first) == [("POST", False, NOT_FOUND), ("POST", True, [])]
    assert again["data"] == {"createBoard": {"__typename": "Board", "name": "apollo-2"}}
    assert _trips(again) == [("POST", False, [])]
