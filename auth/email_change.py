"""Changing the email of an account: prove the new mailbox, tell the old one.

``request`` mails a code to the *new* address (the same answer whatever the address);
``confirm`` with that code moves the account to it, in one transaction: the old
address's claim is released, the new one claimed (only if nobody holds it), the
account's email set and verified. The old address then gets the ``email_changed``
notice (threat: a stranger who got into the session moving the account away unseen).

**No takeover.** An address that belongs to another account — verified or not — is
never taken: its holder gets the ``account_exists`` mail instead of a code, so no code
for it exists, and the transaction's condition refuses it anyway if it was claimed
meanwhile. The requester is told nothing either way (no enumeration). An anonymous
user's unverified claim is released, as a sign-up does.

A code is bound to the account *and* the new address (issued for ``<user>:<address>``),
so a code mailed for one change cannot confirm another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from auth.errors import InvalidRequestError
from auth.one_time_codes import OneTimeCodes
from auth.rate_limits import signup_address_key
from auth.system_tables import USER_EMAILS_TABLE, USERS_TABLE
from auth.users import User, email_key, normalize_email
from storage import DocumentStore, TransactDelete, TransactPut, TransactUpdate
from storage.errors import TransactionCanceledError

if TYPE_CHECKING:
    from auth.accounts import AccountService
    from auth.passwordless import PasswordlessService
    from auth.rate_limits import RateLimiter

__all__ = ["EmailChangeService"]


class EmailChangeService:
    """Email changes of signed-in users (after re-authentication and a step-up)."""

    def __init__(
        self,
        *,
        accounts: AccountService,
        store: DocumentStore,
        codes: OneTimeCodes,
        mail: PasswordlessService,
        limiter: RateLimiter,
    ) -> None:
        self._accounts = accounts
        self._users = accounts.users
        self._store = store
        self._codes = codes
        self._mail = mail
        self._limiter = limiter

    async def request(self, user: User, new_email: object, *, address: str) -> None:
        """Mail a code to ``new_email`` if it can become the account's address."""
        new = self._check(user, new_email)
        await self._limiter.hit(signup_address_key(address), self._accounts.config.request_policy)
        holder = await self._users.get_by_email(new)
        if holder is not None and not (holder.anonymous and not holder.email_verified):
            await self._mail.mail(new, "account_exists", email=new)
            return
        await self._mail.mail_code("change_email", _subject(user, new), new, "email_change_code")

    async def confirm(self, user: User, new_email: object, code: object, *, address: str) -> User:
        """Move the account to ``new_email`` with the code mailed there."""
        new = self._check(user, new_email)
        old = str(user.email)
        attempt = await self._accounts.code_attempt(address)  # before any comparison
        match = await self._codes.check("change_email", _subject(user, new), code)
        if match is None or not await self._codes.consume(match):
            raise self._accounts.code_failed("change_email", user)
        await attempt.succeeded()
        holder = await self._users.get_by_email(new)
        if holder is not None and holder.anonymous and not holder.email_verified:
            await self._users.release_email(holder)
        try:
            await self._store.transact_write(
                [
                    TransactDelete(
                        USER_EMAILS_TABLE,
                        {"email": email_key(old)},
                        condition="user_id = :uid",
                        values={":uid": user.user_id},
                    ),
                    TransactPut(
                        USER_EMAILS_TABLE,
                        {"email": email_key(new), "user_id": user.user_id},
                        condition="attribute_not_exists(email)",
                    ),
                    TransactUpdate(
                        USERS_TABLE,
                        {"user_id": user.user_id},
                        "SET email = :new, email_verified = :true",
                        condition="email = :old",
                        values={":new": new, ":old": old, ":true": True},
                    ),
                ]
            )
        except TransactionCanceledError:
            raise InvalidRequestError("This address cannot become the account's address.") from None
        self._accounts.events.record("email_changed", user_id=user.user_id, address=address)
        if user.email_verified:  # the notice goes to the old address, outside any budget
            self._accounts.notify_email_changed(old, new)
        changed = await self._users.get(user.user_id)
        if changed is None:
            raise InvalidRequestError("The account is gone.")
        return changed

    def _check(self, user: User, new_email: object) -> str:
        new = normalize_email(new_email)
        if user.email is None or user.anonymous:
            raise InvalidRequestError("This account has no email yet: use POST /auth/upgrade.")
        if email_key(new) == email_key(user.email):
            raise InvalidRequestError("That is already the account's address.")
        return new


def _subject(user: User, new: str) -> str:
    return f"{user.user_id}:{email_key(new)}"
