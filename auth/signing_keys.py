"""Asymmetric keys that sign access tokens, their rotation, and the public JWKS.

One key is *active* (signs new tokens). :meth:`KeyRing.rotate` makes a new active key
and *retires* the old one: a retired key signs nothing, but stays published and usable
for verification for ``retention`` seconds, long enough for every token it signed to
expire. After that it disappears from the JWKS and verification.

Keys are persisted through a :class:`SigningKeyRepository` (the store-backed one lives
with the store wiring); several API processes share keys by calling
:meth:`KeyRing.load` again, e.g. periodically and after a rotation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol, get_args

from joserfc.jwk import ECKey, OKPKey, import_key

__all__ = [
    "InMemorySigningKeyRepository",
    "KeyRing",
    "SigningAlgorithm",
    "SigningKey",
    "SigningKeyRepository",
    "VerificationKey",
]

# "Ed25519" is the fully-specified JWS name of RFC 9864 §2.2; it replaces the polymorphic
# "EdDSA" (deprecated there, and joserfc warns when it is used).
SigningAlgorithm = Literal["ES256", "Ed25519"]
SIGNING_ALGORITHMS: tuple[SigningAlgorithm, ...] = get_args(SigningAlgorithm)

# The only JWK members ever published (RFC 7517 §4, RFC 7518 §6.2.1, RFC 8037 §2).
# An allow-list rather than "drop d": threat: leaking a private member (d, p, q, …).
_PUBLIC_MEMBERS = ("kty", "crv", "x", "y")

_CURVE_OF: dict[SigningAlgorithm, tuple[str, str]] = {
    "ES256": ("EC", "P-256"),  # RFC 7518 §3.4
    "Ed25519": ("OKP", "Ed25519"),  # RFC 8037 §2, RFC 9864 §2.2
}

JoseKey = ECKey | OKPKey


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One signing key as persisted: its private JWK and its lifecycle times (epoch seconds)."""

    kid: str
    alg: SigningAlgorithm
    private_jwk: Mapping[str, str] = field(repr=False)  # threat: private key in logs
    created_at: float
    retired_at: float | None = None

    @classmethod
    def generate(cls, alg: SigningAlgorithm, *, now: float) -> SigningKey:
        """A fresh key pair; its ``kid`` is the RFC 7638 thumbprint of the public key."""
        key: JoseKey = (
            ECKey.generate_key("P-256", private=True)
            if alg == "ES256"
            else OKPKey.generate_key("Ed25519", private=True)
        )
        return cls(
            kid=key.thumbprint(),
            alg=alg,
            private_jwk={k: str(v) for k, v in key.as_dict(private=True).items()},
            created_at=now,
        )

    def retire(self, now: float) -> SigningKey:
        """This key, no longer signing from ``now`` (idempotent: keeps the first time)."""
        return self if self.retired_at is not None else replace(self, retired_at=now)

    def verifies_at(self, now: float, retention: float) -> bool:
        """Whether tokens signed by this key may still be accepted at ``now``."""
        return self.retired_at is None or now < self.retired_at + retention

    def public_jwk(self) -> dict[str, str]:
        """The public JWK with ``kid``, ``alg`` and ``use`` (RFC 7517 §4.2-4.5)."""
        jwk = {name: self.private_jwk[name] for name in _PUBLIC_MEMBERS if name in self.private_jwk}
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """A public key and the one algorithm it may verify (RFC 8725 §3.1: pin per key)."""

    kid: str
    alg: SigningAlgorithm
    key: JoseKey


class SigningKeyRepository(Protocol):
    """Where signing keys live between restarts (the store-backed one comes with wiring)."""

    async def load_all(self) -> list[SigningKey]:
        """Every key saved so far, retired ones included."""
        ...

    async def save(self, key: SigningKey) -> None:
        """Insert or replace the key with ``key.kid``."""
        ...


class InMemorySigningKeyRepository:
    """A :class:`SigningKeyRepository` in a dict: for tests and single-process dev only."""

    def __init__(self) -> None:
        self._keys: dict[str, SigningKey] = {}

    async def load_all(self) -> list[SigningKey]:
        return list(self._keys.values())

    async def save(self, key: SigningKey) -> None:
        self._keys[key.kid] = key


