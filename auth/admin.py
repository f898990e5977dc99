"""Administering users: list and search, create, disable, enable, delete, set groups, see
and end sessions, see and unlink social identities, send or force a password reset,
create the first admin.

Disabling or deleting a user ends all of their sessions *and* refuses their unexpired
access tokens at once (per-user not-before, see :mod:`auth.revocation`). Unlinking an
identity is the user's own unlink done for them (:mod:`auth.sign_in_methods`): never the
account's last way in — as Supabase refuses to unlink a user's only identity; to shut
every way in, disable or delete the account — and it ends no session. Changing a
user's groups revokes their access tokens too, so a removed ``admin`` group stops
working now, not when the token expires; their sessions stay, and the next refresh
carries the new groups.

Every change is a security event (``admin_action``: which action, on whom, by which
admin — ``actor_id`` — or from the command line).
"""

from __future__ import annotations

from dataclasses import replace

from auth.account_closing import AccountClosing
from auth.accounts import AccountService
from auth.errors import InvalidRequestError, ItemNotFoundError
from auth.identities import Identity
from auth.refresh_store import SessionRecord
from auth.security_events import NO_SECURITY_EVENTS, SecurityEvents
from auth.sign_in_methods import SignInMethods
from auth.users import EmailTakenError, User, normalize_email

__all__ = ["ADMIN_GROUP", "AdminService"]

ADMIN_GROUP = "admin"
MAX_PAGE = 100
MAX_SEARCH = 254  # the longest email address (RFC 5321 §4.5.3.1.3, as a path)


