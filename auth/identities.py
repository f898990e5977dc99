"""Social-login identities: which account an (issuer, subject) pair signs in to.

An identity is keyed by the provider's issuer and its subject, never by email
(OpenID Connect Core §5.7: ``sub`` is the only stable, unique claim; an email can be
reassigned or unverified). Threat: account takeover through an email a provider
vouches for.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass

from auth.system_tables import IDENTITIES_TABLE, number
from storage import DocumentStore, Item, TransactConditionCheck, TransactDelete
from storage.errors import ConditionalCheckFailedError

__all__ = ["Identity", "IdentityRepository", "IdentityTakenError"]


class IdentityTakenError(Exception):
    """This provider identity is already linked to an account."""


@dataclass(frozen=True, slots=True)
class Identity:
    issuer: str
    subject: str
    user_id: str
    provider: str
    email: str | None = None
    created_at: float = 0.0

    @property
    def identity_id(self) -> str:
        """A public id of the identity (to unlink it), not its provider subject."""
        return hashlib.sha256(_key(self.issuer, self.subject).encode()).hexdigest()[:24]

    def public_view(self) -> dict[str, object]:
        return {
            "id": self.identity_id,
            "provider": self.provider,
            "email": self.email,
            "linked_at": int(self.created_at),
        }


def _key(issuer: str, subject: str) -> str:
    # JSON keeps the pair unambiguous whatever characters either part holds.
    return json.dumps([issuer, subject], separators=(",", ":"))


class IdentityRepository:
    """Identities in ``_baas_identities``."""

    def __init__(self, store: DocumentStore) -> None:
        self._store = store

    async def find(self, issuer: str, subject: str) -> Identity | None:
        item = await self._store.get_item(IDENTITIES_TABLE, {"identity": _key(issuer, subject)})
        return None if item is None else _from_item(item)

    async def link(
        self, issuer: str, subject: str, user_id: str, *, provider: str, email: str | None
    ) -> Identity:
        """Link the identity to ``user_id``; ``IdentityTakenError`` if already linked."""
        identity = Identity(issuer, subject, user_id, provider, email, time.time())
        item: Item = {
            "identity": _key(issuer, subject),
            "issuer": issuer,
            "subject": subject,
            "user_id": user_id,
            "provider": provider,
            "created_at": number(identity.created_at),
        }
        if email is not None:
            item["email"] = email
        try:
            await self._store.put_item(
                IDENTITIES_TABLE,
                item,
                condition="attribute_not_exists(#i)",
                names={"#i": "identity"},
            )
        except ConditionalCheckFailedError:
            raise IdentityTakenError from None
        return identity

    async def of_user(self, user_id: str) -> list[Identity]:
        page = await self._store.query(
            IDENTITIES_TABLE,
            "user_id = :uid",
            index="by_user",
            values={":uid": user_id},
        )
        return [_from_item(item) for item in page.items]

    def unlinking(self, identity: Identity) -> TransactDelete:
        """A transaction's removal of ``identity`` from its user (see
        :meth:`auth.sign_in_methods.SignInMethods.remove_ways`)."""
        return TransactDelete(
            IDENTITIES_TABLE,
            {"identity": _key(identity.issuer, identity.subject)},
            condition="user_id = :uid",
            values={":uid": identity.user_id},
        )

    def still_linked(self, identity: Identity) -> TransactConditionCheck:
        """A transaction's check that ``identity`` is still linked to its user."""
        return TransactConditionCheck(
            IDENTITIES_TABLE,
            {"identity": _key(identity.issuer, identity.subject)},
            "user_id = :uid",
            values={":uid": identity.user_id},
        )

    async def delete_all_of(self, user_id: str) -> None:
        for identity in await self.of_user(user_id):
            await self._store.delete_item(
                IDENTITIES_TABLE, {"identity": _key(identity.issuer, identity.subject)}
            )


def _from_item(item: Item) -> Identity:
    email = item.get("email")
    return Identity(
        issuer=str(item["issuer"]),
        subject=str(item["subject"]),
        user_id=str(item["user_id"]),
        provider=str(item["provider"]),
        email=email if isinstance(email, str) else None,
        created_at=float(str(item.get("created_at", 0))),
    )
