"""nextToken: opaque, bound to model, index, caller and query, and expiring."""

from __future__ import annotations

from decimal import Decimal

import pytest

from auth.rules import Caller
from baas.graphql.errors import InvalidPageTokenError
from baas.graphql.page_tokens import PageBinding, PageTokens

KEY = {"board": "b", "id": "secret-id-of-someone-else", "n": Decimal(7)}
ALICE = Caller.user("alice", ["team"])
BINDING = PageBinding("Note", "", ALICE, {"filter": {"title": {"eq": "x"}}})


def tokens(now: float = 1000.0) -> PageTokens:
    return PageTokens(b"k" * 32, lifetime=60, clock=lambda: now)


def test_a_token_opens_where_it_was_issued_and_hides_the_key() -> None:
    token = tokens().issue(KEY, BINDING)
    assert tokens().open(token, BINDING) == KEY
    assert "secret" not in token
    assert tokens().issue(KEY, BINDING) != token  # a fresh nonce every time


@pytest.mark.parametrize(
    "other",
    [
        PageBinding("Board", "", ALICE, BINDING.query),
        PageBinding("Note", "by_owner", ALICE, BINDING.query),
        PageBinding("Note", "", Caller.user("bob", ["team"]), BINDING.query),
        PageBinding("Note", "", Caller.user("alice", ["team", "admin"]), BINDING.query),
        PageBinding("Note", "", Caller.anonymous(), BINDING.query),
        PageBinding("Note", "", ALICE, {"filter": None}),
    ],
)
def test_a_token_does_not_open_anywhere_else(other: PageBinding) -> None:
    token = tokens().issue(KEY, BINDING)
    with pytest.raises(InvalidPageTokenError):
        tokens().open(token, other)


def test_altered_forged_and_expired_tokens_fail_alike() -> None:
    token = tokens().issue(KEY, BINDING)
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    for bad in (flipped, "", "x" * 5000, "!!!", token + "AA"):
        with pytest.raises(InvalidPageTokenError):
            tokens().open(bad, BINDING)
    with pytest.raises(InvalidPageTokenError):
        PageTokens(b"o" * 32).open(token, BINDING)
    with pytest.raises(InvalidPageTokenError):
        tokens(now=1061.0).open(token, BINDING)
