"""Emailed one-time codes: several live at once, single use, and guessing bounded by an
attempt reserved before any comparison (on a real SQLite store)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from auth.one_time_codes import OneTimeCodes
from auth.system_tables import ensure_system_tables
from storage import SqliteConfig, open_store
from tests.unit.auth.auth_fakes import CodeComparisons, FakeClock


@pytest.fixture
async def codes(tmp_path: Path, clock: FakeClock) -> AsyncIterator[OneTimeCodes]:
    async with open_store(SqliteConfig(tmp_path / "codes.sqlite3", synchronous="NORMAL")) as store:
        await ensure_system_tables(store)
        yield OneTimeCodes(store, lifetime=600, clock=clock)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**8:08d}"


async def _uses(codes: OneTimeCodes, code: str) -> bool:
    match = await codes.check("verify_email", "u1", code)
    return match is not None and await codes.consume(match)


async def test_a_later_code_does_not_void_an_earlier_one(codes: OneTimeCodes) -> None:
    first = await codes.issue("verify_email", "u1")
    second = await codes.issue("verify_email", "u1")
    assert await _uses(codes, first)
    assert not await _uses(codes, second)  # using one voids every code of the purpose
    assert not await _uses(codes, first)


async def test_codes_are_bound_to_purpose_and_user(codes: OneTimeCodes) -> None:
    code = await codes.issue("verify_email", "u1")
    assert await codes.check("reset_password", "u1", code) is None
    assert await codes.check("verify_email", "u2", code) is None
    assert await _uses(codes, f"  {code} ")  # surrounding spaces from a copy-paste


async def test_codes_expire(codes: OneTimeCodes, clock: FakeClock) -> None:
    old = await codes.issue("verify_email", "u1")
    clock.advance(400)
    new = await codes.issue("verify_email", "u1")
    clock.advance(300)
    assert await codes.check("verify_email", "u1", old) is None
    assert await _uses(codes, new)


async def test_five_wrong_tries_burn_every_live_code(codes: OneTimeCodes) -> None:
    code = await codes.issue("verify_email", "u1")
    for _ in range(5):
        assert await codes.check("verify_email", "u1", _wrong(code)) is None
    assert await codes.check("verify_email", "u1", code) is None
    fresh = await codes.issue("verify_email", "u1")  # a new code starts a new count...
    assert await codes.check("verify_email", "u1", code) is None  # ...without the old one
    assert await _uses(codes, fresh)


async def test_a_burst_of_guesses_is_compared_at_most_five_times(
    codes: OneTimeCodes, code_comparisons: CodeComparisons
) -> None:
    code = await codes.issue("verify_email", "u1")
    code_comparisons.start()
    guesses = [f"{n:08d}" for n in range(40) if f"{n:08d}" != code] + [code]
    accepted = await asyncio.gather(*(_uses(codes, guess) for guess in guesses))
    assert code_comparisons.count <= 5
    # The right code is among the accepted only if it drew one of the five attempts.
    assert sum(accepted) <= 1
    assert not await _uses(codes, code)


async def test_malformed_codes_spend_no_attempt(codes: OneTimeCodes) -> None:
    code = await codes.issue("verify_email", "u1")
    for garbage in [  # fullwidth digits are isdigit() but not a code
        "",
        "1234",
        "abcdefgh",
        "\uff11" * 8,
        None,
        12345678,
    ]:
        assert await codes.check("verify_email", "u1", garbage) is None
    assert await _uses(codes, code)
