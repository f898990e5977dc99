"""Which UserInfo answers may supply the email of an OpenID sign-in (OIDC Core §5.3.2)."""

from __future__ import annotations

import asyncio

import httpx2
import pytest

from auth.social_config import ProviderConfig
from auth.social_providers import OidcProvider

METADATA = {"userinfo_endpoint": "https://id.example.com/userinfo"}
TOKEN = {"access_token": "at-1"}


def _userinfo(status: int, body: bytes, content_type: str) -> dict[str, object]:
    def answer(request: httpx2.Request) -> httpx2.Response:
        assert request.headers["authorization"] == "Bearer at-1"
        return httpx2.Response(status, content=body, headers={"content-type": content_type})

    async def run() -> dict[str, object]:
        async with httpx2.AsyncClient(transport=httpx2.MockTransport(answer)) as http:
            provider = OidcProvider(ProviderConfig("corp", "client", "secret"), http)
            return await provider._userinfo(METADATA, TOKEN, "subject-1")

    return asyncio.run(run())


def test_the_subjects_own_email_is_taken() -> None:
    body = b'{"sub":"subject-1","email":"a@example.com","email_verified":true,"name":"A"}'
    assert _userinfo(200, body, "application/json; charset=utf-8") == {
        "email": "a@example.com",
        "email_verified": True,
    }


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"sub":"subject-2","email":"b@example.com","email_verified":true}', "application/json"),
        (b'{"email":"b@example.com","email_verified":true}', "application/json"),
        (b"eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "application/jwt"),
        (b'["not", "an", "object"]', "application/json"),
    ],
    ids=["another subject", "no subject", "signed answer", "not an object"],
)
def test_any_other_answer_supplies_nothing(body: bytes, content_type: str) -> None:
    assert _userinfo(200, body, content_type) == {}


def test_without_an_endpoint_nothing_is_asked() -> None:
    async def run() -> dict[str, object]:
        async with httpx2.AsyncClient() as http:
            provider = OidcProvider(ProviderConfig("corp", "client", "secret"), http)
            return await provider._userinfo({}, TOKEN, "subject-1")

    assert asyncio.run(run()) == {}
