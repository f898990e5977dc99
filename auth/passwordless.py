"""Signing in by email alone (a one-time code, or a link carrying it), and the emailed
code that re-authenticates an account without a password.

**Sign-in by email.** ``send_code`` mails an 8-digit code (10 minutes, single use, the
codes of :mod:`auth.one_time_codes`) to any well-formed address and answers the same
whatever the address (no enumeration); with ``BAAS_AUTH_LINK_URL`` set the mail also
has a link to the app's page, the code in its fragment
(``<url>#type=sign_in&email=…&code=…``): a fragment never reaches a server's logs or a
``Referer``, and a mail scanner that opens the link spends nothing (the page posts the
code). ``verify`` checks the code (the attempt reserved first, per client address and per
code set) and returns the account — a new one when the address had none: signing up by
email. What follows (a session, or a second factor) is :mod:`auth.mfa`'s business.

The code proves the mailbox, and nothing else. So an *unverified* account of that
address — a password sign-up nobody verified, possibly a stranger's (threat: account
takeover through sign-up) — does not keep its password: the mailbox's holder gets the
account without any password anyone chose, every session it had ends, and the holder
can set a password with a reset. An anonymous user's unverified claim on the address is
simply released, as a sign-up does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from auth.errors import InvalidCredentialsError, InvalidRequestError
from auth.one_time_codes import CodePurpose, OneTimeCodes
from auth.rate_limits import RateLimiter, mail_key, signup_address_key
from auth.users import EmailTakenError, User, email_key, normalize_email

if TYPE_CHECKING:
    from auth.accounts import AccountService
    from auth.mail import BackgroundMailer
    from auth.mail_templates import MailTemplates, TemplateName

__all__ = ["PasswordlessService"]


class PasswordlessService:
    """Email codes as a first factor, and as re-authentication."""

    def __init__(
        self,
        *,
        accounts: AccountService,
        codes: OneTimeCodes,
        mailer: BackgroundMailer,
        templates: MailTemplates,
        limiter: RateLimiter,
        link_url: str | None = None,
    ) -> None:
        self._accounts = accounts
        self._users = accounts.users
        self._codes = codes
        self._mailer = mailer
        self._templates = templates
        self._limiter = limiter
        self._link_url = link_url
        self._events = accounts.events

    async def send_code(self, email: object, *, address: str, create: bool = True) -> None:
        """Mail a sign-in code (and link) to ``email``; the same answer for any address.

        Without ``create``, an address with no account gets no mail (the app's sign-in
        page, as opposed to its sign-up page), yet the answer is the same.
        """
        email = normalize_email(email)
        config = self._accounts.config
        await self._limiter.hit(signup_address_key(address), config.request_policy)
        user = await self._users.get_by_email(email)
        if user is not None and not user.enabled:
            return
        if user is None and not create:
            return
        template: TemplateName = "sign_in_link" if self._link_url else "sign_in_code"
        await self.mail_code("sign_in", _subject(email), email, template, link="sign_in")

    async def verify(self, email: object, code: object, *, address: str) -> User:
        """The account of ``email`` for a right code (created if there was none)."""
        email = normalize_email(email)
        attempt = await self._accounts.code_attempt(address)  # before any comparison
        match = await self._codes.check("sign_in", _subject(email), code)
        if match is None or not await self._codes.consume(match):
            raise self._accounts.code_failed("sign_in", await self._users.get_by_email(email))
        await attempt.succeeded()
        user = await self._account_of(email)
        if not user.enabled:
            self._events.record("sign_in_failed", user_id=user.user_id, reason="disabled")
            raise InvalidCredentialsError("This account is disabled.")
        return user

    async def _account_of(self, email: str) -> User:
        for _ in range(3):  # only loops when a concurrent sign-up claims the address
            user = await self._users.get_by_email(email)
            if user is not None and user.anonymous and not user.email_verified:
                await self._users.release_email(user)
                user = None
            if user is None:
                user = User.new(email=email, email_verified=True)
                try:
                    await self._users.create(user)
                except EmailTakenError:
                    continue
                return user
            if user.email_verified:
                return user
            proven = await self._users.verify_mailbox_only(user)
            if proven is None:
                continue  # verified meanwhile: read it again
            # Whoever signed up with a password may hold sessions (unverified sign-in
            # allowed, or an anonymous upgrade): the account is the mailbox's now.
            await self._accounts.grants.sessions.end_all(user.user_id, "password_change")
            return await self._accounts.revoke_access_tokens(proven)
        raise InvalidRequestError("The address is changing; try again.")

    # --- re-authentication ------------------------------------------------------------

    async def send_reauthentication(self, user: User) -> None:
        """Mail a code to the account's verified address, for a security change of an
        account without a password (see :meth:`check_reauthentication`)."""
        if user.email is None or not user.email_verified:
            raise InvalidRequestError("This account has no verified email address.")
        await self.mail_code("reauthenticate", user.user_id, user.email, "reauthentication_code")

    async def check_reauthentication(self, user: User, code: object, *, address: str) -> None:
        """``InvalidCodeError`` unless ``code`` is a live re-authentication code of the
        user; each check reserves an attempt first, as every emailed code does."""
        if not isinstance(code, str):
            raise InvalidRequestError(
                "This change needs a code sent by POST /auth/reauthenticate (email_code)."
            )
        attempt = await self._accounts.code_attempt(address)
        match = await self._codes.check("reauthenticate", user.user_id, code)
        if match is None or not await self._codes.consume(match):
            raise self._accounts.code_failed("reauthenticate", user)
        await attempt.succeeded()

    # --- mail ---------------------------------------------------------------------------

    async def mail_code(
        self,
        purpose: CodePurpose,
        subject: str,
        email: str,
        template: TemplateName,
        *,
        link: str | None = None,
    ) -> None:
        """Issue a code of ``purpose`` for ``subject`` and mail it, within the address's
        mail budget (beyond it, silently nothing: the answer must not change)."""
        config = self._accounts.config
        if not await self._limiter.try_hit(mail_key(email), config.mail_policy):
            return
        code = await self._codes.issue(purpose, subject)
        minutes = str(max(1, round(config.code_lifetime / 60)))
        values = {"code": code, "minutes": minutes, "email": email}
        if link is not None and self._link_url is not None:
            values["link"] = self.link(link, email, code)
        self._mailer.submit(self._templates.render(template, email, **values))

    async def mail(self, to: str, template: TemplateName, **values: str) -> None:
        """Mail ``template`` within the address's mail budget (beyond it: nothing)."""
        if await self._limiter.try_hit(mail_key(to), self._accounts.config.mail_policy):
            self._mailer.submit(self._templates.render(template, to, **values))

    def link(self, kind: str, email: str, code: str) -> str:
        """The app's page for a mailed link, the code in the fragment."""
        fragment = urlencode({"type": kind, "email": email, "code": code})
        return f"{self._link_url}#{fragment}"


def _subject(email: str) -> str:
    """What sign-in codes are issued for: the address, whether or not it has an account."""
    return f"email:{email_key(email)}"
