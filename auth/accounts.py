"""Accounts with email and password: sign-up, verification, sign-in, password changes.

No answer here tells whether an email has an account (OWASP Authentication Cheat
Sheet): sign-up, resend and forgot-password always answer the same, mail the owner
in the background, and spend a password hash either way; sign-in spends a dummy
verification for unknown emails. The only account-specific answer,
``email_not_verified``, comes after a correct password.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from auth.auth_methods import PASSWORD
from auth.errors import (
    EmailNotVerifiedError,
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidGrantError,
    InvalidRequestError,
    ThrottledError,
)
from auth.mail import BackgroundMailer, Mail
from auth.mail_templates import MailTemplates, TemplateName
from auth.one_time_codes import CodePurpose, OneTimeCodes
from auth.password_work import PasswordWork
from auth.passwords import PasswordPolicy
from auth.rate_limits import RateLimiter, mail_key, signup_address_key
from auth.security_events import NO_SECURITY_EVENTS, SecurityEvents
from auth.throttle import Attempt, SignInThrottle, ThrottlePolicy
from auth.token_grants import IssuedTokens, TokenGrants
from auth.users import EmailTakenError, User, UserRepository, normalize_email

__all__ = ["AccountConfig", "AccountService"]

RevocationListener = Callable[[str, float], None]
NoticeName = Literal["password_changed", "password_reset", "identity_linked", "identity_unlinked"]
MAIL_POLICY = ThrottlePolicy(max_failures=5, window=3600)
REQUEST_POLICY = ThrottlePolicy(max_failures=20, window=3600)
_NO_SUCH_SIGN_UP = (
    "The code is wrong, used or expired, or the password is not one this email signed up with."
)


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """Tunables of account flows; times in seconds."""

    code_lifetime: float = 600.0
    require_verified_email: bool = True
    # Mails to one address: 5 per hour, whoever asks (threat: mail bombing).
    mail_policy: ThrottlePolicy = MAIL_POLICY
    # Sign-ups, resends, resets and anonymous users from one address: 20 per hour.
    request_policy: ThrottlePolicy = REQUEST_POLICY
    # Later sign-ups of an unverified email kept beside its first (each costs a hash
    # check at verification, so few).
    pending_sign_ups: int = 4


class AccountService:
    """The account flows; every dependency is passed in (see ``baas.auth_wiring``)."""

    def __init__(
        self,
        *,
        users: UserRepository,
        passwords: PasswordWork,
        policy: PasswordPolicy,
        grants: TokenGrants,
        codes: OneTimeCodes,
        mailer: BackgroundMailer,
        throttle: SignInThrottle,
        limiter: RateLimiter,
        on_revoked: RevocationListener,
        config: AccountConfig | None = None,
        templates: MailTemplates | None = None,
        events: SecurityEvents = NO_SECURITY_EVENTS,
    ) -> None:
        self.users = users
        self.passwords = passwords
        self._policy = policy
        self.grants = grants
        self._codes = codes
        self._mailer = mailer
        self._throttle = throttle
        self._limiter = limiter
        self.on_revoked = on_revoked
        self.config = config or AccountConfig()
        self._templates = templates or MailTemplates.load()
        self.events = events

    # --- sign-up and verification -----------------------------------------------------

    async def sign_up(self, email: object, password: object, *, address: str) -> None:
        """Register (or queue another password for an unverified) account and mail a code;
        same answer whether or not the email already has an account."""
        email = normalize_email(email)
        password = self.check_new_password(password, email)
        await self._limiter.hit(signup_address_key(address), self.config.request_policy)
        password_hash = await self.passwords.hash(password)  # spent in every branch
        user = await self._register(email, password_hash)
        if user is None:
            await self._mail(email, self._templates.render("account_exists", email, email=email))
            return
        await self._send_code("verify_email", user, email)

    async def _register(self, email: str, password_hash: str) -> User | None:
        """The unverified account now holding this sign-up; None if the email is verified.

        Threat: account takeover through sign-up. A sign-up for an email that an
        unverified account holds never replaces that account's password: it waits
        beside it (see :meth:`verify_email`), so a stranger's sign-up cannot change what
        the mailbox owner's code activates.
        """
        existing = await self.users.get_by_email(email)
        if existing is not None and not existing.email_verified and existing.anonymous:
            await self.users.release_email(existing)
            existing = None
        if existing is None:
            user = User.new(email=email, password_hash=password_hash)
            try:
                await self.users.create(user)
            except EmailTakenError:  # a concurrent sign-up won: wait beside it
                existing = await self.users.get_by_email(email)
            else:
                return user
        if existing is None or existing.email_verified:
            return None
        keep = self.config.pending_sign_ups
        if not await self.users.add_pending_password(existing, password_hash, keep=keep):
            return None  # verified meanwhile
        return existing

    async def resend_verification(self, email: object, *, address: str) -> None:
        email = normalize_email(email)
        await self._limiter.hit(signup_address_key(address), self.config.request_policy)
        user = await self.users.get_by_email(email)
        if user is not None and not user.email_verified:
            await self._send_code("verify_email", user, email)

    async def verify_email(
        self, email: object, code: object, password: object, *, address: str
    ) -> User:
        """Verify an email with an emailed code *and* a password it signed up with.

        The code proves the mailbox; the password picks which sign-up to activate, so
        only a password the mailbox's holder chose can ever be activated (threat: a
        stranger signing up with the holder's address, the holder then using a code).
        """
        email = normalize_email(email)
        if not isinstance(password, str):
            raise InvalidRequestError("Give the password you signed up with.")
        attempt = await self.code_attempt(address)  # before any comparison
        user = await self.users.get_by_email(email)
        if user is None or user.email_verified:
            raise self.code_failed("verify_email", user)
        match = await self._codes.check("verify_email", user.user_id, code)
        if match is None:
            raise self.code_failed("verify_email", user)
        chosen = await self._signed_up_with(user, password)
        if chosen is None:
            raise self.code_failed("verify_email", user, _NO_SUCH_SIGN_UP)
        if not await self._codes.consume(match):
            raise self.code_failed("verify_email", user)
        verified = await self.users.activate_password(user, chosen)
        if verified is None:
            raise self.code_failed("verify_email", user)
        if chosen != user.password_hash:
            # Whoever signed up first could hold sessions (unverified sign-in allowed, or
            # an anonymous upgrade); the account is the mailbox holder's now.
            await self.grants.sessions.end_all(user.user_id, "password_change")
            verified = await self.revoke_access_tokens(verified)
        await attempt.succeeded()
        if user.anonymous:  # an upgrade: the account now has this email
            self.events.record("email_changed", user_id=user.user_id, address=address)
        return verified

    async def _signed_up_with(self, user: User, password: str) -> str | None:
        """The hash among the account's sign-ups (newest first) that ``password`` matches."""
        candidates = (*reversed(user.pending_password_hashes), user.password_hash)
        for candidate in candidates:
            if candidate is not None and (await self.passwords.verify(candidate, password)).valid:
                return candidate
        return None

    # --- sign-in, sign-out ------------------------------------------------------------

    async def sign_in(
        self, email: object, password: object, *, address: str, user_agent: str = ""
    ) -> IssuedTokens:
        """A session for the right password (an account without a second factor; the
        HTTP route goes through :class:`auth.mfa.MfaService`, which may ask for one)."""
        user = await self.authenticate_password(email, password, address=address)
        self.events.record(
            "sign_in_succeeded", user_id=user.user_id, address=address, method="password"
        )
        return await self.grants.new_session(user, user_agent=user_agent, amr=(PASSWORD,))

    async def authenticate_password(self, email: object, password: object, *, address: str) -> User:
        """The account whose password this is (the first factor of a sign-in), or
        ``InvalidCredentialsError``; throttled, see :mod:`auth.throttle`."""
        email = normalize_email(email)
        if not isinstance(password, str):
            raise InvalidRequestError("Give a password.")
        # Reserved before the hasher: a throttled attempt must not learn whether it was
        # right, and a burst evaluates at most the limit. A failure keeps its slots.
        try:
            attempt = await self._throttle.password_attempt(email, address)
        except ThrottledError:
            locked = await self.users.get_by_email(email)
            user_id = None if locked is None else locked.user_id
            self.events.record("locked_out", user_id=user_id, address=address, reason="password")
            raise
        user = await self.users.get_by_email(email)
        if user is None or user.password_hash is None:
            await self.passwords.verify_dummy(password)
            self.events.record("sign_in_failed", address=address, reason="no_password_account")
            raise InvalidCredentialsError()
        result = await self.passwords.verify(user.password_hash, password)
        if not result.valid or not user.enabled:
            reason = "disabled" if result.valid else "credentials"
            self.events.record(
                "sign_in_failed", user_id=user.user_id, address=address, reason=reason
            )
            raise InvalidCredentialsError()
        await attempt.succeeded()
        if self.config.require_verified_email and not user.email_verified:
            raise EmailNotVerifiedError()
        if result.needs_rehash:  # the configured argon2 parameters changed
            user = replace(user, password_hash=await self.passwords.hash(password))
            await self.users.save(user)
        return user

    async def refresh(self, refresh_token: object) -> IssuedTokens:
        """RFC 6749 §6: rotate the refresh token and sign a new access token."""
        family, token = await self.grants.sessions.refresh(refresh_token)
        user = await self.users.get(family.subject)
        if user is None or not user.enabled:
            await self.grants.sessions.end(token.text)
            raise InvalidGrantError()
        access = self.grants.access_token(user, session=token, amr=family.amr)
        return IssuedTokens(access, token, user)

    async def sign_out_everywhere(self, user: User) -> User:
        """End every session and refuse every access token issued so far."""
        await self.grants.sessions.end_all(user.user_id, "sign_out")
        self.events.record("signed_out", user_id=user.user_id, scope="everywhere")
        return await self.revoke_access_tokens(user)

    async def revoke_access_tokens(self, user: User) -> User:
        revoked = await self.users.revoke_tokens(user)
        if revoked.not_before is not None:
            self.on_revoked(user.user_id, revoked.not_before)
        return revoked

    # --- passwords --------------------------------------------------------------------

    async def change_password(
        self,
        user: User,
        current: object,
        new: object,
        *,
        address: str,
        user_agent: str = "",
        amr: tuple[str, ...] = (PASSWORD,),
    ) -> IssuedTokens:
        """Needs the current password; ends every other session; returns a new one
        (proven by ``amr``: the password, and a second factor if one was asked for)."""
        if not isinstance(current, str):
            raise InvalidRequestError("Give the current password.")
        new_password = self.check_new_password(new, user.email or "")
        if user.password_hash is None:
            raise InvalidRequestError("This account has no password; use password reset.")
        await self.check_current_password(user, current, address=address)
        user = replace(user, password_hash=await self.passwords.hash(new_password))
        await self.users.save(user)
        await self.grants.sessions.end_all(user.user_id, "password_change")
        user = await self.revoke_access_tokens(user)
        self.events.record("password_changed", user_id=user.user_id, address=address, how="change")
        self._notify(user, "password_changed")
        return await self.grants.new_session(user, user_agent=user_agent, amr=amr)

    async def check_current_password(self, user: User, current: object, *, address: str) -> None:
        """Re-authentication: ``InvalidCredentialsError`` unless ``current`` is the
        account's password. Throttled like a sign-in, on the account's id (threat:
        guessing the password with a stolen access token)."""
        if not isinstance(current, str):
            raise InvalidRequestError("Give the current password.")
        if user.password_hash is None:
            raise InvalidRequestError("This account has no password.")
        account = f"user:{user.user_id}"
        try:
            attempt = await self._throttle.password_attempt(account, address)
        except ThrottledError:
            self.events.record(
                "locked_out", user_id=user.user_id, address=address, reason="password"
            )
            raise
        if not (await self.passwords.verify(user.password_hash, current)).valid:
            self.events.record(
                "sign_in_failed", user_id=user.user_id, address=address, reason="current_password"
            )
            raise InvalidCredentialsError("The current password is incorrect.")
        await attempt.succeeded()

    async def forgot_password(self, email: object, *, address: str) -> None:
        email = normalize_email(email)
        await self._limiter.hit(signup_address_key(address), self.config.request_policy)
        user = await self.users.get_by_email(email)
        if user is not None and user.enabled and not user.anonymous:
            await self._send_code("reset_password", user, email)

    async def reset_password(
        self, email: object, code: object, new: object, *, address: str
    ) -> None:
        """Set a new password with an emailed code; ends every session of the account.

        The code proves the mailbox, so its holder chose this password: the email is
        verified too and sign-ups still waiting are dropped.
        """
        email = normalize_email(email)
        new_password = self.check_new_password(new, email)
        attempt = await self.code_attempt(address)  # before any comparison
        user = await self.users.get_by_email(email)
        match = (
            None if user is None else await self._codes.check("reset_password", user.user_id, code)
        )
        if user is None or match is None or not await self._codes.consume(match):
            raise self.code_failed("reset_password", user)
        await attempt.succeeded()
        user = await self.users.set_password(user, await self.passwords.hash(new_password))
        await self.grants.sessions.end_all(user.user_id, "password_change")
        await self.revoke_access_tokens(user)
        self.events.record("password_changed", user_id=user.user_id, address=address, how="reset")
        self._notify(user, "password_reset")

    # --- anonymous users ----------------------------------------------------------------

    async def create_anonymous(self, *, address: str, user_agent: str = "") -> IssuedTokens:
        await self._limiter.hit(signup_address_key(address), self.config.request_policy)
        user = User.new(anonymous=True)
        await self.users.create(user)
        return await self.grants.new_session(user, user_agent=user_agent)

    async def upgrade(self, user: User, email: object, password: object, *, address: str) -> None:
        """Give an anonymous user an email and password; it becomes a full account (same
        id, same data, same sessions) once the emailed code is verified."""
        if not user.anonymous:
            raise InvalidRequestError("Only an anonymous user can be upgraded.")
        email = normalize_email(email)
        password = self.check_new_password(password, email)
        await self._limiter.hit(signup_address_key(address), self.config.request_policy)
        password_hash = await self.passwords.hash(password)
        if user.email is not None:
            user = await self.users.release_email(user)
        try:
            user = await self.users.claim_email(user, email)
        except EmailTakenError:
            await self._mail(email, self._templates.render("account_exists", email, email=email))
            return  # same answer as a successful claim (no user enumeration)
        user = replace(user, password_hash=password_hash)
        await self.users.save(user)
        await self._send_code("verify_email", user, email)

    # --- notices ----------------------------------------------------------------------------

    async def identity_linked(self, user_id: str, provider: str) -> None:
        """Tell the account's owner that ``provider`` now signs in to it (called by
        social login after a link)."""
        await self._identity_notice("identity_linked", user_id, provider, actor_id=None)

    async def identity_unlinked(
        self, user_id: str, provider: str, *, actor_id: str | None = None
    ) -> None:
        """Tell the account's owner that ``provider`` no longer signs in to it (called
        after an unlink, by the user or by an admin: ``actor_id``)."""
        await self._identity_notice("identity_unlinked", user_id, provider, actor_id=actor_id)

    async def _identity_notice(
        self,
        name: Literal["identity_linked", "identity_unlinked"],
        user_id: str,
        provider: str,
        *,
        actor_id: str | None,
    ) -> None:
        """The security event of a linked or unlinked identity, and its notice mail."""
        self.events.record(name, user_id=user_id, actor_id=actor_id, provider=provider)
        user = await self.users.get(user_id)
        if user is not None:
            self._notify(user, name, provider=provider)

    def notify_email_changed(self, old: str, new: str) -> None:
        """Tell the old address that the account's email is now ``new`` (a notice)."""
        self._mailer.submit(
            self._templates.render("email_changed", old, old_email=old, new_email=new)
        )

    def _notify(self, user: User, name: NoticeName, **values: str) -> None:
        """Mail a notice about a change to the account's verified address.

        Threat: a stranger silencing the notice. Notices follow an action that needed a
        session, a password or a mailed code, and they are not counted in the
        5-mails-an-hour budget that anyone can spend by asking for codes.
        """
        if user.email is not None and user.email_verified:
            email = user.email
            self._mailer.submit(self._templates.render(name, email, email=email, **values))

    # --- helpers --------------------------------------------------------------------------

    async def code_attempt(self, address: str) -> Attempt:
        """Reserve an emailed-code attempt of ``address`` (before any comparison)."""
        try:
            return await self._throttle.code_attempt(address)
        except ThrottledError:
            self.events.record("locked_out", address=address, reason="codes")
            raise

    def code_failed(
        self, purpose: CodePurpose, user: User | None, message: str | None = None
    ) -> InvalidCodeError:
        """The error of a wrong, used or expired code, recorded as a security event."""
        self.events.record(
            "code_failed", user_id=None if user is None else user.user_id, purpose=purpose
        )
        return InvalidCodeError(message)

    def check_new_password(self, password: object, email: str) -> str:
        if not isinstance(password, str):
            raise InvalidRequestError("Give a password.")
        self._policy.check(password, user_inputs=[email] if email else [])
        return password

    async def _send_code(self, purpose: CodePurpose, user: User, email: str) -> None:
        if not await self._limiter.try_hit(mail_key(email), self.config.mail_policy):
            return  # over the mail budget: silently skip (the answer must not change)
        code = await self._codes.issue(purpose, user.user_id)
        minutes = str(max(1, round(self.config.code_lifetime / 60)))
        name: TemplateName = "verification_code" if purpose == "verify_email" else "reset_code"
        self._mailer.submit(
            self._templates.render(name, email, code=code, minutes=minutes, email=email)
        )

    async def _mail(self, email: str, mail: Mail) -> None:
        if await self._limiter.try_hit(mail_key(email), self.config.mail_policy):
            self._mailer.submit(mail)
