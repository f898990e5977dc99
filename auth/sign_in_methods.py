"""The ways into an account, and removing one — never the last one.

A way in is the account's password, a linked identity, a passkey, or its verified email
*when sign-in by email is on* (``BAAS_AUTH_EMAIL_SIGNIN``; with it off, the address
recovers the account by a password reset but signs nobody in, and does not count). :meth:`SignInMethods.ways_in` is that one rule, and
:meth:`SignInMethods.remove_ways` the one check that every removal of a way in goes
through: unlinking an identity and removing a passkey (each by the user or an admin),
and an admin's MFA reset (which removes every passkey). The removal is written in the
*same transaction* as a condition on another way's item, so two removals at once (an
identity and a passkey, or two identities) cannot both succeed and leave the account
with none (threat: a user locked out of their own account, by a race or by a stolen
session).

The user's own unlink (``POST /auth/identities/<id>/unlink``, after re-authentication and
the second factor) and an admin's (``DELETE /auth/admin/users/<id>/identities/<id>``) are
this one mechanism: the same refusal, the same ``identity_unlinked`` security event (with
the admin as ``actor_id``) and the same notice mail to the account's verified address.
Sessions are not ended: the unlinked identity can start no new one, and the notice tells
the owner what to do if it was not them (as Supabase's unlink and Cognito's
AdminDisableProviderForUser, which sign nobody out).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from auth.errors import InvalidRequestError, ItemNotFoundError
from auth.system_tables import USERS_TABLE
from storage import DocumentStore, TransactConditionCheck, TransactDelete
from storage.errors import TransactionCanceledError

if TYPE_CHECKING:
    from auth.accounts import AccountService
    from auth.identities import Identity, IdentityRepository
    from auth.passkey_store import PasskeyRepository
    from auth.users import User

__all__ = ["SignInMethods"]

_LAST_WAY = (
    "This is the account's only way to sign in: set a password, or link another "
    "sign-in, before removing it."
)


class SignInMethods:
    """The ways into a user's account; unlinking an identity, and removing any way in
    while another stays."""

    def __init__(
        self,
        store: DocumentStore,
        identities: IdentityRepository,
        passkeys: PasskeyRepository,
        accounts: AccountService,
        *,
        email_sign_in: bool,
    ) -> None:
        self._store = store
        self._identities = identities
        self._passkeys = passkeys
        self._accounts = accounts
        self._email_sign_in = email_sign_in

    async def identities(self, user_id: str) -> list[Identity]:
        return await self._identities.of_user(user_id)

    async def ways_in(self, user: User) -> list[TransactConditionCheck]:
        """Each way into ``user``'s account, as a transaction's check that it is still
        there: the password, the verified email (only while sign-in by email is on),
        each linked identity, each passkey."""
        key = {"user_id": user.user_id}
        ways: list[TransactConditionCheck] = []
        if user.password_hash is not None:
            ways.append(TransactConditionCheck(USERS_TABLE, key, "attribute_exists(password_hash)"))
        if self._email_sign_in and user.email is not None and user.email_verified:
            ways.append(
                TransactConditionCheck(
                    USERS_TABLE, key, "email_verified = :true", values={":true": True}
                )
            )
        linked = await self._identities.of_user(user.user_id)
        ways.extend(self._identities.still_linked(identity) for identity in linked)
        registered = await self._passkeys.of_user(user.user_id)
        ways.extend(self._passkeys.still_registered(passkey) for passkey in registered)
        return ways

    async def remove_ways(self, user: User, removals: Sequence[TransactDelete]) -> bool:
        """Delete some of ``user``'s ways in (each removal on that way's own item) in one
        transaction with a check that another way stays; False if one of the items was
        already gone. ``InvalidRequestError`` if no other way stays, now or by the time
        the transaction runs (a concurrent removal took it)."""
        removed = [(removal.table, removal.key) for removal in removals]
        others = [way for way in await self.ways_in(user) if (way.table, way.key) not in removed]
        if not others:
            raise InvalidRequestError(_LAST_WAY)
        try:
            await self._store.transact_write([*removals, others[0]])
        except TransactionCanceledError as exc:
            if exc.reasons[-1].code == "None":
                return False
            raise InvalidRequestError(_LAST_WAY) from None
        return True

    async def unlink(
        self, user: User, identity_id: str, *, actor_id: str | None = None
    ) -> Identity:
        """Unlink the user's identity ``identity_id`` if another way in remains (by the
        user, or by the admin ``actor_id``); the owner is told by mail."""
        linked = await self._identities.of_user(user.user_id)
        chosen = next((i for i in linked if i.identity_id == identity_id), None)
        if chosen is None:
            raise ItemNotFoundError("No such identity.")
        if not await self.remove_ways(user, [self._identities.unlinking(chosen)]):
            raise ItemNotFoundError("No such identity.")
        await self._accounts.identity_unlinked(user.user_id, chosen.provider, actor_id=actor_id)
        return chosen
