"""Persisted queries: Apollo's automatic persisted queries (APQ), and an allow-list mode.

**APQ** (Apollo's protocol, ``extensions.persistedQuery = {version: 1, sha256Hash}``),
on HTTP GET and POST and on WebSocket ``subscribe`` alike, since it runs in the one
pipeline (:mod:`baas.graphql.pipeline`):

- the hash alone: the document registered under it runs; an unknown hash is the error
  ``PersistedQueryNotFound`` (``extensions.code: PERSISTED_QUERY_NOT_FOUND``, HTTP 200
  as Apollo Server answers it), on which clients send the document too;
- hash and document: the hash must be the document's sha256 (else ``provided sha does
  not match query``, ``BAD_REQUEST``); the document runs and, once it has parsed and
  validated, is registered for every API process (:mod:`baas.persisted_documents`).
  Only documents valid against the schema are kept, within a size cap, in a table of
  bounded size (threat: a client filling the store);
- a version other than 1 is ``BAD_REQUEST``.

**Allow-list** (``BAAS_GRAPHQL_PERSISTED_ONLY=true``): only the operator's documents
(``baas graphql register manifest.json``) run, by id or by their exact text; clients
register nothing. An unknown id is ``PERSISTED_QUERY_NOT_IN_LIST`` (404) and any other
text ``QUERY_NOT_IN_SAFELIST`` (403), Apollo Router's codes for the same refusals.
Callers in the ``admin`` group may still send any document (the console's GraphiQL is
theirs); introspection stays governed by ``BAAS_ENV`` as before.

Each process keeps the documents it resolved in a small LRU (:data:`_CACHED`), for a
minute at most, so an id removed from the allow-list stops running within a minute
everywhere, and a hot document costs no store read.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from baas.graphql.errors import GraphQLApiError
from baas.persisted_documents import apq_document, manifest_document, register_apq

if TYPE_CHECKING:
    from auth.rules import Caller
    from baas.graphql.pipeline import OperationRequest
    from storage import DocumentStore

__all__ = [
    "PersistedQueries",
    "PersistedQueryError",
    "PersistedQuerySettings",
    "Resolved",
    "sha256_hex",
]

_log = logging.getLogger("baas.graphql.persisted_queries")
_CACHED = 512  # resolved documents per process
_CACHE_SECONDS = 60.0
_ADMIN_GROUP = "admin"
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


class PersistedQueryError(GraphQLApiError):
    """A persisted-query request that cannot run; the transport answers it (in HTTP:
    ``baas.graphql.http.REQUEST_ERRORS`` gives each code its status)."""


class PersistedQueryNotFoundError(PersistedQueryError):
    """Apollo's signal for the client to send the document along with its hash."""

    code = "PERSISTED_QUERY_NOT_FOUND"

    def __init__(self) -> None:
        super().__init__("PersistedQueryNotFound")


class PersistedQueryNotInListError(PersistedQueryError):
    """Allow-list mode: no operator document has this id."""

    code = "PERSISTED_QUERY_NOT_IN_LIST"

    def __init__(self) -> None:
        super().__init__("This server runs only its persisted queries; this id is not one.")


class QueryNotInSafelistError(PersistedQueryError):
    """Allow-list mode: a document that is not one of the operator's."""

    code = "QUERY_NOT_IN_SAFELIST"

    def __init__(self) -> None:
        super().__init__(
            "This server runs only its persisted queries; send a registered one (by id)."
        )


