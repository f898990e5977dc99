"""The encrypted state cookie of a social-login round trip."""

from __future__ import annotations

import base64
import dataclasses

import pytest

from auth.errors import SocialLoginError
from auth.social_state import FlowState, open_state, seal_state

KEYS = (b"k" * 32,)


def test_round_trip_binds_provider_and_state() -> None:
    flow = FlowState.new("corp", link_user_id="u1")
    opened = open_state(seal_state(flow, KEYS), KEYS, provider="corp", state=flow.state)
    assert opened == flow
    assert flow.code_verifier not in repr(flow)


def test_the_cookie_reveals_nothing_of_the_flow() -> None:
    flow = FlowState.new("corp", link_user_id="user-42")
    cookie = seal_state(flow, KEYS)
    raw = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
    for secret in (flow.state, flow.nonce, flow.code_verifier, "user-42", "corp"):
        assert secret not in cookie
        assert secret.encode() not in raw


def test_a_former_key_still_opens_a_flow_under_way() -> None:
    flow = FlowState.new("corp")
    cookie = seal_state(flow, KEYS)
    rotated = (b"n" * 32, *KEYS)
    assert open_state(cookie, rotated, provider="corp", state=flow.state) == flow


@pytest.mark.parametrize(
    "case", ["wrong state", "other provider", "other key", "edited body", "expired", "no cookie"]
)
def test_anything_that_does_not_match_is_refused(case: str) -> None:
    flow = FlowState.new("corp")
    cookie = seal_state(flow, KEYS)
    provider, state, keys = "corp", flow.state, KEYS
    if case == "wrong state":
        state = "forged"
    elif case == "other provider":
        provider = "github"
    elif case == "other key":
        keys = (b"x" * 32,)
    elif case == "edited body":
        cookie = cookie[:20] + ("A" if cookie[20] != "A" else "B") + cookie[21:]
    elif case == "expired":
        cookie = seal_state(dataclasses.replace(flow, expires_at=1), KEYS)
    with pytest.raises(SocialLoginError):
        open_state(None if case == "no cookie" else cookie, keys, provider=provider, state=state)
