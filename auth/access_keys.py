"""Access keys: the credentials of AWS-style (SigV4-signed) API calls.

An admin creates a key (``baas keys create``) and hands its id and secret to a tool
that speaks an AWS API, such as boto3 against the DynamoDB-compatible endpoint; the
admin revokes it when done (``baas keys revoke``). A key acts as the ``system``
caller: it is an operator credential, never a user's.

The secret must be recoverable, unlike passwords and refresh tokens: SigV4
verification recomputes an HMAC keyed by the secret itself, so a hash would not do.
It is stored sealed under the secret key (:mod:`auth.secret_keys`; threat: whoever
reads the store's files or a backup signing requests as the system caller), kept out
of the change feed, and never logged or returned except once, to the admin who creates
the key (threat: a leaked log or API answer becomes a working credential).

Keys live in the system table ``_baas_access_keys``, keyed by ``key_id``.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from auth.errors import InvalidRequestError
from auth.rules import Caller
from auth.sealed_store import ACCESS_KEY_SECRET
from auth.system_tables import ACCESS_KEYS_TABLE, ensure_system_table, number
from storage.errors import ConditionalCheckFailedError

if TYPE_CHECKING:
    from auth.secret_keys import SecretKeys
    from storage.store import DocumentStore
    from storage.values import Item

__all__ = ["ACCESS_KEYS_TABLE", "AccessKey", "AccessKeyRepository", "generate_key_pair"]

# AWS access key ids are 16-128 word characters; tools that ship fixed credentials
# use shorter ones ("local", "fakeMyKeyId"), so 3 is the floor here. The id is part
# of the SigV4 credential scope, so it can hold no '/' and no ','.
_KEY_ID = re.compile(r"[A-Za-z0-9_+=.@-]{3,128}")
_SECRET = re.compile(r"[\x21-\x7e]{8,128}")  # printable ASCII, no spaces
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass(frozen=True, slots=True)
class AccessKey:
    """One access key. ``secret`` is hidden from ``repr`` so it cannot leak into logs."""

    key_id: str
    secret: str = field(repr=False)
    description: str = ""
    created_at: float = 0.0
    revoked_at: float | None = None

    @property
    def active(self) -> bool:
        """True until the key is revoked."""
        return self.revoked_at is None

    @property
    def caller(self) -> Caller:
        """Whom a request signed with this key acts as: the platform itself."""
        return Caller.system()


def generate_key_pair() -> tuple[str, str]:
    """A fresh (key id, secret): ``AKIA`` + 16 base32 characters, 40-character secret."""
    key_id = "AKIA" + "".join(secrets.choice(_BASE32) for _ in range(16))
    return key_id, secrets.token_urlsafe(30)


class AccessKeyRepository:
    """Access keys stored in the document store.

    ``store`` is the store, or a function returning it (for wiring done before the
    store is open); ``keys`` seal and open the secrets.
    """

    def __init__(
        self, store: DocumentStore | Callable[[], DocumentStore], keys: SecretKeys
    ) -> None:
        self._get_store = store if callable(store) else lambda: store
        self._keys = keys
        self._table_ready = False

    @property
    def _store(self) -> DocumentStore:
        return self._get_store()

    async def ensure_table(self) -> None:
        """Create the system table on first use (idempotent)."""
        if self._table_ready:
            return
        await ensure_system_table(self._store, ACCESS_KEYS_TABLE)
        self._table_ready = True

    async def create(
        self, *, key_id: str | None = None, secret: str | None = None, description: str = ""
    ) -> AccessKey:
        """Create a key (random, or with the given id and secret); return it with its secret."""
        if (key_id is None) != (secret is None):
            raise InvalidRequestError("Give both a key id and a secret, or neither.")
        if key_id is None or secret is None:
            key_id, secret = generate_key_pair()
        if not _KEY_ID.fullmatch(key_id):
            raise InvalidRequestError(
                "A key id has 3 to 128 characters among letters, digits and _+=.@-"
            )
        if not _SECRET.fullmatch(secret):
            raise InvalidRequestError("A secret has 8 to 128 printable characters, no spaces.")
        key = AccessKey(key_id, secret, description[:256], time.time())
        await self.ensure_table()
        try:
            # Never overwrite: re-creating an existing id would silently swap its secret.
            await self._store.put_item(
                ACCESS_KEYS_TABLE, self._to_item(key), condition="attribute_not_exists(key_id)"
            )
        except ConditionalCheckFailedError:
            raise InvalidRequestError("An access key with this id already exists.") from None
        return key

    async def get(self, key_id: str) -> AccessKey | None:
        """The key with this id, revoked or not; None when there is none."""
        if not _KEY_ID.fullmatch(key_id):
            return None
        await self.ensure_table()
        item = await self._store.get_item(ACCESS_KEYS_TABLE, {"key_id": key_id})
        return None if item is None else self._from_item(item)

    async def revoke(self, key_id: str) -> bool:
        """Revoke a key at once; False when no active key has this id."""
        await self.ensure_table()
        try:
            await self._store.update_item(
                ACCESS_KEYS_TABLE,
                {"key_id": key_id},
                "SET revoked_at = :now",
                condition="attribute_exists(key_id) AND attribute_not_exists(revoked_at)",
                values={":now": number(time.time())},
            )
        except ConditionalCheckFailedError:
            return False
        return True

    async def list(self) -> list[AccessKey]:
        """Every key, oldest first (secrets included: callers must not display them)."""
        await self.ensure_table()
        keys: list[AccessKey] = []
        start: Item | None = None
        while True:
            page = await self._store.scan(ACCESS_KEYS_TABLE, exclusive_start_key=start)
            keys.extend(self._from_item(item) for item in page.items)
            start = page.last_evaluated_key
            if start is None:
                return sorted(keys, key=lambda key: (key.created_at, key.key_id))

    def _to_item(self, key: AccessKey) -> Item:
        sealed = ACCESS_KEY_SECRET.seal(self._keys, key.key_id, key.secret.encode())
        return {
            "key_id": key.key_id,
            ACCESS_KEY_SECRET.sealed: sealed,
            "description": key.description,
            "created_at": number(key.created_at),
        }

    def _from_item(self, item: Item) -> AccessKey:
        revoked = item.get("revoked_at")
        return AccessKey(
            key_id=str(item["key_id"]),
            secret=ACCESS_KEY_SECRET.open(self._keys, item).decode(),
            description=str(item.get("description", "")),
            created_at=float(str(item.get("created_at", 0))),
            revoked_at=None if revoked is None else float(str(revoked)),
        )
