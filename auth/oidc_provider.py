"""baas as an OpenID Connect provider: other apps sign their users in with baas.

The authorization code flow (RFC 6749 §4.1, OpenID Connect Core §3.1) with PKCE, and
what goes with it. The HTTP side (pages, cookies, the spec's error shapes) is
``baas.oidc_routes``; this module decides.

- **The browser session** at the provider is an ordinary baas session (a refresh-token
  family, see :mod:`auth.sessions`) started by the provider's sign-in page, second
  factor included; its token is the page's cookie and is never rotated (only checked,
  :meth:`~auth.sessions.SessionService.live_family`). Its ``sid`` is the ID tokens'
  ``sid``, and RP-initiated logout ends it.
- **An app's grant** is a session of its own: exchanging a code starts a family that
  only that client may refresh (rotation and replay detection as for baas's own
  sessions), listed among the user's sessions, whose access tokens carry the client id,
  the granted scope and an audience of their own (``<issuer>/oauth``): an app's token is
  refused by the rest of the API (GraphQL, ``/auth``), which takes ``aud: baas`` only.
  Threat: a third-party app reading or writing the user's data with its token.
- **Codes** are single use; a code presented again revokes the session it was exchanged
  for (RFC 6749 §4.1.2), see :mod:`auth.oauth_codes`.
- **Consent** is asked once per user, client and scopes (remembered), or again with
  ``prompt=consent``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from auth.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidTokenError,
    UnsupportedGrantTypeError,
)
from auth.id_tokens import IdTokenSigner
from auth.oauth_clients import OAuthClient, OAuthClientRegistry
from auth.oauth_codes import AuthorizationCode, AuthorizationCodes, Consents
from auth.oauth_errors import ConsentRequiredError, UnauthorizedClientError
from auth.oidc_requests import (
    SUPPORTED_SCOPES,
    AuthorizationRequest,
    parse_authorization_request,
    pkce_matches,
)
from auth.refresh_store import session_id_of
from auth.refresh_tokens import RefreshToken, RefreshTokenFamily
from auth.security_events import NO_SECURITY_EVENTS, SecurityEvents
from auth.sessions import SessionService
from auth.token_grants import TokenGrants
from auth.tokens import TokenConfig, TokenVerifier
from auth.users import User, UserRepository

__all__ = ["BrowserSession", "OpenIDProvider", "oauth_audience"]


def oauth_audience(issuer: str) -> str:
    """The ``aud`` of access tokens issued to apps (never baas's own ``baas``)."""
    return f"{issuer}/oauth"


@dataclass(frozen=True, slots=True)
class BrowserSession:
    """The signed-in user of the provider's pages, and their baas session."""

    user: User
    family: RefreshTokenFamily

    @property
    def session_id(self) -> str:
        return session_id_of(self.family.family_id)


class OpenIDProvider:
    """The provider's decisions; see the module docstring."""

    def __init__(
        self,
        *,
        issuer: str,
        clients: OAuthClientRegistry,
        codes: AuthorizationCodes,
        consents: Consents,
        users: UserRepository,
        grants: TokenGrants,
        id_tokens: IdTokenSigner,
        token_config: TokenConfig,
        verifier: TokenVerifier,
        events: SecurityEvents = NO_SECURITY_EVENTS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.clients = clients
        self._codes = codes
        self._consents = consents
        self._users = users
        self._grants = grants
        self._id_tokens = id_tokens
        self._token_config = token_config
        self._verifier = verifier
        self._events = events
        self._clock = clock

    @property
    def _sessions(self) -> SessionService:
        return self._grants.sessions

    def discovery(self) -> dict[str, object]:
        """``/.well-known/openid-configuration`` (OpenID Connect Discovery 1.0 §3)."""
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "userinfo_endpoint": f"{base}/oauth/userinfo",
            "jwks_uri": f"{base}/.well-known/jwks.json",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "end_session_endpoint": f"{base}/oauth/logout",
            "scopes_supported": list(SUPPORTED_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [self._id_tokens.algorithm],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "revocation_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "amr",
                "sid",
                "email",
                "email_verified",
                "preferred_username",
            ],
            "prompt_values_supported": ["none", "login", "consent"],
            "authorization_response_iss_parameter_supported": True,  # RFC 9207
        }

    # --- the authorization endpoint --------------------------------------------------

    async def authorization_request(self, pairs: Sequence[tuple[str, str]]) -> AuthorizationRequest:
        """The checked request; ``AuthorizationRefusedError`` (see auth.oidc_requests)."""
        client_ids = [value for name, value in pairs if name == "client_id"]
        client = await self.clients.get(client_ids[0]) if len(client_ids) == 1 else None
        return parse_authorization_request(pairs, client)

    async def browser_session(self, cookie: object) -> BrowserSession | None:
        """Who is signed in on the provider's pages, from their session cookie."""
        family = await self._sessions.live_family(cookie) if cookie else None
        if family is None or family.client_id is not None:
            return None
        user = await self._users.get(family.subject)
        if user is None or not user.enabled:
            return None
        return BrowserSession(user, family)

    async def needs_consent(self, request: AuthorizationRequest, user: User) -> bool:
        """Whether the consent screen must be shown (``ConsentRequiredError`` when it
        must and ``prompt=none`` forbids it)."""
        if "consent" in request.prompt:
            return True
        granted = await self._consents.granted(user.user_id, request.client.client_id)
        if request.scopes <= granted:
            return False
        if "none" in request.prompt:
            raise ConsentRequiredError()
        return True

    async def approve(
        self, request: AuthorizationRequest, session: BrowserSession, *, consented: bool
    ) -> str:
        """The redirect to the client with a new code (after consent when ``consented``)."""
        user, client_id = session.user, request.client.client_id
        if consented:
            await self._consents.grant(user.user_id, client_id, request.scopes)
            self._events.record("oauth_consent_granted", user_id=user.user_id, client=client_id)
        code = await self._codes.issue(
            client_id=client_id,
            redirect_uri=request.redirect_uri,
            user_id=user.user_id,
            scope=request.scope,
            code_challenge=request.code_challenge,
            auth_time=session.family.created_at,
            nonce=request.nonce,
            amr=session.family.amr,
            session_id=session.session_id,
        )
        return self.redirect(request.redirect_uri, {"code": code, "state": request.state})

    def redirect(self, redirect_uri: str, params: dict[str, str | None]) -> str:
        """``redirect_uri`` with the response parameters added to its query, and ``iss``
        (RFC 9207: the client can tell which provider answered)."""
        query = urlencode(
            {**{k: v for k, v in params.items() if v is not None}, "iss": self.issuer}
        )
        return f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}"

    # --- the token endpoint -----------------------------------------------------------

    async def token(self, client: OAuthClient, params: dict[str, object]) -> dict[str, object]:
        """A token request of an authenticated client (RFC 6749 §4.1.3, §6)."""
        grant_type = params.get("grant_type")
        if grant_type == "authorization_code":
            return await self._exchange_code(client, params)
        if grant_type == "refresh_token":
            return await self._refresh(client, params.get("refresh_token"))
        if grant_type is None:
            raise InvalidRequestError("grant_type is required.")
        raise UnsupportedGrantTypeError(
            "Only authorization_code and refresh_token are supported (no password grant)."
        )

    async def _exchange_code(
        self, client: OAuthClient, params: dict[str, object]
    ) -> dict[str, object]:
        code = await self._codes.find(params.get("code"))
        if code is None or code.client_id != client.client_id:
            raise InvalidGrantError("The code is invalid, expired or was already used.")
        if code.family_id is not None:
            await self._code_reused(code)
        if (
            self._codes.expired(code)
            or params.get("redirect_uri") != code.redirect_uri
            or not pkce_matches(params.get("code_verifier"), code.code_challenge)
        ):
            # A wrong verifier is a downgrade or a stolen code (RFC 7636 §4.6).
            raise InvalidGrantError("The code is invalid, expired or was already used.")
        user = await self._users.get(code.user_id)
        if user is None or not user.enabled:
            raise InvalidGrantError("The code is invalid, expired or was already used.")
        refresh = await self._sessions.start(
            user.user_id,
            user_agent=f"app: {client.name}",
            amr=code.amr,
            client_id=client.client_id,
            scope=code.scope,
        )
        if not await self._codes.claim(code, refresh.family_id):
            # Two exchanges raced: neither the winner's tokens nor ours may live.
            await self._sessions.revoke_family(refresh.family_id, "reuse")
            await self._code_reused(await self._codes.find(params.get("code")) or code)
        self._events.record(
            "oauth_tokens_issued", user_id=user.user_id, client=client.client_id, grant="code"
        )
        body = self._token_body(user, refresh, code.amr, client.client_id, code.scope)
        body["id_token"] = self._id_tokens.sign(
            subject=user.user_id,
            client_id=client.client_id,
            auth_time=code.auth_time,
            access_token=str(body["access_token"]),
            nonce=code.nonce,
            amr=code.amr,
            session_id=code.session_id,
        )
        return body

    async def _code_reused(self, code: AuthorizationCode) -> None:
        if code.family_id is not None:
            await self._sessions.revoke_family(code.family_id, "reuse")
        self._events.record("oauth_code_reused", user_id=code.user_id, client=code.client_id)
        raise InvalidGrantError("The code is invalid, expired or was already used.")

    async def _refresh(self, client: OAuthClient, text: object) -> dict[str, object]:
        if not text:
            raise InvalidRequestError("refresh_token is required.")
        family, token = await self._sessions.refresh(text, client_id=client.client_id)
        user = await self._users.get(family.subject)
        if user is None or not user.enabled:
            await self._sessions.revoke_family(family.family_id, "admin")
            raise InvalidGrantError()
        self._events.record(
            "oauth_tokens_issued", user_id=user.user_id, client=client.client_id, grant="refresh"
        )
        # No new ID token: OpenID Connect Core §12.2 makes it optional.
        return self._token_body(user, token, family.amr, client.client_id, family.scope or "")

    def _token_body(
        self, user: User, refresh: RefreshToken, amr: tuple[str, ...], client_id: str, scope: str
    ) -> dict[str, object]:
        access = self._grants.access_token(
            user, session=refresh, amr=amr, client=(self._token_config, client_id, scope)
        )
        return {
            "access_token": access.token,
            "token_type": "Bearer",
            "expires_in": access.expires_in,
            "refresh_token": refresh.text,
            "scope": scope,
        }

    # --- revocation, userinfo, logout -----------------------------------------------

    async def revoke(self, client: OAuthClient, token: object) -> None:
        """RFC 7009: end the session of a refresh or access token of ``client``. An
        unknown or invalid token is no error (§2.2); another client's is refused."""
        if not isinstance(token, str) or not token:
            raise InvalidRequestError("token is required.")
        family = await self._sessions.live_family(token)
        if family is not None:
            if family.client_id != client.client_id:
                raise UnauthorizedClientError()
            await self._sessions.revoke_family(family.family_id, "sign_out")
            user_id = family.subject
        else:
            try:
                claims = self._verifier.verify(token)
            except InvalidTokenError:
                return
            if claims.client_id != client.client_id:
                raise UnauthorizedClientError()
            if claims.session_id is not None:
                await self._sessions.end_session(claims.subject, claims.session_id)
            user_id = claims.subject
        self._events.record("signed_out", user_id=user_id, scope="app", client=client.client_id)

    async def userinfo(self, access_token: object) -> dict[str, object]:
        """Claims about the user of an app's access token (Core §5.3), by its scope."""
        claims = self._verifier.verify(access_token)
        scopes = set((claims.scope or "").split())
        user = await self._users.get(claims.subject)
        if "openid" not in scopes or user is None or not user.enabled:
            raise InvalidTokenError()
        info: dict[str, object] = {"sub": user.user_id}
        if "email" in scopes and user.email is not None:
            info.update(email=user.email, email_verified=user.email_verified)
        if "profile" in scopes and user.email is not None:
            info["preferred_username"] = user.email
        return info

    async def end_session(
        self, id_token_hint: object, client_id: object, post_logout_redirect_uri: object
    ) -> tuple[str | None, str | None]:
        """RP-initiated logout: end the baas session the hint names. Returns the session
        ended (None if already gone) and where to send the browser (None: nowhere, when
        no registered ``post_logout_redirect_uri`` was asked for).

        ``InvalidRequestError`` for a hint this provider did not sign, another client's
        ``client_id``, or a redirect URI not registered exactly.
        """
        hint = self._id_tokens.read_hint(id_token_hint)
        if hint is None:
            raise InvalidRequestError("id_token_hint must be an ID token issued here.")
        client = await self.clients.get(hint["aud"])
        if client is None or (client_id is not None and client_id != client.client_id):
            raise InvalidRequestError("The client_id does not match the id_token_hint.")
        if post_logout_redirect_uri is not None and (
            post_logout_redirect_uri not in client.post_logout_redirect_uris
        ):
            raise InvalidRequestError("post_logout_redirect_uri is not registered exactly.")
        session_id = hint.get("sid")
        ended = None
        if isinstance(session_id, str) and await self._sessions.end_session(
            hint["sub"], session_id
        ):
            ended = session_id
        return ended, post_logout_redirect_uri if isinstance(
            post_logout_redirect_uri, str
        ) else None
