"""The provider's browser side: ``/oauth/authorize`` (sign-in, second factor, consent)
and ``/oauth/logout`` (RP-initiated logout).

The first factor is the password, or — when sign-in by email is on
(``BAAS_AUTH_EMAIL_SIGNIN``) — a code mailed to the address: the same code, throttles
and attempt limits as ``POST /auth/email/send`` and ``/auth/email/verify``
(:mod:`auth.passwordless`), asked for existing accounts only (the page signs in, it does
not sign up) and answered by the same page whatever the address. Either way, what
follows is the same: the second factor when the account has one, consent, the code.

Cookies, both ``HttpOnly``, ``Secure``, ``Path=/oauth`` and ``SameSite=Lax`` (they
must come along when another site sends the browser here, a top-level GET; never on a
cross-site POST):

- ``baas_op_session``: the token of the baas session the sign-in page started (see
  :mod:`auth.oidc_provider`); a browser session cookie.
- ``baas_op_csrf``: a random value; every form carries an HMAC of it under a key
  derived from the secret key, and a post without the matching pair is refused
  (threat: a cross-site form signing the victim in to the attacker's account, or
  approving a consent for them).

Each form carries the original authorization request, which is checked again from
scratch when the form comes back: nothing about a request is trusted from a page.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from auth.auth_methods import EMAIL, PASSWORD
from auth.errors import (
    AuthError,
    EmailNotVerifiedError,
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidMfaCodeError,
    InvalidMfaTokenError,
    InvalidRequestError,
    ThrottledError,
)
from auth.mfa import PendingSignIn
from auth.oauth_errors import AuthorizationRefusedError, LoginRequiredError, OAuthError
from baas.auth_routes.http import address_of, is_form, read_body, user_agent_of
from baas.oidc_routes.pages import (
    consent_page,
    email_code_page,
    message_page,
    mfa_page,
    sign_in_page,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from auth.oidc_provider import BrowserSession, OpenIDProvider
    from auth.oidc_requests import AuthorizationRequest
    from auth.users import User
    from baas.auth_wiring import AuthServices

__all__ = ["browser_routes"]

SESSION_COOKIE = "baas_op_session"
CSRF_COOKIE = "baas_op_csrf"
_COOKIE_PATH = "/oauth"
_SIGN_IN_REFUSALS = (
    InvalidCredentialsError,
    EmailNotVerifiedError,
    ThrottledError,
    InvalidRequestError,
)
_CODE_REFUSALS = (InvalidCodeError, InvalidCredentialsError, ThrottledError, InvalidRequestError)


def _status_of(exc: AuthError) -> int:
    """The status of a page shown again after a refused step."""
    return 429 if isinstance(exc, ThrottledError) else 401


def browser_routes(auth: AuthServices) -> list[BaseRoute]:
    """The pages of the authorization endpoint, and logout."""
    csrf_key = auth.secret_keys.derive("oauth provider forms")[0]

    def provider() -> OpenIDProvider:
        return auth.provider  # started after the routes are built

    def csrf_pair(request: Request) -> tuple[str, str]:
        """The browser's CSRF cookie value (a new one if it has none) and its form token."""
        value = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        token = hmac.new(csrf_key, value.encode("ascii", "replace"), hashlib.sha256).hexdigest()
        return value, token

    def with_cookie(response: Response, name: str, value: str) -> Response:
        response.set_cookie(
            name, value, path=_COOKIE_PATH, secure=True, httponly=True, samesite="lax"
        )
        return response

    def page_with_csrf(
        request: Request, render: Callable[..., Response], **fields: object
    ) -> Response:
        value, token = csrf_pair(request)
        response = render(csrf=token, **fields)
        return with_cookie(response, CSRF_COOKIE, value)

    def sign_in_form(
        request: Request, query: str, req: AuthorizationRequest, **fields: object
    ) -> Response:
        """The sign-in page (with the emailed-code form when sign-in by email is on)."""
        return page_with_csrf(
            request,
            sign_in_page,
            query=query,
            client_name=req.client.name,
            email_code=auth.config.email_sign_in,
            **fields,
        )

    def refused(exc: AuthorizationRefusedError, client_id: str | None = None) -> Response:
        auth.events.record(
            "oauth_refused", reason=exc.cause.code, endpoint="authorize", client=client_id or ""
        )
        if exc.redirect_uri is None:
            return message_page("This sign-in cannot go on", exc.cause.message, 400)
        target = provider().redirect(
            exc.redirect_uri,
            {"error": exc.cause.code, "error_description": exc.cause.message, "state": exc.state},
        )
        return RedirectResponse(target, status_code=303)

    async def form_of(request: Request) -> dict[str, str] | Response:
        """The posted form, if it is one with the right CSRF token; else the refusal."""
        if not is_form(request):
            return message_page("This sign-in cannot go on", "Send the form as a form.", 415)
        fields = {k: str(v) for k, v in (await read_body(request, allow_form=True)).items()}
        _, expected = csrf_pair(request)
        if CSRF_COOKIE not in request.cookies or not hmac.compare_digest(
            fields.get("csrf", ""), expected
        ):
            auth.events.record("oauth_refused", reason="csrf", endpoint="authorize")
            return message_page("This page has expired", "Go back to the app and start again.", 400)
        return fields

    async def checked(query: str) -> AuthorizationRequest:
        return await provider().authorization_request(parse_qsl(query, keep_blank_values=True))

    async def decide(
        request: Request, query: str, req: AuthorizationRequest, session: BrowserSession | None
    ) -> Response:
        """Sign-in page, consent page, or the redirect with a code."""
        if session is None or "login" in req.prompt:
            if "none" in req.prompt:
                raise AuthorizationRefusedError(LoginRequiredError(), req.redirect_uri, req.state)
            return sign_in_form(request, query, req)
        if await provider().needs_consent(req, session.user):
            return page_with_csrf(
                request,
                consent_page,
                query=query,
                client_name=req.client.name,
                scopes=req.scopes,
                email=session.user.email,
            )
        return RedirectResponse(
            await provider().approve(req, session, consented=False), status_code=303
        )

    async def authorize(request: Request) -> Response:
        query = request.url.query
        try:
            req = await checked(query)
            session = await provider().browser_session(request.cookies.get(SESSION_COOKIE))
            try:
                return await decide(request, query, req, session)
            except OAuthError as exc:
                if isinstance(exc, AuthorizationRefusedError):
                    raise
                raise AuthorizationRefusedError(exc, req.redirect_uri, req.state) from None
        except AuthorizationRefusedError as exc:
            return refused(exc, request.query_params.get("client_id"))

    def signed_in(query: str, refresh_text: str) -> Response:
        """Back to the authorization request, now with a session (and without
        ``prompt=login``, which this sign-in answered)."""
        pairs = []
        for name, value in parse_qsl(query, keep_blank_values=True):
            if name == "prompt":
                value = " ".join(p for p in value.split() if p != "login")
            pairs.append((name, value))
        target = f"/oauth/authorize?{urlencode(pairs)}"
        return with_cookie(RedirectResponse(target, status_code=303), SESSION_COOKIE, refresh_text)

    async def posted(
        request: Request,
    ) -> tuple[dict[str, str], AuthorizationRequest, str] | Response:
        """A form's fields, its authorization request (checked again) and that request's
        query text, which the next page carries on; or the refusal."""
        fields = await form_of(request)
        if isinstance(fields, Response):
            return fields
        query = fields.get("request", "")
        try:
            return fields, await checked(query), query
        except AuthorizationRefusedError as exc:
            return refused(exc)

    async def after_first_factor(
        request: Request, query: str, user: User, *, amr: tuple[str, ...], method: str
    ) -> Response:
        """The second-factor page when the account has one, else back to the
        authorization request with a new session."""
        outcome = await auth.mfa.finish_sign_in(
            user, amr=amr, method=method, user_agent=user_agent_of(request)
        )
        if isinstance(outcome, PendingSignIn):
            if outcome.enrol:
                return message_page(
                    "Set up two-step verification first",
                    "Your account needs a second factor: set one up in the app, then try again.",
                    403,
                )
            return page_with_csrf(request, mfa_page, query=query, mfa_token=outcome.mfa_token)
        assert outcome.refresh is not None  # a new session always has one  # noqa: S101
        return signed_in(query, outcome.refresh.text)

    async def sign_in(request: Request) -> Response:
        form = await posted(request)
        if isinstance(form, Response):
            return form
        fields, req, query = form
        try:
            user = await auth.accounts.authenticate_password(
                fields.get("email"), fields.get("password"), address=address_of(request, auth)
            )
            return await after_first_factor(
                request, query, user, amr=(PASSWORD,), method="password"
            )
        except _SIGN_IN_REFUSALS as exc:
            return sign_in_form(request, query, req, error=exc.message, status=_status_of(exc))

    def email_sign_in_off() -> Response | None:
        """The refusal of the emailed-code routes while sign-in by email is off."""
        if auth.config.email_sign_in:
            return None
        return message_page("Not found", "Sign-in by email is off here.", 404)

    async def email_code(request: Request) -> Response:
        """Mail a sign-in code to an existing account's address; the code page, whatever
        the address (no enumeration)."""
        form = email_sign_in_off() or await posted(request)
        if isinstance(form, Response):
            return form
        fields, req, query = form
        email = fields.get("email", "")
        try:
            await auth.flows.passwordless.send_code(
                email, address=address_of(request, auth), create=False
            )
        except (ThrottledError, InvalidRequestError) as exc:
            status = 429 if isinstance(exc, ThrottledError) else 400
            return sign_in_form(request, query, req, error=exc.message, status=status)
        return page_with_csrf(request, email_code_page, query=query, email=email)

    async def email_verify(request: Request) -> Response:
        """The mailed code as the first factor (single use, attempts limited)."""
        form = email_sign_in_off() or await posted(request)
        if isinstance(form, Response):
            return form
        fields, _, query = form
        email = fields.get("email", "")
        try:
            user = await auth.flows.passwordless.verify(
                email, fields.get("code"), address=address_of(request, auth)
            )
            return await after_first_factor(request, query, user, amr=(EMAIL,), method="email")
        except _CODE_REFUSALS as exc:
            return page_with_csrf(
                request,
                email_code_page,
                query=query,
                email=email,
                error=exc.message,
                status=_status_of(exc),
            )

    async def second_factor(request: Request) -> Response:
        form = await posted(request)
        if isinstance(form, Response):
            return form
        fields, req, query = form
        try:
            tokens = await auth.mfa.complete_sign_in(
                fields.get("mfa_token"),
                fields.get("code"),
                address=address_of(request, auth),
                user_agent=user_agent_of(request),
            )
        except InvalidMfaTokenError as exc:
            return sign_in_form(request, query, req, error=exc.message, status=401)
        except (InvalidMfaCodeError, ThrottledError, InvalidRequestError) as exc:
            return page_with_csrf(
                request,
                mfa_page,
                query=query,
                mfa_token=fields.get("mfa_token", ""),
                error=exc.message,
                status=_status_of(exc),
            )
        assert tokens.refresh is not None  # noqa: S101
        return signed_in(query, tokens.refresh.text)

    async def consent(request: Request) -> Response:
        fields = await form_of(request)
        if isinstance(fields, Response):
            return fields
        query = fields.get("request", "")
        try:
            req = await checked(query)
            session = await provider().browser_session(request.cookies.get(SESSION_COOKIE))
            if session is None:
                return sign_in_form(request, query, req)
            if fields.get("decision") != "allow":
                auth.events.record(
                    "oauth_refused",
                    user_id=session.user.user_id,
                    reason="access_denied",
                    endpoint="authorize",
                    client=req.client.client_id,
                )
                target = provider().redirect(
                    req.redirect_uri,
                    {
                        "error": "access_denied",
                        "error_description": "The user did not allow access.",
                        "state": req.state,
                    },
                )
                return RedirectResponse(target, status_code=303)
            target = await provider().approve(req, session, consented=True)
            return RedirectResponse(target, status_code=303)
        except AuthorizationRefusedError as exc:
            return refused(exc)

    async def logout(request: Request) -> Response:
        """RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2), GET or POST."""
        params: dict[str, object] = dict(request.query_params)
        if request.method == "POST":
            if not is_form(request):
                return message_page("Sign-out failed", "Send the form as a form.", 415)
            params.update(await read_body(request, allow_form=True))
        try:
            _, target = await provider().end_session(
                params.get("id_token_hint"),
                params.get("client_id"),
                params.get("post_logout_redirect_uri"),
            )
        except AuthError as exc:
            auth.events.record("oauth_refused", reason=exc.code, endpoint="logout")
            return message_page("Sign-out failed", exc.message, 400)
        if target is not None:
            state = params.get("state")
            query = urlencode({"state": state}) if isinstance(state, str) else ""
            separator = "&" if "?" in target else "?"
            response: Response = RedirectResponse(
                f"{target}{separator}{query}" if query else target, status_code=303
            )
        else:
            response = message_page("Signed out", "You are signed out.")
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie and await provider().browser_session(cookie) is None:
            response.delete_cookie(
                SESSION_COOKIE, path=_COOKIE_PATH, secure=True, httponly=True, samesite="lax"
            )
        return response

    return [
        Route("/oauth/authorize", authorize, methods=["GET"]),
        Route("/oauth/authorize/signin", sign_in, methods=["POST"]),
        Route("/oauth/authorize/email", email_code, methods=["POST"]),
        Route("/oauth/authorize/email/verify", email_verify, methods=["POST"]),
        Route("/oauth/authorize/mfa", second_factor, methods=["POST"]),
        Route("/oauth/authorize/consent", consent, methods=["POST"]),
        Route("/oauth/logout", logout, methods=["GET", "POST"]),
    ]
