"""Social login: start a round trip, finish it, and map the identity to an account.

Rules (threat: account takeover through a provider's email claim):

- an identity is found by (issuer, subject) only;
- a new identity whose email matches an existing account does NOT enter it: the
  answer is :class:`AccountExistsError` ("sign in and link");
- linking a provider to an account is an explicit step taken while signed in
  (``begin(..., link_user_id=...)``), and an identity linked to one account cannot be
  linked to another.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from auth.accounts import AccountService
from auth.errors import (
    AccountExistsError,
    InvalidCredentialsError,
    InvalidRequestError,
    SocialLoginError,
)
from auth.identities import Identity, IdentityRepository, IdentityTakenError
from auth.social_flows import SpentFlows
from auth.social_state import FlowState, open_state, seal_state
from auth.users import EmailTakenError, User

if TYPE_CHECKING:
    import httpx2

    from auth.social_config import OAuthProvider, ProviderConfig, ProviderIdentity

__all__ = ["SocialLogin", "SocialOutcome"]

_log = logging.getLogger("auth.social")
_MAX_CODE = 2048


@dataclass(frozen=True, slots=True)
class SocialOutcome:
    """The account a sign-in proved (the first factor: what follows, a session or a
    second factor, is :mod:`auth.mfa`'s), or the identity a link attached."""

    signed_in: User | None = None
    linked: Identity | None = None


class SocialLogin:
    """The configured providers and the flows through them."""

    def __init__(
        self,
        providers: Sequence[ProviderConfig],
        *,
        accounts: AccountService,
        identities: IdentityRepository,
        redirect_base: str,
        cookie_keys: Sequence[bytes],
        spent: SpentFlows,
    ) -> None:
        self._http: httpx2.AsyncClient | None = None
        self._providers: dict[str, OAuthProvider] = {}
        self._provider_errors: tuple[type[Exception], ...] = ()
        if providers:
            # Authlib and its HTTP client are loaded only when a provider is configured:
            # importing them is ~0.1 s of every API process's start-up.
            import httpx2

            from auth.social_providers import ProviderErrors, build_provider

            self._http = httpx2.AsyncClient(timeout=10.0, follow_redirects=False)
            self._providers = {c.name: build_provider(c, self._http) for c in providers}
            self._provider_errors = ProviderErrors
        self._accounts = accounts
        self._identities = identities
        self._redirect_base = redirect_base
        self._cookie_keys = tuple(cookie_keys)
        self._spent = spent

    @property
    def provider_names(self) -> list[str]:
        return sorted(self._providers)

    def redirect_uri(self, provider: str) -> str:
        """The exact callback URL to register with the provider."""
        return f"{self._redirect_base}/{provider}/callback"

    async def begin(self, provider: str, *, link_user_id: str | None = None) -> tuple[str, str]:
        """The provider's authorization URL and the encrypted state cookie to set."""
        chosen = self._provider(provider)
        flow = FlowState.new(provider, link_user_id=link_user_id)
        try:
            url = await chosen.authorization_url(flow, self.redirect_uri(provider))
        except self._provider_errors:
            _log.warning("provider %s: discovery failed", provider, exc_info=True)
            raise SocialLoginError("The provider is not reachable. Try again later.") from None
        return url, seal_state(flow, self._cookie_keys)

    async def complete(
        self,
        provider: str,
        *,
        cookie: str | None,
        params: dict[str, str],
    ) -> SocialOutcome:
        """Finish the round trip from the callback's query ``params`` and state cookie."""
        chosen = self._provider(provider)
        flow = open_state(cookie, self._cookie_keys, provider=provider, state=params.get("state"))
        # Spent before the code is exchanged: a replayed callback gets nothing further.
        await self._spent.spend(flow)
        if "error" in params:
            raise SocialLoginError("The provider did not sign you in.")
        code = params.get("code")
        if not code or len(code) > _MAX_CODE:
            raise SocialLoginError()
        try:
            found = await chosen.identity(
                flow, code, self.redirect_uri(provider), params.get("iss")
            )
        except SocialLoginError:
            raise
        except self._provider_errors:
            _log.warning("provider %s: code exchange or ID token refused", provider)
            raise SocialLoginError() from None
        if flow.link_user_id is not None:
            return SocialOutcome(linked=await self._link(provider, found, flow.link_user_id))
        user = await self._account_for(provider, found)
        events = self._accounts.events
        if not user.enabled:
            events.record(
                "sign_in_failed", user_id=user.user_id, reason="disabled", method=provider
            )
            raise InvalidCredentialsError("This account is disabled.")
        return SocialOutcome(signed_in=user)

    async def identities_of(self, user_id: str) -> list[Identity]:
        return await self._identities.of_user(user_id)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    def _provider(self, name: str) -> OAuthProvider:
        provider = self._providers.get(name)
        if provider is None:
            raise InvalidRequestError("Unknown provider.")
        return provider

    async def _link(self, provider: str, found: ProviderIdentity, user_id: str) -> Identity:
        existing = await self._identities.find(found.issuer, found.subject)
        if existing is not None:
            if existing.user_id == user_id:
                return existing
            raise SocialLoginError("This provider account is already linked to another account.")
        if await self._accounts.users.get(user_id) is None:
            raise SocialLoginError()
        try:
            linked = await self._identities.link(
                found.issuer, found.subject, user_id, provider=provider, email=found.email
            )
        except IdentityTakenError:
            raise SocialLoginError(
                "This provider account is already linked to another account."
            ) from None
        await self._accounts.identity_linked(user_id, provider)
        return linked

    async def _account_for(self, provider: str, found: ProviderIdentity) -> User:
        existing = await self._identities.find(found.issuer, found.subject)
        if existing is not None:
            user = await self._accounts.users.get(existing.user_id)
            if user is not None:
                return user
        users = self._accounts.users
        email = found.email if found.email_verified else None
        if found.email is not None and await users.get_by_email(found.email) is not None:
            raise AccountExistsError()
        user = User.new(email=email, email_verified=email is not None)
        try:
            await users.create(user)
        except EmailTakenError:
            raise AccountExistsError() from None
        try:
            await self._identities.link(
                found.issuer, found.subject, user.user_id, provider=provider, email=found.email
            )
        except IdentityTakenError:
            # A concurrent first sign-in with the same identity won; use its account.
            await users.delete(user)
            winner = await self._identities.find(found.issuer, found.subject)
            account = await users.get(winner.user_id) if winner else None
            if account is None:
                raise SocialLoginError() from None
            return account
        return user
