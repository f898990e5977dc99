"""The verified-token cache never accepts what a full verification would refuse."""

from __future__ import annotations

import pytest

from auth.errors import InvalidTokenError
from auth.revocation import RevocationList
from auth.signing_keys import KeyRing
from auth.tokens import TokenConfig, TokenIssuer, TokenVerifier
from tests.unit.auth.auth_fakes import FakeClock


def _verifier(
    keyring: KeyRing, config: TokenConfig, clock: FakeClock, revoked: RevocationList
) -> TokenVerifier:
    return TokenVerifier(keyring, config, clock=clock, is_revoked=revoked.is_revoked, cache_size=2)


def _revocations(clock: FakeClock) -> RevocationList:
    revocations = RevocationList(retention=930, clock=clock, wall_clock=clock)
    revocations.mark_current(clock())
    return revocations


def test_a_cached_token_still_expires(
    keyring: KeyRing, token_config: TokenConfig, clock: FakeClock, issuer: TokenIssuer
) -> None:
    verifier = _verifier(keyring, token_config, clock, _revocations(clock))
    token = issuer.issue_access_token("user-1").token
    assert verifier.verify(token).subject == "user-1"
    assert verifier.verify(token).subject == "user-1"  # from the cache
    clock.advance(token_config.access_token_lifetime + token_config.clock_leeway + 1)
    with pytest.raises(InvalidTokenError):
        verifier.verify(token)


def test_a_cached_token_is_still_revoked(
    keyring: KeyRing, token_config: TokenConfig, clock: FakeClock, issuer: TokenIssuer
) -> None:
    revoked = _revocations(clock)
    verifier = _verifier(keyring, token_config, clock, revoked)
    token = issuer.issue_access_token("user-1").token
    verifier.verify(token)
    revoked.revoke_user("user-1", clock.now + 1)
    with pytest.raises(InvalidTokenError):
        verifier.verify(token)


async def test_a_cached_token_dies_with_its_retired_key(
    keyring: KeyRing, token_config: TokenConfig, clock: FakeClock, issuer: TokenIssuer
) -> None:
    verifier = _verifier(keyring, token_config, clock, _revocations(clock))
    token = issuer.issue_access_token("user-1", lifetime=10 * token_config.key_retention).token
    verifier.verify(token)
    await keyring.rotate()
    clock.advance(token_config.key_retention + 1)
    with pytest.raises(InvalidTokenError):
        verifier.verify(token)


def test_the_cache_is_bounded_and_a_tampered_token_misses_it(
    keyring: KeyRing, token_config: TokenConfig, clock: FakeClock, issuer: TokenIssuer
) -> None:
    verifier = _verifier(keyring, token_config, clock, _revocations(clock))
    tokens = [issuer.issue_access_token(f"user-{i}").token for i in range(3)]
    for token in tokens:
        verifier.verify(token)
    assert len(verifier._verified) == 2
    header, payload, signature = tokens[0].split(".")
    with pytest.raises(InvalidTokenError):
        verifier.verify(f"{header}.{payload}.{signature[:-4]}AAAA")
