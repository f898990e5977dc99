"""The apps that may sign their users in with baas: OAuth 2.0 / OpenID Connect clients.

An operator registers a client (``baas oauth-clients create`` or
``POST /auth/admin/oauth-clients``) with the exact redirect URIs it will use. A
*confidential* client (a server) gets a secret, shown once; a *public* one (a single
page or native app) has none and proves itself with PKCE alone (RFC 7636, required for
every client here).

- **Redirect URIs** are compared as exact strings (RFC 9700 §4.1.3): no prefix, no
  added path or query, no case folding. A registered URI is absolute, has no fragment
  (RFC 6749 §3.1.2) and no user info, and is https, or http on a loopback host only
  (RFC 8252 §7.3). Threat: an open redirector handing codes to an attacker.
- **Secrets** are 256 random bits, so a SHA-256 digest is all that is stored (as for
  refresh tokens, see :func:`auth.refresh_tokens.hash_refresh_token`); they are compared
  in constant time. Threat: a copy of the store or a backup becoming client credentials.

Clients live in ``_baas_oauth_clients``, keyed by ``client_id``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlsplit

from auth.errors import InvalidRequestError
from auth.oauth_errors import InvalidClientError
from auth.system_tables import OAUTH_CLIENTS_TABLE
from storage import DocumentStore, Item
from storage.errors import ConditionalCheckFailedError

__all__ = ["OAuthClient", "OAuthClientRegistry", "RegisteredClient", "check_redirect_uri"]

_MAX_URI = 2000
_MAX_URIS = 10
_MAX_NAME = 100
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{22}")
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})


@dataclass(frozen=True, slots=True)
class OAuthClient:
    """A registered client, as stored (never its secret)."""

    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()
    public: bool = False
    secret_hash: str | None = field(default=None, repr=False)
    created_at: float = 0.0

    def public_view(self) -> dict[str, object]:
        """What an admin sees: everything but the secret's digest."""
        return {
            "client_id": self.client_id,
            "name": self.name,
            "redirect_uris": list(self.redirect_uris),
            "post_logout_redirect_uris": list(self.post_logout_redirect_uris),
            "public": self.public,
            "token_endpoint_auth_method": "none" if self.public else "client_secret_basic",
            "created_at": int(self.created_at),
        }

    def secret_matches(self, secret: str) -> bool:
        """Whether ``secret`` is this confidential client's secret (constant time)."""
        if self.secret_hash is None:
            return False
        return hmac.compare_digest(_digest(secret), self.secret_hash)


@dataclass(frozen=True, slots=True)
class RegisteredClient:
    """A client just registered, with its secret (None for a public client): shown once."""

    client: OAuthClient
    secret: str | None = field(repr=False)  # threat: the credential in logs


def check_redirect_uri(uri: object) -> str:
    """``uri`` if it may be registered as a redirect URI; ``InvalidRequestError`` if not."""
    if not isinstance(uri, str) or not 0 < len(uri) <= _MAX_URI or not uri.isascii():
        raise InvalidRequestError("A redirect URI is an absolute URL of at most 2000 characters.")
    if any(c.isspace() for c in uri):
        raise InvalidRequestError("A redirect URI has no spaces.")
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:
        raise InvalidRequestError(f"{uri!r} is not a URL.") from None
    if "#" in uri or parts.username is not None or parts.password is not None or not host:
        raise InvalidRequestError("A redirect URI has a host and no fragment or user info.")
    netloc_host = parts.netloc.rsplit(":", 1)[0] if "]" not in parts.netloc else parts.netloc
    loopback = host in _LOOPBACK_HOSTS or netloc_host in _LOOPBACK_HOSTS
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise InvalidRequestError("A redirect URI is https (or http on localhost only).")
    return uri


