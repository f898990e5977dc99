"""Closing an account: the user's own deletion, or an admin's.

Everything auth keeps about the user goes, in an order that fails closed: sessions end
first (their access tokens are refused at once), then the linked identities, the second
factors (:mod:`auth.mfa`, passkeys), and the user with its email claim — whose
revocation entry refuses every access token it ever had. The data the *app* keeps about
the user is the app's declared policy (``App(on_account_deleted=…)``), applied by
``baas`` after this.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auth.accounts import AccountService
    from auth.identities import IdentityRepository
    from auth.users import User

__all__ = ["AccountClosing"]

Forget = Callable[[str], Awaitable[None]]


class AccountClosing:
    """Deletes accounts and what belongs to them."""

    def __init__(
        self,
        *,
        accounts: AccountService,
        identities: IdentityRepository,
        forget: tuple[Forget, ...] = (),
    ) -> None:
        self._accounts = accounts
        self._identities = identities
        self._forget = forget  # second factors, passkeys: one call each, by user id

    async def close(self, user: User) -> None:
        await self._accounts.grants.sessions.end_all(user.user_id, "admin")
        await self._identities.delete_all_of(user.user_id)
        for forget in self._forget:
            await forget(user.user_id)
        not_before = await self._accounts.users.delete(user)
        self._accounts.on_revoked(user.user_id, not_before)
