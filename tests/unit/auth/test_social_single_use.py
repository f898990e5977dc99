"""A social-login state cookie is spent by its first callback, also under a race."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from auth.errors import SocialLoginError
from auth.social import SocialLogin
from auth.social_config import ProviderConfig, ProviderIdentity
from auth.social_flows import SpentFlows
from auth.social_state import FlowState
from auth.system_tables import ensure_system_tables
from storage import SqliteConfig, open_store

KEYS = (b"k" * 32,)


class CountingProvider:
    """Counts the code exchanges it is asked for, and refuses each (the provider's say)."""

    config = ProviderConfig("corp", "client", "secret")

    def __init__(self) -> None:
        self.exchanges = 0

    async def authorization_url(self, flow: FlowState, redirect_uri: str) -> str:
        return f"https://id.example.com/auth?state={flow.state}&redirect_uri={redirect_uri}"

    async def identity(self, *_args: Any) -> ProviderIdentity:
        self.exchanges += 1
        await asyncio.sleep(0)
        raise SocialLoginError()


async def test_only_the_first_of_racing_callbacks_reaches_the_provider(tmp_path: Path) -> None:
    async with open_store(SqliteConfig(tmp_path / "store.db", synchronous="NORMAL")) as store:
        await ensure_system_tables(store)
        login = SocialLogin(
            [],
            accounts=None,  # type: ignore[arg-type]  # never reached: the provider refuses
            identities=None,  # type: ignore[arg-type]
            redirect_base="https://api.example.com/auth/oauth",
            cookie_keys=KEYS,
            spent=SpentFlows(store),
        )
        provider = CountingProvider()
        login._providers = {"corp": provider}  # type: ignore[dict-item]
        url, cookie = await login.begin("corp")
        state = url.split("state=")[1].split("&")[0]

        async def callback() -> None:
            await login.complete("corp", cookie=cookie, params={"state": state, "code": "the-code"})

        outcomes = await asyncio.gather(*(callback() for _ in range(5)), return_exceptions=True)
        assert all(isinstance(outcome, SocialLoginError) for outcome in outcomes)
        assert provider.exchanges == 1
        with pytest.raises(SocialLoginError):
            await callback()
        assert provider.exchanges == 1
