"""Managed auth, assembled from :class:`~baas.auth_settings.AuthSettings`.

:class:`AuthServices` is built with the API process (the bearer-token middleware needs
the verifier at once) and started once the store is open: it creates the system
tables, loads the signing keys and the revocation list, builds the account, admin
and social-login services, and keeps keys and revocations fresh with one small
background task (every ``BAAS_AUTH_REVOCATION_POLL`` seconds), so every API process
sees another's revocation or key rotation within that time.
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
from auth.identities import IdentityRepository
from auth.mail import BackgroundMailer, MailSender, OutboxMailSender, SmtpMailSender
from auth.mail import SmtpSettings as SmtpTarget
from auth.mail_templates import MailTemplates
from auth.one_time_codes import OneTimeCodes
from auth.password_work import PasswordWork
from auth.passwords import PasswordHasher, PasswordHashingConfig, PasswordPolicy
from auth.rate_limits import RateLimiter
from auth.refresh_store import RefreshTokenRepository
from auth.refresh_tokens import RefreshTokenPolicy
from auth.revocation import NotBeforeCache
from auth.sealed_store import seal_store
from auth.secret_keys import SecretKeys
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
from baas.config import Settings
from storage import DocumentStore
from storage.errors import StorageError

__all__ = ["AuthNotStartedError", "AuthServices"]

_log = logging.getLogger("baas.auth")
_KEY_RELOAD_EVERY = 5  # polls: keys change rarely; revocations must be quick
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
        self.revocations = NotBeforeCache(store, refresh_interval=self.config.revocation_poll)
        self.verifier = TokenVerifier(
            self.keyring,
            self.token_config,
            not_before_lookup=self.revocations.lookup,
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
        self._poller: asyncio.Task[None] | None = None

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
        await self.revocations.reload()
        self._accounts = self._build_accounts(store)
        identities = IdentityRepository(store)
        self._admin = AdminService(self._accounts, identities)
        self._social = SocialLogin(
            self.config.providers,
            accounts=self._accounts,
            identities=identities,
            redirect_base=f"{self.settings.public_url}/auth/oauth",
            cookie_keys=self.secret_keys.derive("oauth state cookie"),
            spent=SpentFlows(store),
        )
        self._poller = asyncio.create_task(self._poll(), name="baas-auth-poll")

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        await self.mailer.drain()
        if self._social is not None:
            await self._social.aclose()

    def _build_accounts(self, store: DocumentStore) -> AccountService:
        config = self.config
        hashing = PasswordHashingConfig(
            time_cost=config.argon2_time_cost,
            memory_cost_kib=config.argon2_memory_kib,
            parallelism=config.argon2_parallelism,
        )
        attempts = StoreAttemptStore(store)
        sessions = SessionService(
            RefreshTokenRepository(store),
            RefreshTokenPolicy(
                idle_timeout=config.refresh_idle_ttl, absolute_lifetime=config.refresh_absolute_ttl
            ),
        )
        return AccountService(
            users=UserRepository(store, revocation_retention=self.token_config.key_retention),
            passwords=PasswordWork(
                PasswordHasher(hashing), max_concurrent=max(2, os.cpu_count() or 2)
            ),
            policy=PasswordPolicy(
                min_length=config.password_min_length, max_length=config.password_max_length
            ),
            grants=TokenGrants(self.keyring, self.token_config, sessions),
            codes=OneTimeCodes(store, lifetime=config.code_ttl),
            mailer=self.mailer,
            throttle=SignInThrottle(
                attempts,
                account_policy=ThrottlePolicy(config.signin_account_failures, config.signin_window),
                address_policy=ThrottlePolicy(config.signin_address_failures, config.signin_window),
            ),
            limiter=RateLimiter(attempts),
            on_revoked=self.revocations.note,
            config=AccountConfig(
                code_lifetime=config.code_ttl, require_verified_email=config.require_verified_email
            ),
            templates=MailTemplates.load(config.mail_templates),
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

    async def _poll(self) -> None:
        rounds = 0
        while True:
            await asyncio.sleep(self.config.revocation_poll)
            rounds += 1
            try:
                await self.revocations.reload()
                if rounds % _KEY_RELOAD_EVERY == 0:
                    await self.keyring.load()
            except (StorageError, OSError):
                _log.warning("could not reload auth state; retrying", exc_info=True)
