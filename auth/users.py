"""User accounts and where they are stored.

A :class:`User` is one item of ``_baas_users``. Its email, when it has one, is also
claimed in ``_baas_user_emails`` (key: the casefolded email) in the *same* transaction,
which is what makes emails unique across concurrent sign-ups and API processes.

An unverified account's ``password_hash`` is the one its *first* sign-up chose; later
sign-ups for the same email wait beside it in ``pending_password_hashes`` (the newest
4) and never replace it. Verification activates the one its holder proves (see
:mod:`auth.accounts`).

``not_before`` is the per-user revocation time: access tokens issued before it are
refused (see :mod:`auth.revocation`). Setting it also writes ``_baas_revocations``,
the small table every process polls, in the same transaction.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Literal

from auth.errors import InvalidRequestError
from auth.system_tables import (
    REVOCATIONS_TABLE,
    TTL_ATTRIBUTE,
    USER_EMAILS_TABLE,
    USERS_TABLE,
    number,
)
from storage import DocumentStore, Item, TransactDelete, TransactPut, TransactUpdate
from storage.errors import ConditionalCheckFailedError, TransactionCanceledError

__all__ = ["EmailTakenError", "User", "UserRepository", "UserStatus", "normalize_email"]

UserStatus = Literal["enabled", "disabled"]

_MAX_EMAIL = 254  # RFC 5321 §4.5.3.1.3 path limit, minus the angle brackets
# Deliberately loose (one @, no spaces, a dot in the domain): the verification mail is
# the real test of an address; a strict regex only refuses valid exotic addresses.
_EMAIL = re.compile(r"[^\s@]{1,64}@[^\s@]+\.[^\s@]+")
_GROUP = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
MAX_GROUPS = 50
_PENDING = "pending_password_hashes"
_MAX_REVOKE_ATTEMPTS = 5


def next_not_before(moment: float, previous: float | None) -> float:
    """The not-before time of a revocation at ``moment``: the next whole second, and
    past the ``previous`` one (tokens issued since that one carry it as their ``iat``)."""
    candidate = float(int(moment) + 1)
    return candidate if previous is None else max(candidate, previous + 1)


class EmailTakenError(Exception):
    """Another account already claims this email (internal: never shown as such)."""


def normalize_email(raw: object) -> str:
    """The email as given (trimmed), or ``InvalidRequestError`` if it is not one."""
    if not isinstance(raw, str):
        raise InvalidRequestError("Give an email address.")
    email = raw.strip()
    if len(email) > _MAX_EMAIL or not _EMAIL.fullmatch(email):
        raise InvalidRequestError("The email address is not valid.")
    return email


def email_key(email: str) -> str:
    """The uniqueness key of an email: casefolded, so Bob@x and bob@x are one account."""
    return email.casefold()


def validate_groups(groups: object) -> tuple[str, ...]:
    """Group names from input: a list of up to 50 short names of [A-Za-z0-9_.-]."""
    if not isinstance(groups, list) or len(groups) > MAX_GROUPS:
        raise InvalidRequestError(f"Give groups as a list of at most {MAX_GROUPS} names.")
    if not all(isinstance(name, str) and _GROUP.fullmatch(name) for name in groups):
        raise InvalidRequestError("A group name has 1 to 64 characters among A-Z a-z 0-9 _ . -")
    return tuple(sorted(set(groups)))


@dataclass(frozen=True, slots=True)
class User:
    """One account. ``password_hash`` is None for social-only and anonymous users."""

    user_id: str
    email: str | None = None
    email_verified: bool = False
    password_hash: str | None = field(default=None, repr=False)  # threat: hashes in logs
    groups: tuple[str, ...] = ()
    status: UserStatus = "enabled"
    anonymous: bool = False
    created_at: float = 0.0
    not_before: float | None = None
    # Later sign-ups of an unverified email, oldest first (see the module docstring).
    pending_password_hashes: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def new(cls, **fields: object) -> User:
        """A new user with a fresh random id (a UUID, like Cognito's ``sub``)."""
        return cls(user_id=str(uuid.uuid4()), created_at=time.time(), **fields)  # type: ignore[arg-type]

    @property
    def enabled(self) -> bool:
        return self.status == "enabled"

    def public_view(self) -> dict[str, object]:
        """What the user (or an admin) may see: never the password hash."""
        return {
            "id": self.user_id,
            "email": self.email,
            "email_verified": self.email_verified,
            "groups": list(self.groups),
            "status": self.status,
            "anonymous": self.anonymous,
            "has_password": self.password_hash is not None,
            "created_at": int(self.created_at),
        }


class UserRepository:
    """Users in ``_baas_users``, emails claimed in ``_baas_user_emails``."""

    def __init__(self, store: DocumentStore, *, revocation_retention: float) -> None:
        self._store = store
        # How long a revocation entry must live: the longest access-token life + leeway.
        self._revocation_retention = revocation_retention

    async def get(self, user_id: str) -> User | None:
        item = await self._store.get_item(USERS_TABLE, {"user_id": user_id})
        return None if item is None else _from_item(item)

    async def get_by_email(self, email: str) -> User | None:
        claim = await self._store.get_item(USER_EMAILS_TABLE, {"email": email_key(email)})
        if claim is None:
            return None
        return await self.get(str(claim["user_id"]))

    async def create(self, user: User) -> None:
        """Insert ``user`` and claim its email; ``EmailTakenError`` if the email is taken."""
        writes: list[TransactPut] = [
            TransactPut(USERS_TABLE, _to_item(user), condition="attribute_not_exists(user_id)")
        ]
        if user.email is not None:
            writes.append(self._claim(user.email, user.user_id))
        await self._transact(writes)

    async def claim_email(self, user: User, email: str) -> User:
        """Give ``user`` (an anonymous one being upgraded) an unverified ``email``."""
        updated = replace(user, email=email, email_verified=False)
        await self._transact(
            [
                self._claim(email, user.user_id),
                TransactPut(USERS_TABLE, _to_item(updated), condition="attribute_exists(user_id)"),
            ]
        )
        return updated

    async def release_email(self, user: User) -> User:
        """Take an *unverified* email back from ``user`` (a stale anonymous upgrade).

        Threat: an anonymous user claiming someone else's email and waiting for the
        owner to sign up and verify it, which would hand the attacker's session an
        account the owner then uses (pre-account hijacking).
        """
        if user.email is None:
            return user
        await self._store.transact_write(
            [
                TransactDelete(
                    USER_EMAILS_TABLE,
                    {"email": email_key(user.email)},
                    condition="user_id = :uid",
                    values={":uid": user.user_id},
                ),
                TransactUpdate(
                    USERS_TABLE,
                    {"user_id": user.user_id},
                    "REMOVE email SET email_verified = :false",
                    condition="email_verified = :false",
                    values={":false": False},
                ),
            ]
        )
        return replace(user, email=None, email_verified=False)

    async def save(self, user: User) -> None:
        """Store ``user``'s mutable fields (it must exist).

        Email and ``not_before`` are left alone: they change only through
        :meth:`claim_email` and :meth:`revoke_tokens`, so a stale copy of the user can
        never undo a revocation.
        """
        update = "SET #ev = :ev, #g = :g, #s = :s, #a = :a"
        values: dict[str, object] = {
            ":ev": user.email_verified,
            ":g": list(user.groups),
            ":s": user.status,
            ":a": user.anonymous,
        }
        if user.password_hash is None:
            update += " REMOVE #ph"
        else:
            update += ", #ph = :ph"
            values[":ph"] = user.password_hash
        await self._store.update_item(
            USERS_TABLE,
            {"user_id": user.user_id},
            update,
            condition="attribute_exists(user_id)",
            names={
                "#ev": "email_verified",
                "#g": "groups",
                "#s": "status",
                "#a": "anonymous",
                "#ph": "password_hash",
            },
            values=values,
        )

    async def add_pending_password(self, user: User, password_hash: str, *, keep: int) -> bool:
        """Queue a later sign-up's password beside an unverified account's own (the newest
        ``keep`` stay); False if the account was verified (or deleted) meanwhile."""
        try:
            await self._store.update_item(
                USERS_TABLE,
                {"user_id": user.user_id},
                "SET #p = list_append(if_not_exists(#p, :empty), :new)",
                condition="attribute_exists(user_id) AND email_verified = :false",
                names={"#p": _PENDING},
                values={":empty": [], ":new": [password_hash], ":false": False},
            )
        except ConditionalCheckFailedError:
            return False
        # Appends are atomic; trimming afterwards is too (each removal is conditional on
        # the list still being too long), so concurrent sign-ups never lose a newer entry.
        while True:
            try:
                await self._store.update_item(
                    USERS_TABLE,
                    {"user_id": user.user_id},
                    "REMOVE #p[0]",
                    condition="size(#p) > :keep",
                    names={"#p": _PENDING},
                    values={":keep": keep},
                )
            except ConditionalCheckFailedError:
                return True

    async def activate_password(self, user: User, password_hash: str) -> User | None:
        """Verify ``user``'s email with ``password_hash`` as its password (one it signed up
        with) and drop the pending ones; None if it was verified meanwhile."""
        try:
            item = await self._store.update_item(
                USERS_TABLE,
                {"user_id": user.user_id},
                "SET password_hash = :h, email_verified = :true, anonymous = :false REMOVE #p",
                condition="attribute_exists(user_id) AND email_verified = :false",
                names={"#p": _PENDING},
                values={":h": password_hash, ":true": True, ":false": False},
                return_values="ALL_NEW",
            )
        except ConditionalCheckFailedError:
            return None
        return None if item is None else _from_item(item)

    async def verify_mailbox_only(self, user: User) -> User | None:
        """Verify an unverified account's email by a code alone (sign-in by email): no
        password anyone chose before stays, nor any waiting sign-up (threat: a stranger's
        sign-up with the address becoming the holder's password). None if it was
        verified meanwhile."""
        try:
            item = await self._store.update_item(
                USERS_TABLE,
                {"user_id": user.user_id},
                "SET email_verified = :true, anonymous = :false REMOVE password_hash, #p",
                condition="attribute_exists(user_id) AND email_verified = :false",
                names={"#p": _PENDING},
                values={":true": True, ":false": False},
                return_values="ALL_NEW",
            )
        except ConditionalCheckFailedError:
            return None
        return None if item is None else _from_item(item)

    async def set_password(self, user: User, password_hash: str) -> User:
        """Set the password after a reset: the code proved the mailbox, so the email is
        verified too, and no sign-up still waiting can be activated any more."""
        item = await self._store.update_item(
            USERS_TABLE,
            {"user_id": user.user_id},
            "SET password_hash = :h, email_verified = :true REMOVE #p",
            condition="attribute_exists(user_id)",
            names={"#p": _PENDING},
            values={":h": password_hash, ":true": True},
            return_values="ALL_NEW",
        )
        return user if item is None else _from_item(item)

    async def revoke_tokens(self, user: User, *, now: float | None = None) -> User:
        """Set ``not_before``: every access token issued up to now is refused.

        ``iat`` has one-second resolution, so the time is rounded *up* to the next whole
        second (a token issued earlier in this second must die too: fail closed), and new
        tokens for the user are issued no earlier than it (see ``TokenGrants``). Hence
        also: a second revocation in the same second must move it one more second, or
        the tokens issued since the first (at that second) would survive the second one
        (threat: a group removal right after a group change not closing a connection).
        Read-modify-write with a condition, so concurrent revocations each move it.
        """
        moment = time.time() if now is None else now
        attempt = 0
        while True:
            attempt += 1
            item = await self._store.get_item(USERS_TABLE, {"user_id": user.user_id})
            previous = None if item is None else item.get("not_before")
            not_before = next_not_before(moment, None if previous is None else float(str(previous)))
            if previous is None:
                unchanged = "attribute_exists(user_id) AND attribute_not_exists(not_before)"
                values: dict[str, object] = {":nb": number(not_before)}
            else:
                unchanged = "attribute_exists(user_id) AND not_before = :previous"
                values = {":nb": number(not_before), ":previous": previous}
            try:
                await self._store.transact_write(
                    [
                        TransactUpdate(
                            USERS_TABLE,
                            {"user_id": user.user_id},
                            "SET not_before = :nb",
                            condition=unchanged,
                            values=values,
                        ),
                        self._revocation_entry(user.user_id, not_before),
                    ]
                )
            except TransactionCanceledError:
                if item is None or attempt == _MAX_REVOKE_ATTEMPTS:
                    raise
                continue  # revoked meanwhile by someone else: move past theirs too
            return replace(user, not_before=not_before)

    async def delete(self, user: User) -> float:
        """Delete ``user`` and free its email; its tokens die through a revocation entry
        (whose not-before time is returned)."""
        not_before = next_not_before(time.time(), user.not_before)
        writes: list[TransactPut | TransactDelete] = [
            TransactDelete(USERS_TABLE, {"user_id": user.user_id}),
            self._revocation_entry(user.user_id, not_before),
        ]
        if user.email is not None:
            writes.append(
                TransactDelete(
                    USER_EMAILS_TABLE,
                    {"email": email_key(user.email)},
                    condition="user_id = :uid",
                    values={":uid": user.user_id},
                )
            )
        await self._store.transact_write(writes)
        return not_before

    async def any_in_group(self, group: str) -> bool:
        """Whether an enabled user is in ``group`` (a scan: for rare questions only)."""
        start: Item | None = None
        while True:
            page = await self._store.scan(
                USERS_TABLE,
                filter="contains(#groups, :group) AND #status <> :disabled",
                names={"#groups": "groups", "#status": "status"},
                values={":group": group, ":disabled": "disabled"},
                projection="user_id",
                exclusive_start_key=start,
            )
            if page.items:
                return True
            if page.last_evaluated_key is None:
                return False
            start = page.last_evaluated_key

    async def list_page(
        self, *, limit: int, start: str | None = None, email_contains: str | None = None
    ) -> tuple[list[User], str | None]:
        """One page of users (in storage order) and the cursor of the next, or None.

        With ``email_contains``, only the users whose email holds it; as with any
        filtered scan, a page may hold fewer than ``limit`` users and still have a next.
        """
        page = await self._store.scan(
            USERS_TABLE,
            limit=limit,
            exclusive_start_key={"user_id": start} if start else None,
            filter="contains(email, :part)" if email_contains else None,
            values={":part": email_contains.lower()} if email_contains else None,
        )
        after = page.last_evaluated_key
        return [_from_item(item) for item in page.items], (str(after["user_id"]) if after else None)

    def _claim(self, email: str, user_id: str) -> TransactPut:
        return TransactPut(
            USER_EMAILS_TABLE,
            {"email": email_key(email), "user_id": user_id},
            condition="attribute_not_exists(email)",
        )

    def _revocation_entry(self, user_id: str, not_before: float) -> TransactPut:
        expires = Decimal(int(not_before + self._revocation_retention) + 1)
        return TransactPut(
            REVOCATIONS_TABLE,
            {"user_id": user_id, "not_before": number(not_before), TTL_ATTRIBUTE: expires},
        )

    async def _transact(self, writes: Iterable[TransactPut]) -> None:
        try:
            await self._store.transact_write(list(writes))
        except TransactionCanceledError as exc:
            codes = [reason.code for reason in exc.reasons]
            if "ConditionalCheckFailed" in codes:
                raise EmailTakenError from None
            raise
        except ConditionalCheckFailedError:
            raise EmailTakenError from None


def _to_item(user: User) -> Item:
    item: Item = {
        "user_id": user.user_id,
        "email_verified": user.email_verified,
        "groups": list(user.groups),
        "status": user.status,
        "anonymous": user.anonymous,
        "created_at": number(user.created_at),
    }
    if user.email is not None:
        item["email"] = user.email
    if user.password_hash is not None:
        item["password_hash"] = user.password_hash
    if user.not_before is not None:
        item["not_before"] = number(user.not_before)
    if user.pending_password_hashes:
        item[_PENDING] = list(user.pending_password_hashes)
    return item


def _from_item(item: Item) -> User:
    groups = item.get("groups")
    not_before = item.get("not_before")
    email = item.get("email")
    password_hash = item.get("password_hash")
    pending = item.get(_PENDING)
    return User(
        user_id=str(item["user_id"]),
        email=email if isinstance(email, str) else None,
        email_verified=item.get("email_verified") is True,
        password_hash=password_hash if isinstance(password_hash, str) else None,
        groups=tuple(str(g) for g in groups) if isinstance(groups, list) else (),
        status="disabled" if item.get("status") == "disabled" else "enabled",
        anonymous=item.get("anonymous") is True,
        created_at=float(str(item.get("created_at", 0))),
        not_before=None if not_before is None else float(str(not_before)),
        pending_password_hashes=(
            tuple(h for h in pending if isinstance(h, str)) if isinstance(pending, list) else ()
        ),
    )
