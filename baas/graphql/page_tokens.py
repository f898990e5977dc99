"""Opaque, authenticated ``nextToken`` values.

A page ends where the store stopped reading (its LastEvaluatedKey). That key may belong
to an item the caller cannot see (the owner filter ran after the read), so the token
is *encrypted*, not only signed: AES-256-GCM with a server key shared by every API
process (derived from the secret key, see :mod:`auth.secret_keys`).

The token is bound to where it may be used: the GCM associated data is the model, the
index, the caller (kind, id, groups) and a digest of the query's arguments (partition
value, sort condition, filter, direction). A token altered by one bit, minted for
another user or another query, or older than its lifetime fails to open, and all of
these fail the same way. Threats: tampering to start a read elsewhere, replaying a
token under another identity to read outside that identity's rules, and learning
other users' keys from a token.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from auth.rules import Caller
from baas.graphql.errors import InvalidPageTokenError
from storage import Item, from_wire, to_wire
from storage.errors import ValidationError

__all__ = ["PageBinding", "PageTokenKeeper", "PageTokens", "PendingToken"]

_NONCE_BYTES = 12
_VERSION = b"p1"
DEFAULT_LIFETIME_SECONDS = 24 * 3600
MAX_TOKEN_CHARS = 4096


@dataclass(frozen=True)
class PageBinding:
    """Where a token may be used: model, index (``""`` for the table), caller, query."""

    model: str
    index: str
    caller: Caller
    query: Mapping[str, Any]

    def associated_data(self) -> bytes:
        identity = [self.caller.kind.value, self.caller.user_id or "", sorted(self.caller.groups)]
        query = json.dumps(self.query, sort_keys=True, separators=(",", ":"), default=str)
        digest = hashlib.sha256(query.encode()).hexdigest()
        text = json.dumps([self.model, self.index, identity, digest], separators=(",", ":"))
        return _VERSION + text.encode()


class PageTokens:
    """Issues and opens page tokens with one 32-byte key."""

    def __init__(
        self,
        key: bytes,
        *,
        lifetime: float = DEFAULT_LIFETIME_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(key) != 32:
            raise ValueError("the page token key must be 32 bytes")
        self._aead = AESGCM(key)
        self._lifetime = lifetime
        self._clock = clock

    def issue(self, last_key: Item, binding: PageBinding) -> str:
        """A token continuing after ``last_key``, usable only under ``binding``."""
        plain = json.dumps(
            {"k": to_wire(last_key), "x": int(self._clock() + self._lifetime)},
            separators=(",", ":"),
        ).encode()
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plain, binding.associated_data())
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")

    def open(self, token: str, binding: PageBinding) -> Item:
        """The key to start after; :class:`InvalidPageTokenError` if not usable here."""
        if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_CHARS:
            raise InvalidPageTokenError()
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            plain = self._aead.decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], binding.associated_data()
            )
            content = json.loads(plain)
            expires = content["x"]
            key = from_wire(content["k"])
        except (binascii.Error, ValueError, InvalidTag, KeyError, TypeError, ValidationError):
            raise InvalidPageTokenError() from None
        if not isinstance(expires, int) or expires < self._clock():
            raise InvalidPageTokenError()
        return key


class PendingToken:
    """A page's ``nextToken``, sealed only when a client selects it.

    Sealing costs an AES-GCM encryption and a hash; a nested query reads a page per
    parent and rarely asks each for its token (the schema's default resolver calls
    :meth:`issue` when the field is read).
    """

    __slots__ = ("_binding", "_last_key", "_tokens")

    def __init__(self, tokens: PageTokens, last_key: Item, binding: PageBinding) -> None:
        self._tokens = tokens
        self._last_key = last_key
        self._binding = binding

    def issue(self) -> str:
        return self._tokens.issue(self._last_key, self._binding)


class PageTokenKeeper:
    """Loads the key once (``load`` gives it), then reuses it."""

    def __init__(self, load: Callable[[], Awaitable[bytes]]) -> None:
        self._load = load
        self._tokens: PageTokens | None = None
        self._lock = asyncio.Lock()

    async def __call__(self) -> PageTokens:
        if self._tokens is None:
            async with self._lock:
                if self._tokens is None:
                    self._tokens = PageTokens(await self._load())
        return self._tokens
