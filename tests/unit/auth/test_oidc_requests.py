"""Authorization requests of baas as an OpenID provider: what is checked, in which order
(a refusal is redirected only once the client's exact redirect URI is known), PKCE
S256, and which redirect URIs may be registered at all."""

from __future__ import annotations

import base64
import hashlib

import pytest

from auth.errors import InvalidRequestError
from auth.id_tokens import at_hash
from auth.oauth_clients import OAuthClient, check_redirect_uri
from auth.oauth_errors import AuthorizationRefusedError
from auth.oidc_requests import parse_authorization_request, pkce_matches

CALLBACK = "https://app.example.com/cb"
CLIENT = OAuthClient("c" * 22, "App", (CALLBACK,))
VERIFIER = "v" * 50
CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
)
GOOD = {
    "response_type": "code",
    "client_id": CLIENT.client_id,
    "redirect_uri": CALLBACK,
    "scope": "email openid openid",
    "state": "s",
    "code_challenge": CHALLENGE,
    "code_challenge_method": "S256",
}


def refusal(
    params: dict[str, str], client: OAuthClient | None = CLIENT
) -> AuthorizationRefusedError:
    with pytest.raises(AuthorizationRefusedError) as caught:
        parse_authorization_request(list(params.items()), client)
    return caught.value


def test_a_good_request_is_normalised() -> None:
    request = parse_authorization_request(list(GOOD.items()), CLIENT)
    assert (request.scope, request.state, request.redirect_uri) == ("openid email", "s", CALLBACK)


@pytest.mark.parametrize(
    "params",
    [
        {**GOOD, "redirect_uri": CALLBACK + "/"},
        {**GOOD, "redirect_uri": CALLBACK.upper()},
        {key: value for key, value in GOOD.items() if key != "redirect_uri"},
        # A bad response type with a bad redirect URI: still not redirected.
        {**GOOD, "redirect_uri": "https://evil.test/cb", "response_type": "token"},
    ],
)
def test_refusals_before_the_redirect_uri_is_known_are_never_redirected(
    params: dict[str, str],
) -> None:
    assert refusal(params).redirect_uri is None


def test_an_unknown_client_and_repeated_parameters_are_not_redirected() -> None:
    assert refusal(GOOD, None).redirect_uri is None
    with pytest.raises(AuthorizationRefusedError) as caught:
        parse_authorization_request([*GOOD.items(), ("state", "other")], CLIENT)
    assert caught.value.redirect_uri is None


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"code_challenge_method": "plain", "code_challenge": VERIFIER}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"request": "eyJ..."}, "invalid_request"),
        ({"response_mode": "fragment"}, "invalid_request"),
    ],
)
def test_later_refusals_go_back_to_the_client_with_its_state(
    change: dict[str, str], code: str
) -> None:
    refused = refusal({**GOOD, **change})
    assert (refused.redirect_uri, refused.state, refused.cause.code) == (CALLBACK, "s", code)


def test_pkce_s256() -> None:
    assert pkce_matches(VERIFIER, CHALLENGE)
    assert not pkce_matches("w" * 50, CHALLENGE)
    assert not pkce_matches(CHALLENGE, CHALLENGE)  # "plain": the challenge as verifier
    assert not pkce_matches(None, CHALLENGE)
    assert not pkce_matches("v" * 42, CHALLENGE)  # too short for RFC 7636 §4.1


@pytest.mark.parametrize(
    "uri",
    ["https://app.example.com/cb", "http://localhost:3000/cb", "http://127.0.0.1/cb?x=1"],
)
def test_registrable_redirect_uris(uri: str) -> None:
    assert check_redirect_uri(uri) == uri


@pytest.mark.parametrize(
    "uri",
    [
        "http://app.example.com/cb",  # plain http off loopback
        "https://app.example.com/cb#frag",
        "https://user:pw@app.example.com/cb",
        "javascript:alert(1)",
        "/relative",
        "https://app.example.com/a b",
        "http://localhost.evil.test/cb",
        "",
        None,
    ],
)
def test_refused_redirect_uris(uri: object) -> None:
    with pytest.raises(InvalidRequestError):
        check_redirect_uri(uri)


def test_at_hash_is_the_left_half_of_the_signature_hash() -> None:
    digest = hashlib.sha256(b"token").digest()[:16]
    assert at_hash("token", "ES256") == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert len(at_hash("token", "Ed25519")) == len(base64.urlsafe_b64encode(bytes(32)).rstrip(b"="))
