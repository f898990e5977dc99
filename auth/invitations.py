"""Inviting a user by email: an account made by an admin, its password set by the user.

The invited account has no password; the invitation mail carries a code (and, with
``BAAS_AUTH_LINK_URL``, a link to the app's page: ``<url>#type=invite&email=…&code=…``)
that sets one through the ordinary ``POST /auth/password/reset`` — a reset code with a
longer life (``BAAS_AUTH_INVITE_TTL``, 7 days by default). Setting the password verifies
the email (the code proved the mailbox). Until then the user can also sign in by email.
The admin never sees the code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from auth.errors import InvalidRequestError
from auth.users import EmailTakenError, User, normalize_email

if TYPE_CHECKING:
    from auth.accounts import AccountService
    from auth.mail import BackgroundMailer
    from auth.mail_templates import MailTemplates
    from auth.one_time_codes import OneTimeCodes
    from auth.passwordless import PasswordlessService
    from auth.security_events import SecurityEvents

__all__ = ["Invitations"]

_DAY = 24 * 3600


class Invitations:
    """Admins' invitations."""

    def __init__(
        self,
        *,
        accounts: AccountService,
        codes: OneTimeCodes,
        lifetime: float,
        links: PasswordlessService,
        mailer: BackgroundMailer,
        templates: MailTemplates,
        events: SecurityEvents,
        link_url: str | None,
    ) -> None:
        self._accounts = accounts
        self._codes = codes  # issuing reset codes with the invitation's lifetime
        self._lifetime = lifetime
        self._links = links
        self._mailer = mailer
        self._templates = templates
        self._events = events
        self._link_url = link_url

    async def invite(self, email: object, groups: tuple[str, ...], *, actor_id: str | None) -> User:
        """Make the account and mail the invitation (not counted in the address's mail
        budget: an admin asked, and anyone could otherwise spend it to block this)."""
        email = normalize_email(email)
        user = User.new(email=email, email_verified=False, groups=groups)
        try:
            await self._accounts.users.create(user)
        except EmailTakenError:
            raise InvalidRequestError("An account with this email already exists.") from None
        code = await self._codes.issue("reset_password", user.user_id)
        days = str(max(1, round(self._lifetime / _DAY)))
        if self._link_url is None:
            mail = self._templates.render("invitation", email, email=email, code=code, days=days)
        else:
            link = self._links.link("invite", email, code)
            mail = self._templates.render(
                "invitation_link", email, email=email, code=code, days=days, link=link
            )
        self._mailer.submit(mail)
        self._events.record(
            "admin_action", user_id=user.user_id, actor_id=actor_id, action="invite_user", via="api"
        )
        return user
