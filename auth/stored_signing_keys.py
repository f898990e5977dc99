"""Signing keys persisted in the document store, shared by every API process.

The private JWK is stored as a JSON string in ``_baas_signing_keys``. Protect the
store's files as you protect the keys themselves (threat: whoever reads the table can
sign access tokens); the key never leaves this module except to the :class:`KeyRing`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from auth.signing_keys import SIGNING_ALGORITHMS, SigningKey
from auth.system_tables import SIGNING_KEYS_TABLE, number
from storage import DocumentStore, Item

__all__ = ["StoreSigningKeyRepository"]


class StoreSigningKeyRepository:
    """A :class:`~auth.signing_keys.SigningKeyRepository` on the document store."""

    def __init__(self, store: Callable[[], DocumentStore]) -> None:
        # A callable: the key ring is built before the store is opened.
        self._store = store

    async def load_all(self) -> list[SigningKey]:
        keys: list[SigningKey] = []
        start: Item | None = None
        while True:
            page = await self._store().scan(SIGNING_KEYS_TABLE, exclusive_start_key=start)
            keys.extend(_from_item(item) for item in page.items)
            start = page.last_evaluated_key
            if start is None:
                return keys

    async def save(self, key: SigningKey) -> None:
        item: Item = {
            "kid": key.kid,
            "alg": key.alg,
            "private_jwk": json.dumps(dict(key.private_jwk), sort_keys=True),
            "created_at": number(key.created_at),
        }
        if key.retired_at is not None:
            item["retired_at"] = number(key.retired_at)
        await self._store().put_item(SIGNING_KEYS_TABLE, item)


def _from_item(item: Item) -> SigningKey:
    alg = str(item["alg"])
    if alg not in SIGNING_ALGORITHMS:
        raise ValueError(f"signing key {item['kid']!s} has an unsupported algorithm")
    retired = item.get("retired_at")
    return SigningKey(
        kid=str(item["kid"]),
        alg=alg,
        private_jwk=json.loads(str(item["private_jwk"])),
        created_at=float(str(item["created_at"])),
        retired_at=None if retired is None else float(str(retired)),
    )
