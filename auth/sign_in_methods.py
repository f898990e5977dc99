"""The ways into an account, and unlinking a social identity — never the last one.

A way in is the account's password, a linked identity, a passkey, or its verified email
when sign-in by email is on (``BAAS_AUTH_EMAIL_SIGNIN``). An identity is unlinked only
while another way stays, and that is checked in the *same transaction* as the removal
(a condition on the remaining way's item): two requests unlinking an account's last two
identities at once cannot both succeed (threat: a user locked out of their own account,
by a race or by a stolen session).

The user's own unlink (``POST /auth/identities/<id>/unlink``, after re-authentication and
the second factor) and an admin's (``DELETE /auth/admin/users/<id>/identities/<id>``) are
this one mechanism: the same refusal, the same ``identity_unlinked`` security event (with
the admin as ``actor_id``) and the same notice mail to the account's verified address.
Sessions are not ended: the unlinked identity can start no new one, and the notice tells
the owner what to do if it was not them (as Supabase's unlink and Cognito's
AdminDisableProviderForUser, which sign nobody out).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from auth.errors import InvalidRequestError, ItemNotFoundError
from auth.system_tables import USERS_TABLE
from storage import TransactConditionCheck

if TYPE_CHECKING:
    from auth.accounts import AccountService
    from auth.identities import Identity, IdentityRepository
    from auth.users import User

__all__ = ["SignInMethods"]

PasskeyWitness = Callable[[str], Awaitable[TransactConditionCheck | None]]
_LAST_WAY = (
    "This is the account's only way to sign in: set a password, or link another "
    "sign-in, before unlinking it."
)


class SignInMethods:
    """A user's identities, and unlinking one."""

    def __init__(
        self,
        identities: IdentityRepository,
        accounts: AccountService,
        *,
        email_sign_in: bool,
    ) -> None:
        self._identities = identities
        self._accounts = accounts
        self._email_sign_in = email_sign_in
        self.passkey_witness: PasskeyWitness | None = None

    async def identities(self, user_id: str) -> list[Identity]:
        return await self._identities.of_user(user_id)

    async def unlink(
        self, user: User, identity_id: str, *, actor_id: str | None = None
    ) -> Identity:
        """Unlink the user's identity ``identity_id`` if another way in remains (by the
        user, or by the admin ``actor_id``); the owner is told by mail."""
        linked = await self._identities.of_user(user.user_id)
        chosen = next((i for i in linked if i.identity_id == identity_id), None)
        if chosen is None:
            raise ItemNotFoundError("No such identity.")
        others = [i for i in linked if i is not chosen]
        keeping = await self._another_way(user, others)
        if keeping is None or not await self._identities.unlink(chosen, keeping=keeping):
            raise InvalidRequestError(_LAST_WAY)
        await self._accounts.identity_unlinked(user.user_id, chosen.provider, actor_id=actor_id)
        return chosen

    async def _another_way(
        self, user: User, others: list[Identity]
    ) -> TransactConditionCheck | None:
        """A check that some way in other than the identity stays, or None if none does."""
        key = {"user_id": user.user_id}
        if user.password_hash is not None:
            return TransactConditionCheck(USERS_TABLE, key, "attribute_exists(password_hash)")
        if self._email_sign_in and user.email is not None and user.email_verified:
            return TransactConditionCheck(
                USERS_TABLE, key, "email_verified = :true", values={":true": True}
            )
        if others:
            return self._identities.still_linked(others[0])
        if self.passkey_witness is not None:
            return await self.passkey_witness(user.user_id)
        return None