@dataclass(frozen=True)
class PersistedQuerySettings:
    """The knobs (``BAAS_GRAPHQL_PERSISTED_ONLY``, ``BAAS_GRAPHQL_APQ_*``)."""

    persisted_only: bool = False
    apq_documents: int = 2000
    """Slots for client-registered documents (0: clients register nothing)."""
    apq_max_bytes: int = 32 * 1024
    """A longer document runs but is not registered."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """The request with its document, and the hash to register it under once it validates."""

    request: OperationRequest
    register: str | None = None


def sha256_hex(document: str) -> str:
    """The id APQ gives a document: the hex sha256 of its UTF-8 text."""
    return hashlib.sha256(document.encode()).hexdigest()


class PersistedQueries:
    """Resolves and registers persisted documents for one API process (module docstring)."""

    def __init__(
        self, store: Callable[[], DocumentStore], settings: PersistedQuerySettings
    ) -> None:
        self._store = store
        self.settings = settings
        self._cache: OrderedDict[str, tuple[float, str]] = OrderedDict()

    async def resolve(self, request: OperationRequest, caller: Caller) -> Resolved:
        """The request to run; :class:`PersistedQueryError` when it cannot run."""
        sha256 = _persisted_hash(request.extensions)
        if sha256 is None:
            await self._check_listed(request.query, caller)
            return Resolved(request)
        if request.query:
            if sha256_hex(request.query) != sha256.lower():
                raise PersistedQueryError("provided sha does not match query")
            if self.settings.persisted_only:
                await self._check_listed(request.query, caller)
                return Resolved(request)
            sha256 = sha256.lower()
            return Resolved(request, None if self._cached(f"sha:{sha256}") else sha256)
        document = await self._document(sha256)
        if document is None:
            if self.settings.persisted_only:
                raise PersistedQueryNotInListError()
            raise PersistedQueryNotFoundError()
        return Resolved(replace(request, query=document))

    async def _check_listed(self, document: str, caller: Caller) -> None:
        """Allow-list mode: refuse a document that is not the operator's (admins excepted)."""
        if not self.settings.persisted_only or _ADMIN_GROUP in caller.groups:
            return
        if await self._operator_document(sha256_hex(document)) != document:
            raise QueryNotInSafelistError()

    async def register(self, sha256: str, document: str) -> None:
        """Keep a validated client document (within the caps); a store failure is logged."""
        if self.settings.apq_documents <= 0 or len(document.encode()) > self.settings.apq_max_bytes:
            return
        try:
            await register_apq(self._store(), sha256, document, self.settings.apq_documents)
        except Exception:  # noqa: BLE001 - the operation still runs; clients re-send later
            _log.warning("could not register a persisted query", exc_info=True)
            return
        self._remember(f"sha:{sha256}", document)

    async def _document(self, sha256: str) -> str | None:
        cached = self._cached(f"sha:{sha256.lower()}")
        if cached is not None:
            return cached
        document = await self._operator_document(sha256)
        if document is None and self._client_registered(sha256):
            sha256 = sha256.lower()
            document = await apq_document(self._store(), sha256, self.settings.apq_documents)
            if document is not None:
                self._remember(f"sha:{sha256}", document)
        return document

    def _client_registered(self, sha256: str) -> bool:
        """Whether ``sha256`` may name a client's document (APQ on, and a sha256 at all)."""
        return (
            not self.settings.persisted_only
            and self.settings.apq_documents > 0
            and _SHA256.fullmatch(sha256) is not None
        )

    async def _operator_document(self, document_id: str) -> str | None:
        cached = self._cached(f"id:{document_id}")
        if cached is not None:
            return cached
        document = await manifest_document(self._store(), document_id)
        if document is not None:
            self._remember(f"id:{document_id}", document)
        return document

    def _cached(self, key: str) -> str | None:
        entry = self._cache.get(key)
        if entry is None:
            return None
        stored_at, document = entry
        if time.monotonic() - stored_at > _CACHE_SECONDS:
            del self._cache[key]
            return None
        self._cache.move_to_end(key)
        return document

    def _remember(self, key: str, document: str) -> None:
        self._cache[key] = (time.monotonic(), document)
        self._cache.move_to_end(key)
        if len(self._cache) > _CACHED:
            self._cache.popitem(last=False)


def _persisted_hash(extensions: dict[str, Any] | None) -> str | None:
    """The hash (or operator id) of ``extensions.persistedQuery``, None without one."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise PersistedQueryError("Unsupported persisted query version")
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not sha256 or len(sha256) > 128:
        raise PersistedQueryError("persistedQuery.sha256Hash must be a string")
    return sha256