class AdminService:
    """User administration on top of the account service."""

    def __init__(
        self,
        accounts: AccountService,
        sign_in_methods: SignInMethods,
        *,
        closing: AccountClosing,
        events: SecurityEvents = NO_SECURITY_EVENTS,
    ) -> None:
        self._accounts = accounts
        self._closing = closing
        self._users = accounts.users
        self._sign_in_methods = sign_in_methods
        self._events = events
        self._admin_seen = False

    async def list_users(
        self, *, limit: int = 50, cursor: str | None = None, email_contains: str | None = None
    ) -> tuple[list[User], str | None]:
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidRequestError(f"limit must be from 1 to {MAX_PAGE}.")
        if email_contains is not None and len(email_contains) > MAX_SEARCH:
            raise InvalidRequestError(f"Search for at most {MAX_SEARCH} characters.")
        return await self._users.list_page(
            limit=limit, start=cursor, email_contains=email_contains or None
        )

    async def sessions(self, user_id: str) -> list[SessionRecord]:
        """The user's open sessions (one per sign-in on a device)."""
        user = await self.get_user(user_id)
        return await self._accounts.grants.sessions.sessions(user.user_id)

    async def identities(self, user_id: str) -> list[Identity]:
        """The social logins linked to the user."""
        user = await self.get_user(user_id)
        return await self._sign_in_methods.identities(user.user_id)

    async def unlink_identity(
        self, user_id: str, identity_id: str, *, actor_id: str | None = None
    ) -> Identity:
        """Unlink one of the user's social identities, unless it is their last way in
        (``InvalidRequestError``); ``ItemNotFoundError`` for an unknown user or identity."""
        user = await self.get_user(user_id)
        unlinked = await self._sign_in_methods.unlink(user, identity_id, actor_id=actor_id)
        self._record("unlink_identity", user.user_id, actor_id, provider=unlinked.provider)
        return unlinked

    async def end_sessions(self, user_id: str, *, actor_id: str | None = None) -> None:
        """End every session of the user and refuse their access tokens at once."""
        user = await self.get_user(user_id)
        await self._accounts.sign_out_everywhere(user)
        self._record("end_sessions", user.user_id, actor_id)

    async def send_password_reset(
        self, user_id: str, *, address: str, actor_id: str | None = None
    ) -> None:
        """Mail the user a reset code, as if they had asked ("forgot password").

        The same path and limits as their own request (``address`` is the admin's):
        an admin never sees the code, and cannot mail a user without bound.
        """
        user = await self.get_user(user_id)
        if user.email is None or user.anonymous:
            raise InvalidRequestError("This user has no email address to send a reset to.")
        if not user.enabled:
            raise InvalidRequestError("This user is disabled; enable them first.")
        await self._accounts.forgot_password(user.email, address=address)
        self._record("send_password_reset", user.user_id, actor_id)

    async def get_user(self, user_id: str) -> User:
        user = await self._users.get(user_id)
        if user is None:
            raise ItemNotFoundError("No such user.")
        return user

    async def set_enabled(
        self, user_id: str, *, enabled: bool, actor_id: str | None = None
    ) -> User:
        user = replace(await self.get_user(user_id), status="enabled" if enabled else "disabled")
        await self._users.save(user)
        if not enabled:
            await self._accounts.grants.sessions.end_all(user.user_id, "admin")
            user = await self._accounts.revoke_access_tokens(user)
        self._record("enable_user" if enabled else "disable_user", user.user_id, actor_id)
        return user

    async def delete_user(self, user_id: str, *, actor_id: str | None = None) -> None:
        user = await self.get_user(user_id)
        await self._closing.close(user)
        self._record("delete_user", user.user_id, actor_id)

    async def set_groups(
        self, user_id: str, groups: tuple[str, ...], *, actor_id: str | None = None
    ) -> User:
        user = replace(await self.get_user(user_id), groups=groups)
        await self._users.save(user)
        user = await self._accounts.revoke_access_tokens(user)
        self._record("set_groups", user.user_id, actor_id, groups=",".join(groups))
        return user

    async def create_user(
        self,
        email: object,
        password: object,
        groups: tuple[str, ...],
        *,
        actor_id: str | None,
    ) -> User:
        """A verified account made by an admin, with a password (policy-checked) or none
        (the user then signs in by email, or sets one with a reset)."""
        email = normalize_email(email)
        password_hash = None
        if password is not None:
            if not isinstance(password, str):
                raise InvalidRequestError("Give the password as a string, or none.")
            self._accounts.check_new_password(password, email)
            password_hash = await self._accounts.passwords.hash(password)
        user = User.new(
            email=email, email_verified=True, password_hash=password_hash, groups=groups
        )
        try:
            await self._users.create(user)
        except EmailTakenError:
            raise InvalidRequestError("An account with this email already exists.") from None
        self._record("create_user", user.user_id, actor_id)
        return user

    async def force_password_reset(
        self, user_id: str, *, address: str, actor_id: str | None = None
    ) -> User:
        """Remove the user's password (it no longer signs in), end their sessions, and
        mail them a reset code: the next sign-in needs a password they set by mail."""
        user = await self.get_user(user_id)
        if user.email is None or user.anonymous:
            raise InvalidRequestError("This user has no email address to send a reset to.")
        user = replace(user, password_hash=None)
        await self._users.save(user)
        await self._accounts.grants.sessions.end_all(user.user_id, "admin")
        user = await self._accounts.revoke_access_tokens(user)
        if user.enabled:
            await self._accounts.forgot_password(user.email, address=address)
        self._record("force_password_reset", user.user_id, actor_id)
        return user

    async def admin_exists(self) -> bool:
        """Whether any enabled account is in the admin group (the console's sign-in page
        says how to create the first one when none is). Remembered once true: admins
        are rarely all removed, and this scans the users."""
        if self._admin_seen:
            return True
        self._admin_seen = await self._users.any_in_group(ADMIN_GROUP)
        return self._admin_seen

    async def create_admin(self, email: object, password: object) -> User:
        """A verified account in the ``admin`` group (``baas users create-admin``)."""
        email = normalize_email(email)
        if not isinstance(password, str):
            raise InvalidRequestError("Give a password.")
        self._accounts.check_new_password(password, email)
        password_hash = await self._accounts.passwords.hash(password)
        user = User.new(
            email=email, email_verified=True, password_hash=password_hash, groups=(ADMIN_GROUP,)
        )
        try:
            await self._users.create(user)
        except EmailTakenError:
            raise InvalidRequestError("An account with this email already exists.") from None
        self._record("create_admin", user.user_id, None)
        return user

    def _record(
        self, action: str, user_id: str | None, actor_id: str | None, **detail: str
    ) -> None:
        """An ``admin_action`` event: through the API (an admin acting) or the CLI."""
        via = "api" if actor_id is not None else "cli"
        self._events.record(
            "admin_action", user_id=user_id, actor_id=actor_id, action=action, via=via, **detail
        )
