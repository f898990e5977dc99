"""Signing keys persisted in the document store, shared by every API process.

The private JWK is stored sealed under the secret key (:mod:`auth.secret_keys`) in
``_baas_signing_keys``: whoever reads the store's files or a backup cannot sign access
tokens with it. The table keeps only keys in the change feed. The private key never
leaves this module except to the :class:`KeyRing`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from auth.sealed_store import SIGNING_KEY_PRIVATE
from auth.secret_keys import SecretKeys
from auth.signing_keys import SIGNING_ALGORITHMS, SigningKey
from auth.system_tables import SIGNING_KEYS_TABLE, number
from storage import DocumentStore, Item

__all__ = ["StoreSigningKeyRepository"]


class StoreSigningKeyRepository:
    """A :class:`~auth.signing_keys.SigningKeyRepository` on the document store."""

    def __init__(self, store: Callable[[], DocumentStore], keys: SecretKeys) -> None:
        # A callable: the key ring is built before the store is opened.
        self._store = store
        self._keys = keys

    async def load_all(self) -> list[SigningKey]:
        keys: list[SigningKey] = []
        start: Item | None = None
        while True:
            page = await self._store().scan(SIGNING_KEYS_TABLE, exclusive_start_key=start)
            keys.extend(self._from_item(item) for item in page.items)
            start = page.last_evaluated_key
            if start is None:
                return keys

    async def save(self, key: SigningKey) -> None:
        private = json.dumps(dict(key.private_jwk), sort_keys=True).encode()
        item: Item = {
            "kid": key.kid,
            "alg": key.alg,
            SIGNING_KEY_PRIVATE.sealed: SIGNING_KEY_PRIVATE.seal(self._keys, key.kid, private),
            "created_at": number(key.created_at),
        }
        if key.retired_at is not None:
            item["retired_at"] = number(key.retired_at)
        await self._store().put_item(SIGNING_KEYS_TABLE, item)

    def _from_item(self, item: Item) -> SigningKey:
        alg = str(item["alg"])
        if alg not in SIGNING_ALGORITHMS:
            raise ValueError(f"signing key {item['kid']!s} has an unsupported algorithm")
        retired = item.get("retired_at")
        return SigningKey(
            kid=str(item["kid"]),
            alg=alg,
            private_jwk=json.loads(SIGNING_KEY_PRIVATE.open(self._keys, item)),
            created_at=float(str(item["created_at"])),
            retired_at=None if retired is None else float(str(retired)),
        )
