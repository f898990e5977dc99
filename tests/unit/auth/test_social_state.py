"""The signed state cookie of a social-login round trip."""

from __future__ import annotations

import dataclasses

import pytest

from auth.errors import SocialLoginError
from auth.social_state import FlowState, open_state, seal_state

KEY = b"k" * 32


def test_round_trip_binds_provider_and_state() -> None:
    flow = FlowState.new("corp", link_user_id="u1")
    opened = open_state(seal_state(flow, KEY), KEY, provider="corp", state=flow.state)
    assert opened == flow
    assert flow.code_verifier not in repr(flow)


@pytest.mark.parametrize(
    "case", ["wrong state", "other provider", "other key", "edited body", "expired", "no cookie"]
)
def test_anything_that_does_not_match_is_refused(case: str) -> None:
    flow = FlowState.new("corp")
    cookie = seal_state(flow, KEY)
    provider, state, key = "corp", flow.state, KEY
    if case == "wrong state":
        state = "forged"
    elif case == "other provider":
        provider = "github"
    elif case == "other key":
        key = b"x" * 32
    elif case == "edited body":
        body, mac = cookie.split(".")
        cookie = f"{body[:-2]}AA.{mac}"
    elif case == "expired":
        cookie = seal_state(dataclasses.replace(flow, expires_at=1), KEY)
    with pytest.raises(SocialLoginError):
        open_state(None if case == "no cookie" else cookie, key, provider=provider, state=state)
