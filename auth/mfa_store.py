"""A user's TOTP authenticator and recovery codes, in ``_baas_mfa`` (one item per user).

The TOTP secret is stored *sealed* under the deployment's secret key (see
:mod:`auth.sealed_store`, ``TOTP_SECRET``): it is what an authenticator app holds, and
whoever reads it can make every future code (threat: a copied database or backup
defeating the second factor). The table's change feed carries keys only. Recovery
codes are kept as digests (:mod:`auth.recovery_codes`).

Every use is a conditional write, so each guarantee holds across concurrent requests
and API processes:

- a TOTP step is accepted only if it is later than the last accepted one
  (``totp_last_step < :step``): a code works once (RFC 6238 §5.2);
- a recovery code is removed only if it is still there: it works once;
- confirming an enrolment activates exactly the pending secret that was checked.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from auth.recovery_codes import RecoveryCodes
from auth.sealed_store import TOTP_SECRET
from auth.secret_keys import SecretKeys
from auth.system_tables import MFA_TABLE, number
from storage import DocumentStore, Item
from storage.errors import ConditionalCheckFailedError

__all__ = ["MfaRecord", "MfaRepository", "TotpState"]

TotpState = Literal["pending", "active"]


@dataclass(frozen=True, slots=True)
class MfaRecord:
    """What ``_baas_mfa`` holds for one user (the secret still sealed)."""

    user_id: str
    totp_state: TotpState | None = None
    sealed_secret: str | None = field(default=None, repr=False)
    last_step: int | None = None
    totp_enrolled_at: float | None = None
    recovery_salt: str | None = None
    recovery: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def totp_active(self) -> bool:
        return self.totp_state == "active"


class MfaRepository:
    """Reads and conditional writes of ``_baas_mfa``."""

    def __init__(self, store: DocumentStore, keys: SecretKeys) -> None:
        self._store = store
        self._keys = keys

    async def get(self, user_id: str) -> MfaRecord:
        item = await self._store.get_item(MFA_TABLE, {"user_id": user_id})
        return MfaRecord(user_id) if item is None else _from_item(item)

    def open_secret(self, record: MfaRecord) -> bytes:
        """The TOTP secret in plain, for the moment of a comparison."""
        return TOTP_SECRET.open(self._keys, {"user_id": record.user_id, **_sealed(record)})

    async def start_totp(self, user_id: str, secret: bytes) -> bool:
        """Keep ``secret`` as the pending authenticator (replacing a pending one); False
        if an active one is already set up (it must be removed first)."""
        sealed = TOTP_SECRET.seal(self._keys, user_id, secret)
        try:
            await self._store.update_item(
                MFA_TABLE,
                {"user_id": user_id},
                "SET #sealed = :sealed, #state = :pending REMOVE #step",
                condition="attribute_not_exists(#state) OR #state = :pending",
                names={"#sealed": TOTP_SECRET.sealed, "#state": "totp_state", "#step": "last_step"},
                values={":sealed": sealed, ":pending": "pending"},
            )
        except ConditionalCheckFailedError:
            return False
        return True

    async def activate_totp(
        self, record: MfaRecord, step: int, recovery: RecoveryCodes | None
    ) -> bool:
        """Activate the pending secret that was just checked (the code's ``step`` counts
        as used), with a new set of recovery codes if given; False if the pending secret
        changed or was activated meanwhile."""
        update = "SET #state = :active, #step = :step, #at = :now"
        values: dict[str, object] = {
            ":active": "active",
            ":pending": "pending",
            ":step": step,
            ":now": number(time.time()),
            ":sealed": record.sealed_secret,
        }
        if recovery is not None:
            update += ", recovery_salt = :salt, recovery = :codes"
            values |= {":salt": recovery.salt, ":codes": recovery.digests}
        try:
            await self._store.update_item(
                MFA_TABLE,
                {"user_id": record.user_id},
                update,
                condition="#state = :pending AND #sealed = :sealed",
                names={
                    "#state": "totp_state",
                    "#step": "last_step",
                    "#at": "totp_enrolled_at",
                    "#sealed": TOTP_SECRET.sealed,
                },
                values=values,
            )
        except ConditionalCheckFailedError:
            return False
        return True

    async def use_step(self, user_id: str, step: int) -> bool:
        """Accept a TOTP code of ``step``: only once, and only after every earlier one."""
        try:
            await self._store.update_item(
                MFA_TABLE,
                {"user_id": user_id},
                "SET #step = :step",
                condition="#state = :active AND (attribute_not_exists(#step) OR #step < :step)",
                names={"#state": "totp_state", "#step": "last_step"},
                values={":active": "active", ":step": step},
            )
        except ConditionalCheckFailedError:
            return False
        return True

    async def use_recovery_code(self, user_id: str, code_id: str, digest: str) -> bool:
        """Spend one recovery code; False if it was spent (or replaced) meanwhile."""
        try:
            await self._store.update_item(
                MFA_TABLE,
                {"user_id": user_id},
                "REMOVE recovery.#id",
                condition="recovery.#id = :digest",
                names={"#id": code_id},
                values={":digest": digest},
            )
        except ConditionalCheckFailedError:
            return False
        return True

    async def set_recovery_codes(self, user_id: str, recovery: RecoveryCodes) -> None:
        """Replace the user's recovery codes (the old ones stop working)."""
        await self._store.update_item(
            MFA_TABLE,
            {"user_id": user_id},
            "SET recovery_salt = :salt, recovery = :codes",
            values={":salt": recovery.salt, ":codes": recovery.digests},
        )

    async def remove_recovery_codes(self, user_id: str) -> None:
        await self._store.update_item(
            MFA_TABLE, {"user_id": user_id}, "REMOVE recovery_salt, recovery"
        )

    async def remove_totp(self, user_id: str, *, with_recovery_codes: bool) -> bool:
        """Remove the authenticator (and the recovery codes when no factor is left);
        False if there was none."""
        update = "REMOVE #state, #sealed, #step, #at"
        if with_recovery_codes:
            update += ", recovery_salt, recovery"
        try:
            await self._store.update_item(
                MFA_TABLE,
                {"user_id": user_id},
                update,
                condition="attribute_exists(#state)",
                names={
                    "#state": "totp_state",
                    "#sealed": TOTP_SECRET.sealed,
                    "#step": "last_step",
                    "#at": "totp_enrolled_at",
                },
            )
        except ConditionalCheckFailedError:
            return False
        return True

    async def delete(self, user_id: str) -> None:
        """Forget every second factor of the user (admin reset, account deletion)."""
        await self._store.delete_item(MFA_TABLE, {"user_id": user_id})


def _sealed(record: MfaRecord) -> Item:
    return {} if record.sealed_secret is None else {TOTP_SECRET.sealed: record.sealed_secret}


def _from_item(item: Item) -> MfaRecord:
    state = item.get("totp_state")
    sealed = item.get(TOTP_SECRET.sealed)
    step = item.get("last_step")
    enrolled = item.get("totp_enrolled_at")
    salt = item.get("recovery_salt")
    codes = item.get("recovery")
    return MfaRecord(
        user_id=str(item["user_id"]),
        totp_state=state if state in ("pending", "active") else None,  # type: ignore[arg-type]
        sealed_secret=sealed if isinstance(sealed, str) else None,
        last_step=int(step) if isinstance(step, Decimal) else None,
        totp_enrolled_at=float(enrolled) if isinstance(enrolled, Decimal) else None,
        recovery_salt=salt if isinstance(salt, str) else None,
        recovery=({str(k): str(v) for k, v in codes.items()} if isinstance(codes, Mapping) else {}),
    )
