"""An :class:`AccountService` on a real SQLite store, with mail and hashing you can watch.

The store is a real one (a file in the test's tmp dir): the guarantees under test are
the store's conditional writes. Mail goes to a list, and the hasher counts how many
passwords it evaluated (cheap argon2 parameters keep the tests fast).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from auth.accounts import AccountConfig, AccountService
from auth.mail import BackgroundMailer, Mail
from auth.one_time_codes import OneTimeCodes
from auth.password_work import PasswordWork
from auth.passwords import (
    PasswordHasher,
    PasswordHashingConfig,
    PasswordPolicy,
    PasswordVerification,
)
from auth.rate_limits import RateLimiter
from auth.refresh_store import RefreshTokenRepository
from auth.refresh_tokens import RefreshTokenPolicy
from auth.sessions import SessionService
from auth.signing_keys import InMemorySigningKeyRepository, KeyRing
from auth.stored_throttle import StoreAttemptStore
from auth.system_tables import ensure_system_tables
from auth.throttle import SignInThrottle
from auth.token_grants import TokenGrants
from auth.tokens import TokenConfig
from auth.users import UserRepository
from storage import DocumentStore, SqliteConfig, open_store

PASSWORD = "correct horse battery staple"
FAST = PasswordHashingConfig(time_cost=1, memory_cost_kib=8192, parallelism=1)


class CapturingSender:
    """A :class:`~auth.mail.MailSender` that keeps every mail."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []

    async def send(self, mail: Mail) -> None:
        self.mails.append(mail)

    def codes_to(self, to: str, subject_word: str) -> list[str]:
        """The codes mailed to ``to`` under a subject with the word, oldest first."""
        found = []
        for mail in self.mails:
            if mail.to == to and subject_word in mail.subject:
                match = re.search(r"\b(\d{8})\b", mail.body)
                if match:
                    found.append(match.group(1))
        return found


class CountingHasher(PasswordHasher):
    """Counts every password evaluation (real or dummy): what a throttle must bound."""

    def __init__(self) -> None:
        super().__init__(FAST)
        self._lock = threading.Lock()
        self.evaluations = 0

    def _count(self) -> None:
        with self._lock:
            self.evaluations += 1

    def verify_password(self, stored_hash: str, password: str) -> PasswordVerification:
        self._count()
        return super().verify_password(stored_hash, password)

    def verify_dummy(self, password: str) -> None:
        self._count()
        super().verify_dummy(password)


@dataclass
class Accounts:
    service: AccountService
    store: DocumentStore
    sender: CapturingSender
    hasher: CountingHasher
    mailer: BackgroundMailer

    async def code(self, to: str, subject_word: str = "verification") -> str:
        """The newest code mailed to ``to``."""
        await self.mailer.drain()
        codes = self.sender.codes_to(to, subject_word)
        assert codes, f"no {subject_word!r} code mailed to {to}"
        return codes[-1]

    async def signed_up_and_verified(self, email: str, password: str = PASSWORD) -> None:
        await self.service.sign_up(email, password, address="192.0.2.1")
        await self.service.verify_email(
            email, await self.code(email), password, address="192.0.2.1"
        )


def build_accounts(
    store: DocumentStore, config: AccountConfig | None = None, *, keyring: KeyRing
) -> Accounts:
    sender = CapturingSender()
    mailer = BackgroundMailer(sender)
    hasher = CountingHasher()
    attempts = StoreAttemptStore(store)
    token_config = TokenConfig(issuer="https://baas.test", audience="baas")
    service = AccountService(
        users=UserRepository(store, revocation_retention=930),
        passwords=PasswordWork(hasher, max_concurrent=4),
        policy=PasswordPolicy(),
        grants=TokenGrants(
            keyring,
            token_config,
            SessionService(
                RefreshTokenRepository(store, revocation_retention=930), RefreshTokenPolicy()
            ),
        ),
        codes=OneTimeCodes(store),
        mailer=mailer,
        throttle=SignInThrottle(attempts),
        limiter=RateLimiter(attempts),
        on_revoked=lambda _user_id, _not_before: None,
        config=config,
    )
    return Accounts(service, store, sender, hasher, mailer)


@contextlib.asynccontextmanager
async def accounts_on_disk(
    tmp_path: Path, config: AccountConfig | None = None
) -> AsyncIterator[Accounts]:
    async with open_store(SqliteConfig(tmp_path / "auth.sqlite3", synchronous="NORMAL")) as store:
        await ensure_system_tables(store)
        keyring = KeyRing(InMemorySigningKeyRepository(), retention=930)
        await keyring.load()
        accounts = build_accounts(store, config, keyring=keyring)
        yield accounts
        await accounts.mailer.drain()
