"""Shared fixtures for the auth unit tests: a controllable clock, a loaded key ring, and a
counter of emailed-code comparisons."""

from __future__ import annotations

import pytest

from auth.signing_keys import InMemorySigningKeyRepository, KeyRing
from auth.tokens import TokenConfig, TokenIssuer, TokenVerifier
from tests.unit.auth.auth_fakes import CodeComparisons, FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def token_config() -> TokenConfig:
    return TokenConfig(issuer="https://baas.test", audience="baas-api")


@pytest.fixture
def key_repository() -> InMemorySigningKeyRepository:
    return InMemorySigningKeyRepository()


@pytest.fixture
async def keyring(
    key_repository: InMemorySigningKeyRepository, token_config: TokenConfig, clock: FakeClock
) -> KeyRing:
    ring = KeyRing(key_repository, retention=token_config.key_retention, clock=clock)
    await ring.load()
    return ring


@pytest.fixture
def issuer(keyring: KeyRing, token_config: TokenConfig, clock: FakeClock) -> TokenIssuer:
    return TokenIssuer(keyring, token_config, clock=clock)


@pytest.fixture
def verifier(keyring: KeyRing, token_config: TokenConfig, clock: FakeClock) -> TokenVerifier:
    return TokenVerifier(keyring, token_config, clock=clock)


@pytest.fixture
def code_comparisons(monkeypatch: pytest.MonkeyPatch) -> CodeComparisons:
    return CodeComparisons(monkeypatch)
