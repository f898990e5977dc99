"""The store's sealed secrets: where they live, the check at start, migration, re-sealing.

A :class:`SealedField` names one attribute that holds a sealed value (see
:mod:`auth.secret_keys`), and the attribute a plain value was kept in by versions of
baas that did not seal. The repositories seal and open through it, so the context a
value is bound to is written in one place.

:func:`seal_store` runs when a process starts on the store:

1. the *key check* — a value sealed under the key the store was first sealed with,
   kept in ``_baas_secrets`` — must open with one of the configured keys; otherwise the
   process stops (a wrong or lost ``BAAS_SECRET_KEY`` is never replaced by a new key,
   which would leave every sealed secret unreadable);
2. plain values left by an earlier version are sealed, and the obsolete plain keys
   (OAuth cookie, GraphQL page tokens: now derived from the secret key) are deleted;
3. if anything was plain, the store is compacted, so the plain bytes leave the disk.

:func:`reseal_store` backs ``baas keys rotate-secret-key``: every value sealed under a
former key is sealed again under the current one.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from auth.errors import SecretKeyError
from auth.secret_keys import SecretKeys
from auth.system_tables import ACCESS_KEYS_TABLE, MFA_TABLE, SECRETS_TABLE, SIGNING_KEYS_TABLE
from storage import DocumentStore, Item
from storage.errors import ConditionalCheckFailedError

__all__ = [
    "ACCESS_KEY_SECRET",
    "SIGNING_KEY_PRIVATE",
    "TOTP_SECRET",
    "SealedField",
    "reseal_store",
    "seal_store",
]

_log = logging.getLogger("auth.sealing")
_CHECK_NAME = "secret_key_check"
_CHECK_PLAINTEXT = b"baas secret key check"
# Kept in the store, in plain, by versions before sealing; now derived from the key.
_OBSOLETE_SECRETS = ("oauth_cookie", "graphql_page_tokens")


@dataclass(frozen=True, slots=True)
class SealedField:
    """One sealed attribute of a table keyed by ``key`` (a string partition key)."""

    table: str
    key: str
    sealed: str
    legacy: str | None = None  # where a plain value was kept before sealing

    def seal(self, keys: SecretKeys, key_value: str, plaintext: bytes) -> str:
        return keys.seal(plaintext, self._context(key_value))

    def open(self, keys: SecretKeys, item: Item) -> bytes:
        """The plaintext of the item's sealed value; SecretKeyError if it has none."""
        value = item.get(self.sealed)
        if value is None:
            raise SecretKeyError(f"a secret in {self.table} is not sealed")
        return keys.open(value, self._context(str(item[self.key])))

    def _context(self, key_value: str) -> str:
        return f"{self.table}/{key_value}/{self.sealed}"


SIGNING_KEY_PRIVATE = SealedField(SIGNING_KEYS_TABLE, "kid", "sealed_private_jwk", "private_jwk")
ACCESS_KEY_SECRET = SealedField(ACCESS_KEYS_TABLE, "key_id", "sealed_secret", "secret")
TOTP_SECRET = SealedField(MFA_TABLE, "user_id", "sealed_totp_secret")
_KEY_CHECK = SealedField(SECRETS_TABLE, "name", "sealed_value")
_FIELDS = (SIGNING_KEY_PRIVATE, ACCESS_KEY_SECRET, TOTP_SECRET, _KEY_CHECK)


async def seal_store(store: DocumentStore, keys: SecretKeys, *, compact: bool = False) -> int:
    """Check the key, seal plain values (see the module docstring); return how many.

    ``compact`` asks for a compaction even when nothing was plain (the caller changed
    something else whose old bytes should go, such as the feed's images).
    """
    await _check_key(store, keys)
    sealed = 0
    for field in _FIELDS:
        if field.legacy is not None:
            sealed += await _seal_plain(store, keys, field)
    removed = await _delete_obsolete(store)
    if sealed or removed:
        _log.info("sealed %d secrets kept in plain text by an earlier version", sealed + removed)
    if sealed or removed or compact:
        await store.compact()
    return sealed


