"""Browser hardening: security headers on every answer, credentials only as JSON (no
login CSRF by form or text/plain), and the ``__Host-`` refresh cookie behind https."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.integration.auth.auth_server import PASSWORD, AuthServer, auth_server

HARDENING = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
}


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServer]:
    """Published at an https URL (a TLS proxy in front), served here over http."""
    with auth_server(
        tmp_path_factory.mktemp("https"), BAAS_PUBLIC_URL="https://api.example.com"
    ) as server:
        yield server


def _answers(server: AuthServer) -> dict[str, httpx.Response]:
    return {
        "json": server.get("/"),
        "health": server.get("/healthz"),
        "graphiql page": server.client.get("/graphql", headers={"Accept": "text/html"}),
        "unknown path": server.get("/no-such-page"),
        "auth error": server.get("/auth/me"),
        "bad input": server.post("/auth/signin", {"email": 1}),
        "preflight-less post": server.client.post("/auth/signin", content=b"x"),
    }


def test_every_answer_carries_the_security_headers(server: AuthServer) -> None:
    for what, response in _answers(server).items():
        for name, value in HARDENING.items():
            if name == "content-security-policy":
                # A page may set a stricter policy of its own (GraphiQL's limits scripts
                # to this origin too), never one without the framing ban.
                policy = response.headers.get(name, "")
                assert value in [part.strip() for part in policy.split(";")], (what, name)
            else:
                assert response.headers.get(name) == value, (what, name)
        assert "strict-transport-security" not in response.headers, what  # plain http


def test_hsts_when_the_public_url_is_https(https_server: AuthServer) -> None:
    for what, response in _answers(https_server).items():
        assert response.headers["strict-transport-security"] == "max-age=31536000", what


@pytest.mark.parametrize(
    "content",
    [
        {"content": b'{"email":"victim@example.com","password":"x"}', "headers": {}},
        {
            "content": b'{"email":"victim@example.com","password":"x"}',
            "headers": {"Content-Type": "text/plain"},
        },
        {"data": {"email": "victim@example.com", "password": "x"}},
    ],
    ids=["no type", "text/plain", "form"],
)
@pytest.mark.parametrize(
    "path", ["/auth/signin", "/auth/signup", "/auth/verify-email", "/auth/password/reset"]
)
def test_credential_routes_take_json_only(
    server: AuthServer, path: str, content: dict[str, object]
) -> None:
    response = server.client.post(path, **content)  # type: ignore[arg-type]
    assert response.status_code == 415, response.text
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_a_cross_site_form_cannot_sign_a_browser_in(server: AuthServer) -> None:
    # Login CSRF: the attacker's own account, posted by the victim's browser.
    server.signup_verified("attacker@example.com")
    form = server.client.post(
        "/auth/signin",
        data={"email": "attacker@example.com", "password": PASSWORD, "cookie": "true"},
    )
    text = server.client.post(
        "/auth/signin",
        content=f'{{"email":"attacker@example.com","password":"{PASSWORD}","cookie":true}}',
        headers={"Content-Type": "text/plain;charset=UTF-8"},
    )
    for response in (form, text):
        assert response.status_code == 415
        assert "set-cookie" not in response.headers
    # As JSON (what a page can send only after a CORS preflight) it works.
    assert server.signin("attacker@example.com")["access_token"]


def _refresh(server: AuthServer, cookie: str, *, form: bool = False) -> httpx.Response:
    """``POST /auth/token`` with a refresh cookie, as a browser sends it (httpx keeps
    Secure cookies off plain http), as a form or as JSON."""
    url, body = f"{server.base}/auth/token", {"grant_type": "refresh_token"}
    headers = {"Cookie": cookie}
    if form:
        return httpx.post(url, data=body, headers=headers)
    return httpx.post(url, json=body, headers=headers)


def _signin_with_cookie(server: AuthServer, address: str) -> httpx.Response:
    server.signup_verified(address)
    response = server.post("/auth/signin", {"email": address, "password": PASSWORD, "cookie": True})
    assert response.status_code == 200
    return response


def test_a_form_refresh_must_carry_its_token(server: AuthServer) -> None:
    value = _signin_with_cookie(server, "form-refresh@example.com").cookies["baas_refresh"]
    cookie = f"baas_refresh={value}"
    assert _refresh(server, cookie, form=True).status_code == 415
    # The cookie was not spent by the refused form.
    assert _refresh(server, cookie).status_code == 200


def test_behind_https_the_refresh_cookie_is_host_only(https_server: AuthServer) -> None:
    response = _signin_with_cookie(https_server, "host@example.com")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-baas_refresh=")
    for attribute in ("HttpOnly", "Path=/;", "SameSite=strict", "Secure"):
        assert attribute in cookie
    assert "Domain" not in cookie
    value = response.cookies["__Host-baas_refresh"]
    refreshed = _refresh(https_server, f"__Host-baas_refresh={value}")
    assert refreshed.status_code == 200, refreshed.text
    latest = refreshed.cookies["__Host-baas_refresh"]
    assert latest != value
    # The unprefixed name is not read: a sibling subdomain's planted cookie is ignored.
    assert _refresh(https_server, f"baas_refresh={latest}").status_code == 400
    signed_out = httpx.post(
        f"{https_server.base}/auth/signout", headers={"Cookie": f"__Host-baas_refresh={latest}"}
    )
    assert signed_out.status_code == 204
    assert signed_out.headers["set-cookie"].startswith('__Host-baas_refresh=""')
