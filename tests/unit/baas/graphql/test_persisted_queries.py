"""What a persisted-query request becomes, mode, caller and request -> outcome (a table).

On a real SQLite store in a temporary folder, with one operator document registered
(the manifest's) and one client document registered by APQ.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from auth.rules import Caller
from baas.graphql.persisted_queries import (
    PersistedQueries,
    PersistedQueryError,
    PersistedQuerySettings,
    sha256_hex,
)
from baas.graphql.pipeline import OperationRequest
from baas.persisted_documents import (
    APQ_TABLE,
    ManifestOperation,
    apq_document,
    ensure_persisted_tables,
    register_apq,
    register_manifest,
)
from storage import DocumentStore, SqliteConfig, open_store

LISTED = "query Listed { viewer { userId } }"
CLIENT = "query Client { viewer { groups } }"
OTHER = "query Other { viewer { authenticated } }"
ANONYMOUS = Caller.anonymous()
ADMIN = Caller("user", "root", frozenset({"admin"}))


def by_hash(value: str, version: object = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": value}}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[DocumentStore]:
    async with open_store(SqliteConfig(tmp_path / "pq.sqlite3", synchronous="NORMAL")) as opened:
        await ensure_persisted_tables(opened)
        await register_manifest(opened, [ManifestOperation(sha256_hex(LISTED), LISTED)])
        await register_manifest(opened, [ManifestOperation("custom-id", LISTED)])
        await register_apq(
            opened, sha256_hex(CLIENT), CLIENT, PersistedQuerySettings().apq_documents
        )
        yield opened


# (allow-list mode, caller, query, extensions) -> the document that runs, or the error code
CASES = [
    (False, ANONYMOUS, OTHER, None, OTHER),
    (False, ANONYMOUS, "", by_hash(sha256_hex(CLIENT)), CLIENT),
    (False, ANONYMOUS, "", by_hash(sha256_hex(CLIENT).upper()), CLIENT),
    (False, ANONYMOUS, "", by_hash(sha256_hex(LISTED)), LISTED),
    (False, ANONYMOUS, "", by_hash("custom-id"), LISTED),
    (False, ANONYMOUS, "", by_hash(sha256_hex(OTHER)), "PERSISTED_QUERY_NOT_FOUND"),
    (False, ANONYMOUS, "", by_hash("not-a-sha"), "PERSISTED_QUERY_NOT_FOUND"),
    (False, ANONYMOUS, OTHER, by_hash(sha256_hex(OTHER)), OTHER),
    (False, ANONYMOUS, OTHER, by_hash(sha256_hex(CLIENT)), "BAD_REQUEST"),
    (False, ANONYMOUS, "", by_hash(sha256_hex(CLIENT), version=2), "BAD_REQUEST"),
    (True, ANONYMOUS, LISTED, None, LISTED),
    (True, ANONYMOUS, OTHER, None, "QUERY_NOT_IN_SAFELIST"),
    (True, ANONYMOUS, "", by_hash(sha256_hex(LISTED)), LISTED),
    (True, ANONYMOUS, "", by_hash("custom-id"), LISTED),
    (True, ANONYMOUS, "", by_hash(sha256_hex(CLIENT)), "PERSISTED_QUERY_NOT_IN_LIST"),
    (True, ANONYMOUS, OTHER, by_hash(sha256_hex(OTHER)), "QUERY_NOT_IN_SAFELIST"),
    (True, ANONYMOUS, LISTED, by_hash(sha256_hex(LISTED)), LISTED),
    (True, ADMIN, OTHER, None, OTHER),
    (True, ADMIN, OTHER, by_hash(sha256_hex(OTHER)), OTHER),
    (True, ADMIN, "", by_hash(sha256_hex(OTHER)), "PERSISTED_QUERY_NOT_IN_LIST"),
]


@pytest.mark.parametrize(("persisted_only", "caller", "query", "extensions", "outcome"), CASES)
async def test_resolution(
    store: DocumentStore,
    persisted_only: bool,
    caller: Caller,
    query: str,
    extensions: dict[str, Any] | None,
    outcome: str,
) -> None:
    queries = PersistedQueries(lambda: store, PersistedQuerySettings(persisted_only=persisted_only))
    request = OperationRequest(query, None, None, extensions)
    if outcome.isupper():
        with pytest.raises(PersistedQueryError) as refused:
            await queries.resolve(request, caller)
        assert refused.value.code == outcome
    else:
        assert (await queries.resolve(request, caller)).request.query == outcome


async def test_only_a_new_document_with_its_hash_is_to_be_registered(store: DocumentStore) -> None:
    queries = PersistedQueries(lambda: store, PersistedQuerySettings())
    new = await queries.resolve(
        OperationRequest(OTHER, extensions=by_hash(sha256_hex(OTHER))), ANONYMOUS
    )
    assert new.register == sha256_hex(OTHER)
    assert (await queries.resolve(OperationRequest(OTHER), ANONYMOUS)).register is None
    listed = PersistedQueries(lambda: store, PersistedQuerySettings(persisted_only=True))
    same = await listed.resolve(
        OperationRequest(LISTED, extensions=by_hash(sha256_hex(LISTED))), ANONYMOUS
    )
    assert same.register is None  # clients register nothing in allow-list mode


async def test_register_keeps_caps(store: DocumentStore) -> None:
    queries = PersistedQueries(
        lambda: store, PersistedQuerySettings(apq_documents=4, apq_max_bytes=60)
    )
    long = OTHER + " " * 60
    await queries.register(sha256_hex(long), long)
    assert await apq_document(store, sha256_hex(long), 4) is None
    await queries.register(sha256_hex(OTHER), OTHER)
    assert await apq_document(store, sha256_hex(OTHER), 4) == OTHER
    off = PersistedQueries(lambda: store, PersistedQuerySettings(apq_documents=0))
    await off.register(sha256_hex(LISTED), LISTED)
    slots = await store.scan(APQ_TABLE)
    assert all(item["hash"] != sha256_hex(LISTED) for item in slots.items)


async def test_a_smaller_setting_drops_the_slots_past_it(store: DocumentStore) -> None:
    documents = [f"query Q{n} {{ viewer {{ userId }} }}" for n in range(20)]
    for document in documents:
        await register_apq(store, sha256_hex(document), document, 10)
    await ensure_persisted_tables(store, apq_slots=3)
    slots = [int(str(item["slot"])) for item in (await store.scan(APQ_TABLE)).items]
    assert slots
    assert max(slots) < 3
