"""The deployment's secret key: it seals the secrets kept in the store.

Whoever reads the store's files (or a backup of them) must not be able to sign access
tokens or SigV4 requests. So the private signing keys and the access keys' secrets are
stored *sealed*: encrypted with AES-256-GCM under a key-encryption key that is not in
the store (``BAAS_SECRET_KEY``, see docs/auth.md "Secrets at rest"). The same secret
key also yields, by HKDF (RFC 5869), the other keys baas processes share — the OAuth
state cookie's and the Temporal caller signature's — so one setting covers them all.

:class:`SecretKeys` holds the current key and, during a rotation, former ones: a value
sealed under any of them opens, new values are sealed under the current one, and
:func:`auth.sealed_store.reseal_store` re-seals the rest.

A sealed value is text: ``v1:<key id>:<base64url(nonce || ciphertext || tag)>``. Its
*context* (where it is stored, e.g. ``_baas_signing_keys/<kid>``) is authenticated
data: a sealed value copied to another row does not open there (threat: an attacker
with write access to the file swapping secrets between rows).
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from auth.errors import SecretKeyError

__all__ = ["KEY_BYTES", "SecretKeys", "decrypt", "encrypt"]

KEY_BYTES = 32  # 256 bits of key material, at least
_FORMAT = "v1"
_NONCE_BYTES = 12  # AES-GCM's 96-bit nonce (NIST SP 800-38D §8.2.2: random is fine here)


class SecretKeys:
    """The current secret key first, then former ones still accepted (rotation)."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("at least one secret key is needed")
        if any(len(key) < KEY_BYTES for key in keys):
            raise ValueError(f"a secret key has at least {KEY_BYTES} bytes")
        self._keys = tuple(keys)
        self._sealing = {self._key_id(key): _derive(key, "seal") for key in self._keys}
        self.ids = tuple(self._sealing)

    def __repr__(self) -> str:
        return f"SecretKeys(ids={self.ids!r})"  # threat: key material in logs

    @classmethod
    def parse(cls, text: str) -> SecretKeys:
        """Keys written as base64 (standard or URL-safe), separated by commas or lines.

        Raises ValueError with a message that never repeats the text (it is a secret).
        """
        parts = [part.strip() for part in text.replace("\n", ",").split(",")]
        parts = [part for part in parts if part]
        if not parts:
            raise ValueError("no key given")
        keys = []
        for number, part in enumerate(parts, start=1):
            try:
                raw = base64.urlsafe_b64decode(
                    part.replace("+", "-").replace("/", "_") + "=" * (-len(part) % 4)
                )
            except (binascii.Error, ValueError):
                raise ValueError(f"key {number} is not base64") from None
            if len(raw) < KEY_BYTES:
                raise ValueError(
                    f"key {number} has {len(raw)} bytes, at least {KEY_BYTES} are needed "
                    "(make one with: openssl rand -base64 32)"
                )
            keys.append(raw)
        return cls(keys)

    @staticmethod
    def generate() -> str:
        """A new random key, as :meth:`parse` reads it."""
        return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode().rstrip("=")

    @property
    def current_id(self) -> str:
        """The id of the key new values are sealed with (it names a key, reveals nothing)."""
        return self.ids[0]

    def seal(self, plaintext: bytes, context: str) -> str:
        """``plaintext`` encrypted under the current key, bound to ``context``."""
        blob = encrypt(self._sealing[self.current_id], plaintext, context.encode())
        return f"{_FORMAT}:{self.current_id}:{_b64(blob)}"

    def open(self, sealed: object, context: str) -> bytes:
        """The plaintext of a value sealed by :meth:`seal` with the same ``context``.

        SecretKeyError when it was sealed under a key not given here, was altered, or
        belongs elsewhere.
        """
        key_id, blob = self._parts(sealed)
        key = self._sealing.get(key_id)
        if key is None:
            raise SecretKeyError(f"a secret is sealed with key {key_id}, which is not given")
        plaintext = decrypt((key,), blob, context.encode())
        if plaintext is None:
            raise SecretKeyError("a sealed secret does not open: altered, or moved from elsewhere")
        return plaintext

    def sealed_with(self, sealed: object) -> str:
        """The id of the key a sealed value was sealed with."""
        return self._parts(sealed)[0]

    def derive(self, purpose: str) -> tuple[bytes, ...]:
        """A 256-bit key for ``purpose`` from each secret key, the current one's first."""
        return tuple(_derive(key, purpose) for key in self._keys)

    @staticmethod
    def _key_id(key: bytes) -> str:
        return _derive(key, "key id")[:6].hex()

    @staticmethod
    def _parts(sealed: object) -> tuple[str, bytes]:
        if not isinstance(sealed, str):
            raise SecretKeyError("a sealed secret is malformed")
        version, _, rest = sealed.partition(":")
        key_id, _, text = rest.partition(":")
        try:
            blob = _unb64(text)
        except (binascii.Error, ValueError):
            blob = b""
        if version != _FORMAT or not key_id or len(blob) <= _NONCE_BYTES:
            raise SecretKeyError("a sealed secret is malformed")
        return key_id, blob


def encrypt(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    """AES-256-GCM: a random nonce followed by the ciphertext and its tag."""
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def decrypt(keys: Sequence[bytes], blob: bytes, associated: bytes) -> bytes | None:
    """The plaintext of :func:`encrypt`'s output under any of ``keys``, else None."""
    nonce, ciphertext = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
    if len(nonce) != _NONCE_BYTES:
        return None
    for key in keys:
        try:
            return AESGCM(key).decrypt(nonce, ciphertext, associated)
        except InvalidTag:
            continue
    return None


def _derive(key: bytes, purpose: str) -> bytes:
    """HKDF-SHA256 (RFC 5869) of ``key`` for one purpose: independent keys per use."""
    info = b"baas/" + purpose.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
