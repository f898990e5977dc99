"""Passkeys (WebAuthn credentials) in ``_baas_passkeys``, one item per credential.

A passkey's public key is no secret (it only verifies), so nothing here is sealed; what
matters is that a credential belongs to one user (the credential id is the key, claimed
with a conditional put) and that its signature counter only moves forward: each use is
a conditional write on the counter read before it, so two uses of one assertion cannot
both pass, and a cloned authenticator that replays an old counter is refused (WebAuthn
Level 3, §6.1.1 "Signature Counter Considerations").
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from decimal import Decimal

from auth.system_tables import PASSKEYS_TABLE, number
from storage import DocumentStore, Item, TransactConditionCheck, TransactDelete
from storage.errors import ConditionalCheckFailedError

__all__ = ["Passkey", "PasskeyRepository", "PasskeyTakenError"]


class PasskeyTakenError(Exception):
    """This credential id is already registered (to this or another account)."""


@dataclass(frozen=True, slots=True)
class Passkey:
    credential_id: str  # base64url, as WebAuthn clients send it
    user_id: str
    public_key: bytes = field(repr=False)
    sign_count: int
    name: str = "Passkey"
    created_at: float = 0.0
    last_used_at: float | None = None
    backed_up: bool = False
    transports: tuple[str, ...] = ()

    def public_view(self) -> dict[str, object]:
        return {
            "id": self.credential_id,
            "name": self.name,
            "created_at": int(self.created_at),
            "last_used_at": None if self.last_used_at is None else int(self.last_used_at),
            "backed_up": self.backed_up,
        }


class PasskeyRepository:
    def __init__(self, store: DocumentStore) -> None:
        self._store = store

    async def add(self, passkey: Passkey) -> None:
        item: Item = {
            "credential_id": passkey.credential_id,
            "user_id": passkey.user_id,
            "public_key": passkey.public_key,
            "sign_count": Decimal(passkey.sign_count),
            "name": passkey.name,
            "created_at": number(passkey.created_at or time.time()),
            "backed_up": passkey.backed_up,
            "transports": list(passkey.transports),
        }
        try:
            await self._store.put_item(
                PASSKEYS_TABLE, item, condition="attribute_not_exists(credential_id)"
            )
        except ConditionalCheckFailedError:
            raise PasskeyTakenError from None

    async def get(self, credential_id: str) -> Passkey | None:
        item = await self._store.get_item(PASSKEYS_TABLE, {"credential_id": credential_id})
        return None if item is None else _from_item(item)

    async def of_user(self, user_id: str) -> list[Passkey]:
        page = await self._store.query(
            PASSKEYS_TABLE, "user_id = :uid", index="by_user", values={":uid": user_id}
        )
        return sorted((_from_item(item) for item in page.items), key=lambda p: p.created_at)

    async def count(self, user_id: str) -> int:
        return len(await self.of_user(user_id))

    async def used(self, passkey: Passkey, new_count: int) -> bool:
        """Record a use: the counter moves from what was read to ``new_count``; False if
        another use got there first."""
        try:
            await self._store.update_item(
                PASSKEYS_TABLE,
                {"credential_id": passkey.credential_id},
                "SET sign_count = :new, last_used_at = :now",
                condition="user_id = :uid AND sign_count = :old",
                values={
                    ":new": new_count,
                    ":old": passkey.sign_count,
                    ":uid": passkey.user_id,
                    ":now": number(time.time()),
                },
            )
        except ConditionalCheckFailedError:
            return False
        return True

    def removal(self, passkey: Passkey) -> TransactDelete:
        """A transaction's removal of ``passkey`` from its user (see
        :meth:`auth.sign_in_methods.SignInMethods.remove_ways`)."""
        return TransactDelete(
            PASSKEYS_TABLE,
            {"credential_id": passkey.credential_id},
            condition="user_id = :uid",
            values={":uid": passkey.user_id},
        )

    def still_registered(self, passkey: Passkey) -> TransactConditionCheck:
        """A transaction's check that ``passkey`` is still its user's."""
        return TransactConditionCheck(
            PASSKEYS_TABLE,
            {"credential_id": passkey.credential_id},
            "user_id = :uid",
            values={":uid": passkey.user_id},
        )

    async def forget(self, user_id: str) -> None:
        """Remove all of a closed account's passkeys."""
        for passkey in await self.of_user(user_id):
            removal = self.removal(passkey)
            with contextlib.suppress(ConditionalCheckFailedError):
                await self._store.delete_item(
                    removal.table, removal.key, condition=removal.condition, values=removal.values
                )


def _from_item(item: Item) -> Passkey:
    last = item.get("last_used_at")
    transports = item.get("transports")
    key = item["public_key"]
    return Passkey(
        credential_id=str(item["credential_id"]),
        user_id=str(item["user_id"]),
        public_key=bytes(key) if isinstance(key, bytes | bytearray) else b"",
        sign_count=int(item["sign_count"]) if isinstance(item["sign_count"], Decimal) else 0,
        name=str(item.get("name", "Passkey")),
        created_at=float(str(item.get("created_at", 0))),
        last_used_at=None if last is None else float(str(last)),
        backed_up=item.get("backed_up") is True,
        transports=tuple(str(t) for t in transports) if isinstance(transports, list) else (),
    )
