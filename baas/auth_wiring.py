"""Managed auth, assembled from :class:`~baas.auth_settings.AuthSettings`.

:class:`AuthServices` is built with the API process (the bearer-token middleware needs
the verifier at once) and started once the store is open: it creates the system
tables, loads the signing keys and the revocation list, builds the account, admin
and social-login services, and runs two background tasks: the revocation follower
(:mod:`auth.revocation_feed`: another process's revocation is known here within 1 s)
and a reload of the signing keys every 10 s (another process's rotation).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable

from auth.accounts import AccountConfig, AccountService
from auth.admin import AdminService
from auth.authenticate import Authenticator
from auth.client_addresses import client_address
from auth.id_tokens import IdTokenSigner
from auth.identities import IdentityRepository
from auth.mail import BackgroundMailer, MailSender, OutboxMailSender, SmtpMailSender
from auth.mail import SmtpSettings as SmtpTarget
from auth.mail_templates import MailTemplates
from auth.mfa import MfaService
from auth.oauth_clients import OAuthClientRegistry
from auth.oauth_codes import AuthorizationCodes, Consents
from auth.oidc_provider import OpenIDProvider, oauth_audience
from auth.one_time_codes import OneTimeCodes
from auth.password_work import PasswordWork
from auth.passwords import PasswordHasher, PasswordHashingConfig, PasswordPolicy
from auth.rate_limits import RateLimiter
from auth.refresh_store import RefreshTokenRepository
from auth.refresh_tokens import RefreshTokenPolicy
from auth.revocation import RevocationList
from auth.revocation_feed import RevocationFeed
from auth.sealed_store import seal_store
from auth.secret_keys import SecretKeys
from auth.security_event_store import SecurityEventStore
from auth.security_events import Origin, SecurityEventLog, SecurityEvents
from auth.sessions import SessionService
from auth.signing_keys import KeyRing
from auth.social import SocialLogin
from auth.social_flows import SpentFlows
from auth.stored_signing_keys import StoreSigningKeyRepository
from auth.stored_throttle import StoreAttemptStore
from auth.system_tables import ensure_system_tables
from auth.throttle import SignInThrottle, ThrottlePolicy
from auth.token_grants import TokenGrants
from auth.tokens import TokenConfig, TokenIssuer, TokenVerifier
from auth.users import UserRepository
from baas.account_flows import AccountFlows, build_account_flows
from baas.config import Settings
from baas.logs import request_id_var
from baas.request_ids import request_scope_var
from baas.user_data import UserDataPolicy
from storage import DocumentStore
from storage.errors import StorageError

__all__ = ["AuthNotStartedError", "AuthServices"]

_log = logging.getLogger("baas.auth")
_KEY_RELOAD_SECONDS = 10.0  # keys change rarely (a rotation keeps the old key verifying)
_VERIFIED_TOKEN_CACHE = 10_000  # entries (~1 KiB each): recently verified access tokens
ACCESS_TOKEN_AUDIENCE = "baas"  # noqa: S105 - the aud claim, not a secret


class AuthNotStartedError(RuntimeError):
    """An auth route ran before the services started (a wiring bug)."""


class AuthServices:
    """Everything auth of one API process."""

    def __init__(
        self, settings: Settings, store: Callable[[], DocumentStore], secret_keys: SecretKeys
    ) -> None:
        self.settings = settings
        self.config = settings.auth
        self._store = store
        self.secret_keys = secret_keys
        self.token_config = TokenConfig(
            issuer=settings.public_url,
            audience=ACCESS_TOKEN_AUDIENCE,
            access_token_lifetime=self.config.access_token_ttl,
        )
        self.keyring = KeyRing(
            StoreSigningKeyRepository(store, secret_keys),
            retention=self.token_config.key_retention,
            algorithm=self.config.signing_algorithm,
        )
        self.revocations = RevocationList(retention=self.token_config.key_retention)
        self._revocation_feed = RevocationFeed(self.revocations, store)
        self.verifier = TokenVerifier(
            self.keyring,
            self.token_config,
            is_revoked=self.revocations.is_revoked,
            cache_size=_VERIFIED_TOKEN_CACHE,
        )
        self.authenticator = Authenticator(self.verifier)
        self.issuer = TokenIssuer(self.keyring, self.token_config)
        self.trusted_proxies = self.config.trusted_proxies
        self.mail_sender = self._mail_sender()
        self.mailer = BackgroundMailer(self.mail_sender)
        self._accounts: AccountService | None = None
        self._admin: AdminService | None = None
        self._social: SocialLogin | None = None
        self._flows: AccountFlows | None = None
        self._provider: OpenIDProvider | None = None
        # The app's policy for a deleted account's data (set by baas.services).
        self.user_data: UserDataPolicy | None = None
        self._events: SecurityEventLog | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def accounts(self) -> AccountService:
        if self._accounts is None:
            raise AuthNotStartedError("auth is not started")
        return self._accounts

    @property
    def admin(self) -> AdminService:
        if self._admin is None:
            raise AuthNotStartedError("auth is not started")
        return self._admin

    @property
    def events(self) -> SecurityEventLog:
        """The security-event recorder (auth.security_events) every service reports to."""
        if self._events is None:
            raise AuthNotStartedError("auth is not started")
        return self._events

    @property
    def flows(self) -> AccountFlows:
        """Second factors, sign-in by email, email change, identities, invitations."""
        if self._flows is None:
            raise AuthNotStartedError("auth is not started")
        return self._flows

    @property
    def mfa(self) -> MfaService:
        return self.flows.mfa

    @property
    def provider(self) -> OpenIDProvider:
        """baas as an OpenID provider for other apps (auth.oidc_provider)."""
        if self._provider is None:
            raise AuthNotStartedError("auth is not started")
        return self._provider

    @property
    def social(self) -> SocialLogin:
        if self._social is None:
            raise AuthNotStartedError("auth is not started")
        return self._social

    async def start(self) -> None:
        store = self._store()
        # Tables whose feed view changed had images of secrets in the feed: compact.
        views_changed = await ensure_system_tables(store)
        await seal_store(store, self.secret_keys, compact=bool(views_changed))
        await self.keyring.load()
        await self._revocation_feed.load()
        events = SecurityEventLog(
            SecurityEventStore(store, retention=self.config.events_ttl), origin=self._origin
        )
        await events.start()
        self._events = events
        throttle = SignInThrottle(
            StoreAttemptStore(store),
            account_policy=ThrottlePolicy(
                self.config.signin_account_failures, self.config.signin_window
            ),
            address_policy=ThrottlePolicy(
                self.config.signin_address_failures, self.config.signin_window
            ),
        )
        self._accounts = self._build_accounts(store, events, throttle)
        identities = IdentityRepository(store)
        self._flows = build_account_flows(
            config=self.config,
            store=store,
            secret_keys=self.secret_keys,
            accounts=self._accounts,
            identities=identities,
            throttle=throttle,
            mailer=self.mailer,
            public_url=self.settings.public_url,
            cors_origins=self.settings.cors_origins,
        )
        self._admin = AdminService(
            self._accounts,
            self._flows.sign_in_methods,
            closing=self._flows.closing,
            events=events,
        )
        self._social = SocialLogin(
            self.config.providers,
            accounts=self._accounts,
            identities=identities,
            redirect_base=f"{self.settings.public_url}/auth/oauth",
            cookie_keys=self.secret_keys.derive("oauth state cookie"),
            spent=SpentFlows(store),
        )
        self._provider = self._build_provider(store, events)
        self._tasks = [
            asyncio.create_task(self._revocation_feed.run(), name="baas-auth-revocations"),
            asyncio.create_task(self._reload_keys(), name="baas-auth-keys"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self.mailer.drain()
        if self._events is not None:
            await self._events.stop()
        if self._social is not None:
            await self._social.aclose()

    def _build_accounts(
        self, store: DocumentStore, events: SecurityEvents, throttle: SignInThrottle
    ) -> AccountService:
        config = self.config
        hashing = PasswordHashingConfig(
            time_cost=config.argon2_time_cost,
            memory_cost_kib=config.argon2_memory_kib,
            parallelism=config.argon2_parallelism,
        )
        attempts = StoreAttemptStore(store)
        retention = self.token_config.key_retention
        sessions = SessionService(
            RefreshTokenRepository(store, revocation_retention=retention),
            RefreshTokenPolicy(
                idle_timeout=config.refresh_idle_ttl,
                absolute_lifetime=config.refresh_absolute_ttl,
                reuse_grace=config.refresh_reuse_grace,
            ),
            on_revoked=self.revocations.revoke_session,
            events=events,
        )
        return AccountService(
            users=UserRepository(store, revocation_retention=retention),
            passwords=PasswordWork(
                PasswordHasher(hashing), max_concurrent=max(2, os.cpu_count() or 2)
            ),
            policy=PasswordPolicy(
                min_length=config.password_min_length, max_length=config.password_max_length
            ),
            grants=TokenGrants(self.keyring, self.token_config, sessions),
            codes=OneTimeCodes(store, lifetime=config.code_ttl),
            mailer=self.mailer,
            throttle=throttle,
            limiter=RateLimiter(attempts),
            on_revoked=self.revocations.revoke_user,
            config=AccountConfig(
                code_lifetime=config.code_ttl, require_verified_email=config.require_verified_email
            ),
            templates=MailTemplates.load(config.mail_templates),
            events=events,
        )

    def _build_provider(self, store: DocumentStore, events: SecurityEvents) -> OpenIDProvider:
        issuer = self.settings.public_url
        # Apps' access tokens: their own audience, so the rest of the API refuses them.
        app_tokens = TokenConfig(
            issuer=issuer,
            audience=oauth_audience(issuer),
            access_token_lifetime=self.config.access_token_ttl,
        )
        return OpenIDProvider(
            issuer=issuer,
            clients=OAuthClientRegistry(store),
            codes=AuthorizationCodes(store, lifetime=self.config.oauth_code_ttl),
            consents=Consents(store),
            users=self.accounts.users,
            grants=self.accounts.grants,
            id_tokens=IdTokenSigner(
                self.keyring, issuer=issuer, lifetime=self.config.access_token_ttl
            ),
            token_config=app_tokens,
            verifier=TokenVerifier(
                self.keyring, app_tokens, is_revoked=self.revocations.is_revoked
            ),
            events=events,
        )

    def _mail_sender(self) -> MailSender:
        smtp = self.config.smtp
        if smtp.host is None:
            if not self.settings.is_dev:
                _log.warning("BAAS_SMTP_HOST is not set: mails go to the outbox directory only")
            return OutboxMailSender(self.settings.data_dir / "outbox", sender=smtp.sender)
        return SmtpMailSender(
            SmtpTarget(
                host=smtp.host,
                port=smtp.port,
                username=smtp.username,
                password=smtp.password,
                security=smtp.security,
                sender=smtp.sender,
            )
        )

    def _origin(self) -> Origin:
        """The request id and client address of the request being served, if any."""
        scope = request_scope_var.get()
        if scope is None:
            return Origin(request_id_var.get())
        client = scope.get("client")
        forwarded = b",".join(
            value for name, value in scope.get("headers", ()) if name == b"x-forwarded-for"
        )
        address = client_address(
            client[0] if client else None,
            forwarded.decode("latin-1") or None,
            self.trusted_proxies,
        )
        return Origin(request_id_var.get(), address)

    async def _reload_keys(self) -> None:
        while True:
            await asyncio.sleep(_KEY_RELOAD_SECONDS)
            try:
                await self.keyring.load()
            except (StorageError, OSError):
                _log.warning("could not reload the signing keys; retrying", exc_info=True)
