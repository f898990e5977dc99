"""The account flows beyond sign-in (issue 22), assembled for one API process.

:func:`build_account_flows` wires second factors, sign-in by email, email change,
identities, invitations and account closing on top of the account service that
``baas.auth_wiring`` built; they share its store, mailer, templates and limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from auth.account_closing import AccountClosing
from auth.accounts import AccountService
from auth.challenges import ChallengeStore
from auth.email_change import EmailChangeService
from auth.identities import IdentityRepository
from auth.invitations import Invitations
from auth.mail import BackgroundMailer
from auth.mail_templates import MailTemplates
from auth.mfa import MfaPolicy, MfaService
from auth.mfa_store import MfaRepository
from auth.one_time_codes import OneTimeCodes
from auth.passkey_store import PasskeyRepository
from auth.passkeys import PasskeyConfig, PasskeyService
from auth.passwordless import PasswordlessService
from auth.rate_limits import RateLimiter
from auth.secret_keys import SecretKeys
from auth.sign_in_methods import SignInMethods
from auth.stored_throttle import StoreAttemptStore
from auth.throttle import SignInThrottle
from baas.auth_settings import AuthSettings
from storage import DocumentStore

__all__ = ["AccountFlows", "build_account_flows"]


@dataclass(frozen=True, slots=True)
class AccountFlows:
    mfa: MfaService
    passwordless: PasswordlessService
    email_change: EmailChangeService
    sign_in_methods: SignInMethods
    invitations: Invitations
    closing: AccountClosing
    passkeys: PasskeyService


def build_account_flows(
    *,
    config: AuthSettings,
    store: DocumentStore,
    secret_keys: SecretKeys,
    accounts: AccountService,
    identities: IdentityRepository,
    throttle: SignInThrottle,
    mailer: BackgroundMailer,
    public_url: str,
    cors_origins: tuple[str, ...],
) -> AccountFlows:
    codes = OneTimeCodes(store, lifetime=config.code_ttl)
    templates = MailTemplates.load(config.mail_templates)
    limiter = RateLimiter(StoreAttemptStore(store))
    mfa = MfaService(
        accounts=accounts,
        repository=MfaRepository(store, secret_keys),
        challenges=ChallengeStore(store),
        throttle=throttle,
        policy=MfaPolicy(
            mode=config.mfa,
            required_groups=config.mfa_groups,
            issuer=config.mfa_issuer,
            challenge_lifetime=config.mfa_challenge_ttl,
        ),
    )
    challenges = ChallengeStore(store)
    passkey_store = PasskeyRepository(store)
    sign_in_methods = SignInMethods(
        store, identities, passkey_store, accounts, email_sign_in=config.email_sign_in
    )
    passkeys = PasskeyService(
        repository=passkey_store,
        challenges=challenges,
        ways=sign_in_methods,
        events=accounts.events,
        config=PasskeyConfig(
            rp_id=config.passkey_rp_id or (urlsplit(public_url).hostname or "localhost"),
            rp_name=config.mfa_issuer,
            origins=config.passkey_origins or (public_url, *cors_origins),
        ),
    )
    mfa.passkey_count = passkey_store.count
    passwordless = PasswordlessService(
        accounts=accounts,
        codes=codes,
        mailer=mailer,
        templates=templates,
        limiter=limiter,
        link_url=config.link_url,
    )
    return AccountFlows(
        mfa=mfa,
        passwordless=passwordless,
        email_change=EmailChangeService(
            accounts=accounts, store=store, codes=codes, mail=passwordless, limiter=limiter
        ),
        sign_in_methods=sign_in_methods,
        invitations=Invitations(
            accounts=accounts,
            codes=OneTimeCodes(store, lifetime=config.invite_ttl),
            lifetime=config.invite_ttl,
            links=passwordless,
            mailer=mailer,
            templates=templates,
            events=accounts.events,
            link_url=config.link_url,
        ),
        closing=AccountClosing(
            accounts=accounts, identities=identities, forget=(mfa.forget, passkey_store.forget)
        ),
        passkeys=passkeys,
    )