class OAuthClientRegistry:
    """Clients in the document store (``store`` may be a function returning it)."""

    def __init__(
        self,
        store: DocumentStore | Callable[[], DocumentStore],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._get_store = store if callable(store) else lambda: store
        self._clock = clock

    async def create(
        self,
        *,
        name: object,
        redirect_uris: Iterable[object],
        post_logout_redirect_uris: Iterable[object] = (),
        public: bool = False,
    ) -> RegisteredClient:
        """Register a client; its secret (confidential clients) is in the answer only."""
        if not isinstance(name, str) or not name.strip() or len(name) > _MAX_NAME:
            raise InvalidRequestError("A client needs a name of 1 to 100 characters.")
        uris = _uris(redirect_uris, "redirect URI")
        if not uris:
            raise InvalidRequestError("A client needs at least one redirect URI.")
        logout_uris = _uris(post_logout_redirect_uris, "post-logout redirect URI")
        secret = None if public else secrets.token_urlsafe(32)
        client = OAuthClient(
            client_id=secrets.token_urlsafe(16),
            name=name.strip(),
            redirect_uris=uris,
            post_logout_redirect_uris=logout_uris,
            public=public,
            secret_hash=None if secret is None else _digest(secret),
            created_at=self._clock(),
        )
        await self._get_store().put_item(
            OAUTH_CLIENTS_TABLE, _to_item(client), condition="attribute_not_exists(client_id)"
        )
        return RegisteredClient(client, secret)

    async def get(self, client_id: object) -> OAuthClient | None:
        """The client with this id, or None (for any malformed id too)."""
        if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
            return None
        item = await self._get_store().get_item(OAUTH_CLIENTS_TABLE, {"client_id": client_id})
        return None if item is None else _from_item(item)

    async def list(self) -> list[OAuthClient]:
        """Every client, oldest first."""
        clients: list[OAuthClient] = []
        start: Item | None = None
        while True:
            page = await self._get_store().scan(OAUTH_CLIENTS_TABLE, exclusive_start_key=start)
            clients.extend(_from_item(item) for item in page.items)
            start = page.last_evaluated_key
            if start is None:
                return sorted(clients, key=lambda client: client.created_at)

    async def delete(self, client_id: str) -> bool:
        """Remove a client; its codes and refresh tokens stop working. False if none."""
        if not _CLIENT_ID.fullmatch(client_id):
            return False
        try:
            await self._get_store().delete_item(
                OAUTH_CLIENTS_TABLE,
                {"client_id": client_id},
                condition="attribute_exists(client_id)",
            )
        except ConditionalCheckFailedError:
            return False
        return True

    async def authenticate(self, client_id: object, secret: object) -> OAuthClient:
        """The client making a token, revocation … request (RFC 6749 §2.3).

        A confidential client must send its secret; a public one must not claim one.
        ``InvalidClientError`` otherwise, one answer whatever was wrong.
        """
        client = await self.get(client_id)
        if client is None:
            raise InvalidClientError()
        if client.public:
            if secret is not None:
                raise InvalidClientError()
            return client
        if not isinstance(secret, str) or not client.secret_matches(secret):
            raise InvalidClientError()
        return client


def _uris(values: Iterable[object], what: str) -> tuple[str, ...]:
    if isinstance(values, str):
        raise TypeError(f"{what}s are a collection, not one string")
    uris = tuple(dict.fromkeys(check_redirect_uri(value) for value in values))
    if len(uris) > _MAX_URIS:
        raise InvalidRequestError(f"At most {_MAX_URIS} {what}s per client.")
    return uris


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _to_item(client: OAuthClient) -> Item:
    item: Item = {
        "client_id": client.client_id,
        "name": client.name,
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "public": client.public,
        "created_at": Decimal(str(round(client.created_at, 3))),
    }
    if client.secret_hash is not None:
        item["secret_hash"] = client.secret_hash
    return item


def _from_item(item: Item) -> OAuthClient:
    def texts(name: str) -> tuple[str, ...]:
        value = item.get(name)
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    secret_hash = item.get("secret_hash")
    return OAuthClient(
        client_id=str(item["client_id"]),
        name=str(item.get("name", "")),
        redirect_uris=texts("redirect_uris"),
        post_logout_redirect_uris=texts("post_logout_redirect_uris"),
        public=item.get("public") is True,
        secret_hash=secret_hash if isinstance(secret_hash, str) else None,
        created_at=float(str(item.get("created_at", 0))),
    )