class KeyRing:
    """The active signing key plus the retired ones still valid for verification.

    ``retention`` must be at least the longest access-token lifetime plus the clock
    leeway (``TokenConfig.key_retention``), or tokens would outlive their key.
    """

    def __init__(
        self,
        repository: SigningKeyRepository,
        *,
        retention: float,
        algorithm: SigningAlgorithm = "ES256",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if algorithm not in SIGNING_ALGORITHMS:
            raise ValueError(f"unsupported signing algorithm {algorithm!r}")
        self._repository = repository
        self._retention = retention
        self._algorithm: SigningAlgorithm = algorithm
        self._clock = clock
        self._keys: dict[str, SigningKey] = {}
        self._active: SigningKey | None = None
        self._private: JoseKey | None = None
        self._public: dict[str, VerificationKey] = {}

    async def load(self) -> None:
        """(Re)load keys from the repository, creating the first key if there is none."""
        keys = await self._repository.load_all()
        if not any(key.retired_at is None for key in keys):
            first = SigningKey.generate(self._algorithm, now=self._clock())
            await self._repository.save(first)
            keys = [*keys, first]
        self._install(keys)

    async def rotate(self) -> SigningKey:
        """Make a new active key and retire the current one; return the new key."""
        now = self._clock()
        new = SigningKey.generate(self._algorithm, now=now)
        # New key first: a crash in between leaves two unretired keys, and the newest
        # wins (see _install), never zero.
        await self._repository.save(new)
        retired = self.active_key.retire(now)
        await self._repository.save(retired)
        self._install([*self._keys.values(), new, retired])
        return new

    async def rotate_if_older_than(self, max_age: float) -> SigningKey | None:
        """Rotate when the active key has signed for ``max_age`` seconds or more."""
        if self._clock() - self.active_key.created_at < max_age:
            return None
        return await self.rotate()

    @property
    def active_key(self) -> SigningKey:
        """The key that signs new tokens."""
        if self._active is None:
            raise RuntimeError("KeyRing.load() has not been awaited")
        return self._active

    def signing_key(self) -> tuple[SigningKey, JoseKey]:
        """The active key and its joserfc private key object."""
        if self._private is None:
            raise RuntimeError("KeyRing.load() has not been awaited")
        return self.active_key, self._private

    def verification_key(self, kid: str) -> VerificationKey | None:
        """The public key with ``kid`` if it may still verify tokens now, else None."""
        found = self._public.get(kid)
        if found is None or not self._keys[kid].verifies_at(self._clock(), self._retention):
            return None
        return found

    def public_jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JWK Set (RFC 7517 §5) served at ``/.well-known/jwks.json``: public members only."""
        now = self._clock()
        live = [key for key in self._keys.values() if key.verifies_at(now, self._retention)]
        live.sort(key=lambda key: (key.retired_at is not None, -key.created_at))
        return {"keys": [key.public_jwk() for key in live]}

    def _install(self, keys: list[SigningKey]) -> None:
        by_kid = {key.kid: key for key in keys}
        unretired = sorted(
            (key for key in by_kid.values() if key.retired_at is None),
            key=lambda key: key.created_at,
        )
        active = unretired[-1]
        # Older unretired keys (a crash mid-rotation, or two processes rotating at once)
        # are treated as retired when the newest one was created.
        for stale in unretired[:-1]:
            by_kid[stale.kid] = stale.retire(active.created_at)
        self._keys = by_kid
        self._active = active
        self._private = _import_private(active)
        self._public = {
            kid: VerificationKey(kid, key.alg, _import_public(key)) for kid, key in by_kid.items()
        }


def _import_private(key: SigningKey) -> JoseKey:
    imported = import_key(dict(key.private_jwk))
    if not isinstance(imported, ECKey | OKPKey) or not imported.is_private:
        raise ValueError(f"signing key {key.kid} is not an EC/OKP private key")
    return imported


def _import_public(key: SigningKey) -> JoseKey:
    kty, crv = _CURVE_OF[key.alg]
    public = key.public_jwk()
    if public.get("kty") != kty or public.get("crv") != crv:
        # Threat: a stored key whose type does not match its alg (algorithm confusion).
        raise ValueError(f"signing key {key.kid} does not match its algorithm {key.alg}")
    imported = import_key({name: public[name] for name in _PUBLIC_MEMBERS if name in public})
    if not isinstance(imported, ECKey | OKPKey):
        raise TypeError(f"signing key {key.kid} is not an EC/OKP key")
    return imported
