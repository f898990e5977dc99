"""Refresh-token families persisted in ``_baas_refresh_tokens``.

Every state change is a conditional write on ``generation`` (optimistic locking): of
two requests racing with the same refresh token, exactly one write succeeds; the other
gets :class:`StaleFamilyError`, re-reads, finds its token consumed and treats it as a
reuse (see :mod:`auth.refresh_tokens`).

Each family also has a ``session_id`` (a hash of the family id) that the owner sees
when listing sessions and that access tokens carry as their ``sid`` claim: the family id
is part of the refresh-token text, so it is never shown, logged or accepted from a
client on its own.

Revoking a family also writes ``_baas_session_revocations`` in the same transaction:
that small table (entries live as long as an access token could) is what every API
process follows to refuse the session's access tokens at once (see
:mod:`auth.revocation`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from auth.refresh_tokens import RefreshTokenFamily, RevocationReason
from auth.system_tables import (
    REFRESH_TOKENS_TABLE,
    SESSION_REVOCATIONS_TABLE,
    TTL_ATTRIBUTE,
    number,
)
from storage import DocumentStore, Item, TransactPut, TransactUpdate
from storage.errors import ConditionalCheckFailedError, TransactionCanceledError

__all__ = ["RefreshTokenRepository", "SessionRecord", "StaleFamilyError", "session_id_of"]

_MAX_USER_AGENT = 200
_SESSIONS_PER_PAGE = 100
# Attributes a family may lack; a state change that clears one removes it.
_OPTIONAL = (
    "revoked_reason",
    "previous_token_id",
    "previous_token_hash",
    "rotated_at",
    "sibling_token_id",
    "sibling_token_hash",
    "amr",
)


class StaleFamilyError(Exception):
    """The family changed since it was read (another request rotated or revoked it)."""


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A family with what its owner sees about it."""

    family: RefreshTokenFamily
    session_id: str
    user_agent: str

    def public_view(self) -> dict[str, object]:
        family = self.family
        return {
            "id": self.session_id,
            "created_at": int(family.created_at),
            "last_used_at": int(family.last_used_at),
            "expires_at": int(min(family.idle_expires_at, family.absolute_expires_at)),
            "user_agent": self.user_agent,
        }


def session_id_of(family_id: str) -> str:
    """The public id of a session: not the family id, which is part of the credential."""
    return hashlib.sha256(f"session:{family_id}".encode()).hexdigest()[:32]


class RefreshTokenRepository:
    """Families in the document store."""

    def __init__(self, store: DocumentStore, *, revocation_retention: float) -> None:
        self._store = store
        # How long a session revocation must be remembered: an access token's life + leeway.
        self._revocation_retention = revocation_retention

    async def insert(self, family: RefreshTokenFamily, *, user_agent: str = "") -> None:
        item = _to_item(family)
        item["session_id"] = session_id_of(family.family_id)
        item["user_agent"] = user_agent[:_MAX_USER_AGENT]
        await self._store.put_item(
            REFRESH_TOKENS_TABLE, item, condition="attribute_not_exists(family_id)"
        )

    async def get(self, family_id: str) -> RefreshTokenFamily | None:
        item = await self._store.get_item(REFRESH_TOKENS_TABLE, {"family_id": family_id})
        return None if item is None else _from_item(item)

    async def replace(self, family: RefreshTokenFamily, *, expected_generation: int) -> None:
        """Store the next state of a family, if nobody changed it since it was read."""
        fields = _to_item(family)
        del fields["family_id"]
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values: dict[str, object] = {f":v{i}": value for i, value in enumerate(fields.values())}
        values[":expected"] = expected_generation
        update = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields)))
        absent = [name for name in _OPTIONAL if name not in fields]
        if absent:
            names.update({f"#r{i}": name for i, name in enumerate(absent)})
            update += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(absent)))
        try:
            await self._store.update_item(
                REFRESH_TOKENS_TABLE,
                {"family_id": family.family_id},
                update,
                condition="#gen = :expected",
                names={**names, "#gen": "generation"},
                values=values,
            )
        except ConditionalCheckFailedError:
            raise StaleFamilyError from None

    async def mark_revoked(
        self, family: RefreshTokenFamily, reason: RevocationReason, *, now: float
    ) -> bool:
        """Revoke a family whatever its generation (revocation only ever tightens), and
        record its session as revoked for every API process, in one transaction.

        Returns False when it was already revoked or does not exist.
        """
        session_id = session_id_of(family.family_id)
        expires = Decimal(int(now + self._revocation_retention) + 1)
        try:
            await self._store.transact_write(
                [
                    TransactUpdate(
                        REFRESH_TOKENS_TABLE,
                        {"family_id": family.family_id},
                        "SET #revoked = :true, #reason = :reason ADD #gen :one",
                        condition="attribute_exists(family_id) AND #revoked = :false",
                        names={
                            "#revoked": "revoked",
                            "#reason": "revoked_reason",
                            "#gen": "generation",
                        },
                        values={":true": True, ":false": False, ":reason": reason, ":one": 1},
                    ),
                    TransactPut(
                        SESSION_REVOCATIONS_TABLE,
                        {
                            "session_id": session_id,
                            "user_id": family.subject,
                            "revoked_at": number(now),
                            "reason": reason,
                            TTL_ATTRIBUTE: expires,
                        },
                    ),
                ]
            )
        except TransactionCanceledError as exc:
            if any(reason.code == "ConditionalCheckFailed" for reason in exc.reasons):
                return False
            raise
        return True

    async def sessions_of(self, subject: str, *, active_at: float) -> list[SessionRecord]:
        """The subject's live (unrevoked, unexpired) sessions, newest first."""
        records: list[SessionRecord] = []
        start: Item | None = None
        while True:
            page = await self._store.query(
                REFRESH_TOKENS_TABLE,
                "#subject = :subject",
                index="by_subject",
                filter="#revoked = :false",
                names={"#subject": "subject", "#revoked": "revoked"},
                values={":subject": subject, ":false": False},
                forward=False,
                limit=_SESSIONS_PER_PAGE,
                exclusive_start_key=start,
            )
            for item in page.items:
                family = _from_item(item)
                if not family.is_expired(active_at):
                    records.append(
                        SessionRecord(
                            family, str(item["session_id"]), str(item.get("user_agent", ""))
                        )
                    )
            start = page.last_evaluated_key
            if start is None:
                return records