async def reseal_store(store: DocumentStore, keys: SecretKeys) -> int:
    """Seal every value sealed under a former key again, under the current one.

    Safe to run while API processes write (each value is replaced only if unchanged)
    and to run again; returns how many values were re-sealed. The store is compacted
    afterwards, so no copy under a former key stays on disk.
    """
    await _check_key(store, keys)
    resealed = 0
    for field in _FIELDS:
        async for item in _items(store, field.table):
            value = item.get(field.sealed)
            if value is None or keys.sealed_with(value) == keys.current_id:
                continue
            key_value = str(item[field.key])
            fresh = field.seal(keys, key_value, field.open(keys, item))
            if await _replace(store, field, key_value, (field.sealed, value), fresh):
                resealed += 1
    await store.compact()
    return resealed


async def _check_key(store: DocumentStore, keys: SecretKeys) -> None:
    key = {"name": _CHECK_NAME}
    item = await store.get_item(SECRETS_TABLE, key)
    if item is None:
        first = {
            **key,
            _KEY_CHECK.sealed: _KEY_CHECK.seal(keys, _CHECK_NAME, _CHECK_PLAINTEXT),
        }
        try:
            await store.put_item(
                SECRETS_TABLE, first, condition="attribute_not_exists(#n)", names={"#n": "name"}
            )
            return
        except ConditionalCheckFailedError:
            item = await store.get_item(SECRETS_TABLE, key)  # another process was first
        if item is None:  # pragma: no cover - written a moment ago, deleted since
            raise SecretKeyError("the secret-key check vanished; start again")
    try:
        opened = _KEY_CHECK.open(keys, item)
    except SecretKeyError:
        opened = None
    if opened != _CHECK_PLAINTEXT:
        sealed_with = _sealed_with(keys, item.get(_KEY_CHECK.sealed))
        given = ", ".join(keys.ids)
        raise SecretKeyError(
            f"it is not the key this store's secrets are sealed with "
            f"(sealed with key id {sealed_with}, given key id {given})"
        )


def _sealed_with(keys: SecretKeys, value: object) -> str:
    try:
        return keys.sealed_with(value)
    except SecretKeyError:
        return "unknown"


async def _seal_plain(store: DocumentStore, keys: SecretKeys, field: SealedField) -> int:
    assert field.legacy is not None  # noqa: S101 - only called for fields that had one
    count = 0
    async for item in _items(store, field.table):
        plain = item.get(field.legacy)
        if plain is None:
            continue
        key_value = str(item[field.key])
        raw = plain if isinstance(plain, bytes) else str(plain).encode()
        sealed = field.seal(keys, key_value, raw)
        if await _replace(store, field, key_value, (field.legacy, plain), sealed):
            count += 1
    return count


async def _replace(
    store: DocumentStore,
    field: SealedField,
    key_value: str,
    current: tuple[str, object],
    sealed: str,
) -> bool:
    """Put ``sealed`` in the field (dropping a plain attribute) if ``current`` still holds."""
    attribute, value = current
    remove = " REMOVE #cur" if attribute != field.sealed else ""
    names = {"#sealed": field.sealed, "#cur": attribute}
    try:
        await store.update_item(
            field.table,
            {field.key: key_value},
            f"SET #sealed = :sealed{remove}",
            condition="#cur = :current",
            names=names,
            values={":sealed": sealed, ":current": value},
        )
    except ConditionalCheckFailedError:
        return False  # changed meanwhile by another process, which sealed it itself
    return True


async def _delete_obsolete(store: DocumentStore) -> int:
    removed = 0
    for name in _OBSOLETE_SECRETS:
        if await store.delete_item(SECRETS_TABLE, {"name": name}, return_values="ALL_OLD"):
            removed += 1
    return removed


async def _items(store: DocumentStore, table: str) -> AsyncIterator[Item]:
    start: Item | None = None
    while True:
        page = await store.scan(table, exclusive_start_key=start)
        for item in page.items:
            yield item
        start = page.last_evaluated_key
        if start is None:
            return
