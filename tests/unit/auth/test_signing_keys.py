"""Signing keys: persistence, rotation, retirement, and what the JWKS publishes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auth.errors import InvalidTokenError
from auth.signing_keys import (
    InMemorySigningKeyRepository,
    KeyRing,
    SigningAlgorithm,
    SigningKey,
)
from auth.tokens import TokenConfig, TokenIssuer, TokenVerifier
from tests.unit.auth.auth_fakes import FakeClock

PUBLIC_MEMBERS = {
    "ES256": {"kty", "crv", "x", "y", "kid", "alg", "use"},
    "Ed25519": {"kty", "crv", "x", "kid", "alg", "use"},
}


async def test_first_load_creates_and_persists_one_key(
    keyring: KeyRing, key_repository: InMemorySigningKeyRepository, clock: FakeClock
) -> None:
    stored = await key_repository.load_all()
    assert [key.kid for key in stored] == [keyring.active_key.kid]
    again = KeyRing(key_repository, retention=930, clock=clock)
    await again.load()
    assert again.active_key.kid == keyring.active_key.kid


async def test_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_new_key(
    keyring: KeyRing, issuer: TokenIssuer, verifier: TokenVerifier, clock: FakeClock
) -> None:
    old_kid = keyring.active_key.kid
    old_token = issuer.issue_access_token("user-1").token
    clock.advance(60)
    new_key = await keyring.rotate()
    assert keyring.active_key == new_key
    assert new_key.kid != old_kid
    assert verifier.verify(old_token).key_id == old_kid
    assert verifier.verify(issuer.issue_access_token("user-1").token).key_id == new_key.kid


async def test_retired_key_leaves_jwks_once_its_tokens_have_expired(
    keyring: KeyRing, issuer: TokenIssuer, token_config: TokenConfig, clock: FakeClock
) -> None:
    old_kid = keyring.active_key.kid
    issuer.issue_access_token("user-1")
    await keyring.rotate()
    published = [jwk["kid"] for jwk in keyring.public_jwks()["keys"]]
    assert published == [keyring.active_key.kid, old_kid]  # active first

    clock.advance(token_config.key_retention - 1)
    assert old_kid in {jwk["kid"] for jwk in keyring.public_jwks()["keys"]}
    clock.advance(1)
    assert [jwk["kid"] for jwk in keyring.public_jwks()["keys"]] == [keyring.active_key.kid]
    assert keyring.verification_key(old_kid) is None


async def test_token_of_a_dropped_key_is_refused_even_within_its_own_lifetime(
    keyring: KeyRing, issuer: TokenIssuer, verifier: TokenVerifier, clock: FakeClock
) -> None:
    # A long-lived token (lifetime beyond retention) must not outlive its key.
    token = issuer.issue_access_token("user-1", lifetime=3600).token
    await keyring.rotate()
    clock.advance(1000)
    with pytest.raises(InvalidTokenError):
        verifier.verify(token)


@pytest.mark.parametrize("algorithm", ["ES256", "Ed25519"])
async def test_jwks_publishes_public_members_only(
    algorithm: SigningAlgorithm, clock: FakeClock
) -> None:
    ring = KeyRing(InMemorySigningKeyRepository(), retention=930, algorithm=algorithm, clock=clock)
    await ring.load()
    await ring.rotate()
    jwks = ring.public_jwks()
    assert len(jwks["keys"]) == 2
    for jwk in jwks["keys"]:
        assert set(jwk) == PUBLIC_MEMBERS[algorithm]
        assert jwk["alg"] == algorithm
        assert jwk["use"] == "sig"
        assert "d" not in jwk


async def test_signing_key_repr_hides_the_private_key(keyring: KeyRing) -> None:
    key = keyring.active_key
    assert key.private_jwk["d"] not in repr(key)


async def test_crash_mid_rotation_leaves_newest_key_active(clock: FakeClock) -> None:
    repository = InMemorySigningKeyRepository()
    older = SigningKey.generate("ES256", now=clock())
    newer = SigningKey.generate("ES256", now=clock() + 5)
    await repository.save(older)
    await repository.save(newer)  # both unretired, as if the process died in between
    ring = KeyRing(repository, retention=930, clock=clock)
    await ring.load()
    assert ring.active_key.kid == newer.kid
    assert ring.verification_key(older.kid) is not None
    clock.advance(5 + 930)
    assert ring.verification_key(older.kid) is None


async def test_other_process_sees_rotation_after_reload(
    keyring: KeyRing, key_repository: InMemorySigningKeyRepository, clock: FakeClock
) -> None:
    other = KeyRing(key_repository, retention=930, clock=clock)
    await other.load()
    rotated = await keyring.rotate()
    assert other.verification_key(rotated.kid) is None
    await other.load()
    assert other.active_key.kid == rotated.kid


async def test_rotate_if_older_than(keyring: KeyRing, clock: FakeClock) -> None:
    day = 24 * 3600
    assert await keyring.rotate_if_older_than(30 * day) is None
    clock.advance(30 * day)
    rotated = await keyring.rotate_if_older_than(30 * day)
    assert rotated is not None
    assert keyring.active_key == rotated


async def test_stored_key_not_matching_its_alg_is_refused(clock: FakeClock) -> None:
    repository = InMemorySigningKeyRepository()
    ed_key = SigningKey.generate("Ed25519", now=clock())
    await repository.save(replace(ed_key, alg="ES256"))
    with pytest.raises(ValueError, match="does not match"):
        await KeyRing(repository, retention=930, clock=clock).load()


def test_unloaded_ring_refuses_to_sign(clock: FakeClock) -> None:
    ring = KeyRing(InMemorySigningKeyRepository(), retention=930, clock=clock)
    with pytest.raises(RuntimeError, match="load"):
        ring.signing_key()