def _to_item(family: RefreshTokenFamily) -> Item:
    item: Item = {
        "family_id": family.family_id,
        "subject": family.subject,
        "current_token_id": family.current_token_id,
        "current_token_hash": family.current_token_hash,
        "generation": Decimal(family.generation),
        "created_at": number(family.created_at),
        "last_used_at": number(family.last_used_at),
        "idle_expires_at": number(family.idle_expires_at),
        "absolute_expires_at": number(family.absolute_expires_at),
        "revoked": family.revoked,
        # The store's TTL sweeper removes a family once it can never be used again.
        TTL_ATTRIBUTE: Decimal(int(family.absolute_expires_at) + 1),
    }
    optional: dict[str, str | Decimal | None] = {
        "revoked_reason": family.revoked_reason,
        "previous_token_id": family.previous_token_id,
        "previous_token_hash": family.previous_token_hash,
        "rotated_at": None if family.rotated_at is None else number(family.rotated_at),
        "sibling_token_id": family.sibling_token_id,
        "sibling_token_hash": family.sibling_token_hash,
        "client_id": family.client_id,
        "scope": family.scope,
    }
    item.update({name: value for name, value in optional.items() if value is not None})
    if family.amr:
        item["amr"] = list(family.amr)
    return item


def _from_item(item: Item) -> RefreshTokenFamily:
    reason = item.get("revoked_reason")
    rotated_at = item.get("rotated_at")
    return RefreshTokenFamily(
        family_id=str(item["family_id"]),
        subject=str(item["subject"]),
        current_token_id=str(item["current_token_id"]),
        current_token_hash=str(item["current_token_hash"]),
        generation=int(str(item["generation"])),
        created_at=float(str(item["created_at"])),
        last_used_at=float(str(item["last_used_at"])),
        idle_expires_at=float(str(item["idle_expires_at"])),
        absolute_expires_at=float(str(item["absolute_expires_at"])),
        revoked=item.get("revoked") is True,
        revoked_reason=cast("RevocationReason", reason) if isinstance(reason, str) else None,
        previous_token_id=_text(item, "previous_token_id"),
        previous_token_hash=_text(item, "previous_token_hash"),
        rotated_at=None if rotated_at is None else float(str(rotated_at)),
        sibling_token_id=_text(item, "sibling_token_id"),
        sibling_token_hash=_text(item, "sibling_token_hash"),
        amr=tuple(str(a) for a in amr) if isinstance(amr := item.get("amr"), list) else (),
        client_id=_text(item, "client_id"),
        scope=_text(item, "scope"),
    )


def _text(item: Item, name: str) -> str | None:
    value = item.get(name)
    return value if isinstance(value, str) else None
