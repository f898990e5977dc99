"""Forged and tampered access tokens get 401 ``invalid_token`` with ``WWW-Authenticate``
on every route, never a 500 and never a silent downgrade to anonymous."""

from __future__ import annotations

import base64
import json

import pytest
from joserfc import jws
from joserfc.jwk import ECKey, OctKey

from tests.integration.auth.auth_server import AuthServer


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _attacks(valid: str, public_jwk: dict[str, str]) -> dict[str, str]:
    header, payload, signature = valid.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    lifted = {**claims, "groups": ["admin"]}
    hmac_key = OctKey.import_key(json.dumps(public_jwk).encode())
    own_key = ECKey.generate_key("P-256", private=True)
    own_header = {"alg": "ES256", "kid": public_jwk["kid"], "typ": "at+jwt"}
    return {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'at+jwt', 'kid': public_jwk['kid']})}.{payload}.",
        "tampered payload": f"{header}.{_b64(lifted)}.{signature}",
        "HS256 with the public key": jws.serialize_compact(
            {"alg": "HS256", "kid": public_jwk["kid"], "typ": "at+jwt"},
            json.dumps(lifted),
            hmac_key,
            algorithms=["HS256"],
        ),
        "signed by another key": jws.serialize_compact(
            own_header, json.dumps(lifted), own_key, algorithms=["ES256"]
        ),
        "expired": jws.serialize_compact(
            own_header, json.dumps({**claims, "exp": 1}), own_key, algorithms=["ES256"]
        ),
        "garbage": "not.a.token",
        "huge": "a" * 20000,
    }


@pytest.mark.parametrize(
    "attack",
    [
        "alg none",
        "tampered payload",
        "HS256 with the public key",
        "signed by another key",
        "expired",
        "garbage",
        "huge",
    ],
)
def test_forged_tokens_get_401_invalid_token(server: AuthServer, attack: str) -> None:
    server.signup_verified("target@example.com")
    valid = str(server.signin("target@example.com")["access_token"])
    public = server.get("/.well-known/jwks.json").json()["keys"][0]
    forged = _attacks(valid, public)[attack]
    for path in ("/auth/me", "/auth/sessions", "/healthz", "/graphql"):
        response = server.client.get(path, headers={"Authorization": f"Bearer {forged}"})
        assert response.status_code == 401, (attack, path, response.text)
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        assert response.json()["error"]["code"] == "invalid_token"
