"""Refresh tokens: format, hashing, and the family rotation / reuse-detection state machine."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from auth.errors import InvalidGrantError, RefreshTokenReuseError
from auth.refresh_tokens import (
    RefreshToken,
    RefreshTokenFamily,
    RefreshTokenPolicy,
    hash_refresh_token,
    parse_refresh_token,
    revoke,
    rotate,
    start_family,
)

NOW = 1_800_000_000.0
HOUR = 3600.0
POLICY = RefreshTokenPolicy(idle_timeout=24 * HOUR, absolute_lifetime=72 * HOUR)


def sign_in() -> tuple[RefreshTokenFamily, RefreshToken]:
    return start_family("user-1", now=NOW, policy=POLICY)


def test_token_text_carries_ids_and_256_bit_secret() -> None:
    family, token = sign_in()
    assert re.fullmatch(r"rt1\.[\w-]{22}\.[\w-]{22}\.[\w-]{43}", token.text)
    assert parse_refresh_token(token.text) == token
    assert (token.family_id, token.token_id) == (family.family_id, family.current_token_id)


def test_only_a_hash_is_kept_in_the_family() -> None:
    family, token = sign_in()
    assert family.current_token_hash == hash_refresh_token(token)
    assert re.fullmatch(r"[0-9a-f]{64}", family.current_token_hash)
    assert token.secret not in repr(family)
    assert token.secret not in repr(token)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "rt1",
        "rt1.a.b.c",
        "rt2." + "A" * 22 + "." + "A" * 22 + "." + "A" * 43,
        "rt1." + "A" * 22 + "." + "A" * 22 + "." + "A" * 42,
        "rt1." + "A" * 22 + "." + "A" * 22 + "." + "A" * 43 + ".x",
        "rt1." + "A" * 22 + "." + "A" * 22 + "." + "A" * 42 + "=",
        " rt1." + "A" * 22 + "." + "A" * 22 + "." + "A" * 43,
        "x" * 10_000,
        None,
        42,
    ],
)
def test_malformed_token_is_invalid_grant(text: object) -> None:
    with pytest.raises(InvalidGrantError):
        parse_refresh_token(text)


def test_rotation_issues_next_token_and_advances_generation() -> None:
    family, first = sign_in()
    later = NOW + HOUR
    family2, second = rotate(family, first, now=later, policy=POLICY)
    assert second.family_id == first.family_id
    assert second.token_id != first.token_id
    assert family2.generation == family.generation + 1
    assert family2.current_token_hash == hash_refresh_token(second)
    assert (family2.last_used_at, family2.idle_expires_at) == (later, later + 24 * HOUR)
    family3, _ = rotate(family2, second, now=later + HOUR, policy=POLICY)
    assert family3.generation == 2


def test_replaying_a_consumed_token_revokes_the_family() -> None:
    # The thief copies the first token; the user refreshes with it; the thief replays it.
    family, stolen = sign_in()
    family, users_next = rotate(family, stolen, now=NOW + 1, policy=POLICY)
    with pytest.raises(RefreshTokenReuseError) as raised:  # after the two-tab grace
        rotate(family, stolen, now=NOW + 1 + POLICY.reuse_grace + 1, policy=POLICY)
    revoked = raised.value.family
    assert (revoked.revoked, revoked.revoked_reason) == (True, "reuse")
    assert revoked.generation > family.generation  # so a conditional write sees the change
    assert raised.value.code == "invalid_grant"
    with pytest.raises(InvalidGrantError):
        rotate(revoked, users_next, now=NOW + 3, policy=POLICY)


def test_thief_who_refreshes_first_is_cut_off_when_the_user_comes_back() -> None:
    family, stolen = sign_in()
    family, thiefs_next = rotate(family, stolen, now=NOW + 1, policy=POLICY)
    family, thiefs_third = rotate(family, thiefs_next, now=NOW + 2, policy=POLICY)
    with pytest.raises(RefreshTokenReuseError) as raised:
        rotate(family, stolen, now=NOW + 3, policy=POLICY)  # the user, two generations behind
    with pytest.raises(InvalidGrantError):
        rotate(raised.value.family, thiefs_third, now=NOW + 4, policy=POLICY)


def test_wrong_secret_for_current_id_is_refused_without_revoking() -> None:
    family, token = sign_in()
    forged = replace(token, secret="A" * 43)
    with pytest.raises(InvalidGrantError) as raised:
        rotate(family, forged, now=NOW + 1, policy=POLICY)
    assert not isinstance(raised.value, RefreshTokenReuseError)
    rotate(family, token, now=NOW + 2, policy=POLICY)  # the real token still works


def test_token_of_another_family_is_refused() -> None:
    family, _ = sign_in()
    _, other = sign_in()
    with pytest.raises(InvalidGrantError) as raised:
        rotate(family, other, now=NOW + 1, policy=POLICY)
    assert not isinstance(raised.value, RefreshTokenReuseError)


@pytest.mark.parametrize(
    ("idle", "allowed"),
    [
        pytest.param(24 * HOUR - 1, True, id="just-within-idle"),
        pytest.param(24 * HOUR, False, id="idle-timeout"),
    ],
)
def test_idle_expiry(idle: float, allowed: bool) -> None:
    family, token = sign_in()
    if allowed:
        rotate(family, token, now=NOW + idle, policy=POLICY)
    else:
        with pytest.raises(InvalidGrantError):
            rotate(family, token, now=NOW + idle, policy=POLICY)


def test_use_extends_idle_but_never_past_absolute_expiry() -> None:
    family, token = sign_in()
    now = NOW
    for _ in range(3):  # refresh every 20 hours: each use keeps the session alive
        now += 20 * HOUR
        family, token = rotate(family, token, now=now, policy=POLICY)
    assert family.idle_expires_at == NOW + 72 * HOUR  # capped by the absolute expiry
    with pytest.raises(InvalidGrantError):
        rotate(family, token, now=NOW + 72 * HOUR, policy=POLICY)


def test_signed_out_family_refuses_its_current_token() -> None:
    family, token = sign_in()
    signed_out = revoke(family, reason="sign_out")
    assert signed_out.revoked_reason == "sign_out"
    assert revoke(signed_out, reason="admin") == signed_out  # first reason is kept
    with pytest.raises(InvalidGrantError):
        rotate(signed_out, token, now=NOW + 1, policy=POLICY)


class TestTwoTabGrace:
    """The token the last rotation consumed is accepted once more, within the grace."""

    def test_the_second_presenter_gets_a_sibling_and_both_heads_work(self) -> None:
        family, shared = sign_in()
        family, first_tab = rotate(family, shared, now=NOW + 1, policy=POLICY)
        family, second_tab = rotate(family, shared, now=NOW + 2, policy=POLICY)
        assert second_tab.token_id != first_tab.token_id
        assert not family.revoked
        # Either head rotates the family; the other one is consumed then.
        later, _ = rotate(family, second_tab, now=NOW + 3, policy=POLICY)
        assert rotate(family, first_tab, now=NOW + 3, policy=POLICY)[0].generation == (
            later.generation
        )

    def test_only_once(self) -> None:
        family, shared = sign_in()
        family, _ = rotate(family, shared, now=NOW + 1, policy=POLICY)
        family, _ = rotate(family, shared, now=NOW + 2, policy=POLICY)
        with pytest.raises(RefreshTokenReuseError):
            rotate(family, shared, now=NOW + 3, policy=POLICY)

    def test_not_after_the_grace(self) -> None:
        family, shared = sign_in()
        family, _ = rotate(family, shared, now=NOW + 1, policy=POLICY)
        with pytest.raises(RefreshTokenReuseError):
            rotate(family, shared, now=NOW + 1 + POLICY.reuse_grace + 0.01, policy=POLICY)

    def test_not_for_an_older_token(self) -> None:
        family, oldest = sign_in()
        family, middle = rotate(family, oldest, now=NOW + 1, policy=POLICY)
        family, _ = rotate(family, middle, now=NOW + 2, policy=POLICY)
        with pytest.raises(RefreshTokenReuseError):
            rotate(family, oldest, now=NOW + 3, policy=POLICY)

    def test_a_consumed_head_is_a_replay_after_the_next_rotation(self) -> None:
        family, shared = sign_in()
        family, first_tab = rotate(family, shared, now=NOW + 1, policy=POLICY)
        family, second_tab = rotate(family, shared, now=NOW + 2, policy=POLICY)
        family, _ = rotate(family, second_tab, now=NOW + 3, policy=POLICY)
        family, _ = rotate(family, second_tab, now=NOW + 4, policy=POLICY)  # its own grace
        with pytest.raises(RefreshTokenReuseError):
            rotate(family, first_tab, now=NOW + 5, policy=POLICY)

    def test_a_wrong_secret_within_the_grace_is_refused_without_revoking(self) -> None:
        family, shared = sign_in()
        family, _ = rotate(family, shared, now=NOW + 1, policy=POLICY)
        with pytest.raises(InvalidGrantError) as raised:
            rotate(family, replace(shared, secret="A" * 43), now=NOW + 2, policy=POLICY)
        assert not isinstance(raised.value, RefreshTokenReuseError)

    def test_no_grace_when_it_is_zero(self) -> None:
        strict = replace(POLICY, reuse_grace=0.0)
        family, shared = start_family("user-1", now=NOW, policy=strict)
        family, _ = rotate(family, shared, now=NOW + 1, policy=strict)
        with pytest.raises(RefreshTokenReuseError):
            rotate(family, shared, now=NOW + 1.5, policy=strict)
