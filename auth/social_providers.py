"""Social-login providers, spoken to as an OAuth 2.0 / OpenID Connect client (Authlib).

- :class:`OidcProvider`: any OpenID provider, from its discovery document
  (OIDC Discovery §4). The ID token is validated fully (OIDC Core §3.1.3.7): signature
  with a key from the provider's JWKS and an algorithm it announced (asymmetric only),
  ``iss``, ``aud`` (and ``azp`` when there are several audiences), ``exp``, ``iat``,
  ``nonce``. The email comes from the ID token, or else from the UserInfo endpoint
  (OIDC Core §5.3), where a conforming provider puts the claims a scope asked for.
- :class:`GitHubProvider`: GitHub is OAuth 2.0 without OpenID Connect; the identity is
  read from its user API (``/user``, and ``/user/emails`` for a verified email).

Both use the authorization code grant with PKCE S256 (RFC 7636, RFC 9700 §2.1.1) and
the exact redirect URI registered with the provider (RFC 9700 §4.1).
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx2
from authlib.integrations.httpx_client import (
    AsyncOAuth2Client,
    OAuthError,
)
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from auth.errors import SocialLoginError
from auth.social_config import OAuthProvider, ProviderConfig, ProviderIdentity
from auth.social_state import FlowState

__all__ = [
    "GitHubProvider",
    "OAuthProvider",
    "OidcProvider",
    "ProviderConfig",
    "ProviderIdentity",
    "build_provider",
]

_log = logging.getLogger("auth.social")
_TIMEOUT = 10.0
_LEEWAY = 60  # seconds of clock skew tolerated on exp/iat
# Threat: "none" and HMAC algorithms (a client secret as verification key) on ID tokens.
_ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
_GITHUB_AUTHORIZE = "https://github.com/login/oauth/authorize"
_GITHUB_TOKEN = "https://github.com/login/oauth/access_token"  # noqa: S105 - a URL
_GITHUB_API = "https://api.github.com"
GITHUB_ISSUER = "https://github.com"

ProviderErrors = (OAuthError, httpx2.HTTPError, JoseError, ValueError, KeyError, TypeError)


def _client(config: ProviderConfig, redirect_uri: str | None = None) -> Any:
    return AsyncOAuth2Client(
        client_id=config.client_id,
        client_secret=config.client_secret,
        scope=" ".join(config.scopes),
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=_TIMEOUT,
    )


class OidcProvider:
    """An OpenID provider known by its discovery URL."""

    def __init__(self, config: ProviderConfig, http: httpx2.AsyncClient) -> None:
        self.config = config
        self._http = http
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    async def authorization_url(self, flow: FlowState, redirect_uri: str) -> str:
        metadata = await self._discover()
        async with _client(self.config, redirect_uri) as client:
            url, _state = client.create_authorization_url(
                metadata["authorization_endpoint"],
                state=flow.state,
                nonce=flow.nonce,
                code_verifier=flow.code_verifier,
            )
        return str(url)

    async def identity(
        self, flow: FlowState, code: str, redirect_uri: str, iss: str | None
    ) -> ProviderIdentity:
        metadata = await self._discover()
        # RFC 9207: when the provider names itself in the response, it must be this one
        # (threat: mix-up attacks between providers).
        if iss is not None and iss != metadata["issuer"]:
            raise SocialLoginError()
        async with _client(self.config, redirect_uri) as client:
            token = await client.fetch_token(
                metadata["token_endpoint"], code=code, code_verifier=flow.code_verifier
            )
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SocialLoginError()
        claims = await self._validate(id_token, metadata, flow.nonce)
        if not isinstance(claims.get("email"), str):
            claims = {**claims, **await self._userinfo(metadata, token, str(claims["sub"]))}
        email = claims.get("email")
        return ProviderIdentity(
            issuer=str(claims["iss"]),
            subject=str(claims["sub"]),
            email=email if isinstance(email, str) else None,
            email_verified=claims.get("email_verified") is True,
        )

    async def _userinfo(
        self, metadata: Mapping[str, Any], token: Mapping[str, Any], subject: str
    ) -> dict[str, Any]:
        """``email`` and ``email_verified`` from the UserInfo endpoint, when it has them.

        Only a JSON answer about the ID token's own subject counts (OIDC Core §5.3.2:
        threat: another user's claims substituted, so another user's email trusted).
        """
        endpoint, access_token = metadata.get("userinfo_endpoint"), token.get("access_token")
        if not isinstance(endpoint, str) or not isinstance(access_token, str):
            return {}
        response = await self._http.get(
            endpoint, headers={"Authorization": f"Bearer {access_token}"}
        )
        response.raise_for_status()
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        info = response.json() if content_type == "application/json" else None
        if not isinstance(info, dict) or info.get("sub") != subject:
            _log.warning(
                "provider %s: userinfo refused (not JSON about the subject)", self.config.name
            )
            return {}
        return {name: info[name] for name in ("email", "email_verified") if name in info}

    async def _validate(
        self, id_token: str, metadata: Mapping[str, Any], nonce: str
    ) -> dict[str, Any]:
        announced = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [alg for alg in announced if alg in _ASYMMETRIC]
        try:
            decoded = jwt.decode(id_token, await self._key_set(), algorithms=algorithms)
        except JoseError:
            # Maybe the provider rotated its keys: fetch them once more, then give up.
            decoded = jwt.decode(id_token, await self._key_set(refresh=True), algorithms=algorithms)
        claims = dict(decoded.claims)
        now = time.time()
        aud, azp = claims.get("aud"), claims.get("azp")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        nonce_claim = claims.get("nonce")
        checks = (
            claims.get("iss") == metadata["issuer"],  # OIDC Core §3.1.3.7 step 2
            self.config.client_id in audiences,  # step 3
            len(audiences) == 1 or azp == self.config.client_id,  # steps 4-5
            _number(claims.get("exp")) > now - _LEEWAY,  # step 9
            _number(claims.get("iat")) < now + _LEEWAY,  # step 10
            isinstance(nonce_claim, str)  # step 11
            and hmac.compare_digest(nonce_claim.encode(), nonce.encode()),
            isinstance(claims.get("sub"), str) and claims["sub"] != "",
        )
        if not all(checks):
            raise SocialLoginError()
        return claims

    async def _discover(self) -> dict[str, Any]:
        if self._metadata is None:
            url = self.config.discovery_url
            if url is None:
                raise SocialLoginError()
            response = await self._http.get(url)
            response.raise_for_status()
            metadata = response.json()
            required = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
            if not isinstance(metadata, dict) or not all(
                isinstance(metadata.get(name), str) for name in required
            ):
                raise SocialLoginError()
            self._metadata = metadata
        return self._metadata

    async def _key_set(self, *, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            metadata = await self._discover()
            response = await self._http.get(metadata["jwks_uri"])
            response.raise_for_status()
            self._keys = KeySet.import_key_set(response.json())
        return self._keys


class GitHubProvider:
    """GitHub OAuth apps: OAuth 2.0, identity from the REST API."""

    def __init__(self, config: ProviderConfig, http: httpx2.AsyncClient) -> None:
        self.config = config
        self._http = http

    async def authorization_url(self, flow: FlowState, redirect_uri: str) -> str:
        async with _client(self.config, redirect_uri) as client:
            url, _state = client.create_authorization_url(
                _GITHUB_AUTHORIZE, state=flow.state, code_verifier=flow.code_verifier
            )
        return str(url)

    async def identity(
        self, flow: FlowState, code: str, redirect_uri: str, iss: str | None
    ) -> ProviderIdentity:
        async with _client(self.config, redirect_uri) as client:
            token = await client.fetch_token(
                _GITHUB_TOKEN,
                code=code,
                code_verifier=flow.code_verifier,
                headers={"Accept": "application/json"},
            )
        headers = {
            "Authorization": f"Bearer {token['access_token']}",
            "Accept": "application/vnd.github+json",
        }
        user = (await self._get_json(f"{_GITHUB_API}/user", headers)) or {}
        if not isinstance(user, dict) or not isinstance(user.get("id"), int):
            raise SocialLoginError()
        email = None
        emails = await self._get_json(f"{_GITHUB_API}/user/emails", headers)
        for entry in emails if isinstance(emails, list) else []:
            if entry.get("primary") and entry.get("verified"):
                email = str(entry["email"])
        # The numeric id is GitHub's stable subject; logins can be renamed and reused.
        return ProviderIdentity(GITHUB_ISSUER, str(user["id"]), email, email is not None)

    async def _get_json(self, url: str, headers: dict[str, str]) -> Any:
        response = await self._http.get(url, headers=headers)
        response.raise_for_status()
        return response.json()


def build_provider(config: ProviderConfig, http: httpx2.AsyncClient) -> OAuthProvider:
    if config.kind == "github":
        return GitHubProvider(config, http)
    return OidcProvider(config, http)


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SocialLoginError()
    return float(value)
