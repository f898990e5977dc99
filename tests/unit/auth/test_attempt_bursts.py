"""Limits hold under a burst (issue 15, item 2): 150 attempts at once evaluate at most
the documented number — counted at the hasher, the code comparison and the mailer —
and the right secret sent after the limit is refused unevaluated."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path

import pytest

from auth.errors import InvalidCodeError, InvalidCredentialsError, ThrottledError
from tests.unit.auth.account_service import PASSWORD, accounts_on_disk
from tests.unit.auth.auth_fakes import CodeComparisons

BURST = 150
VICTIM = "victim@example.com"


async def outcomes(calls: list[Awaitable[object]]) -> list[str]:
    """What each call ended with: ``ok``, or the error class's name."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    return ["ok" if not isinstance(r, BaseException) else type(r).__name__ for r in results]


@pytest.mark.parametrize("addresses", [1, BURST], ids=["one-address", "many-addresses"])
async def test_a_burst_of_wrong_passwords_is_evaluated_at_most_five_times(
    tmp_path: Path, addresses: int
) -> None:
    async with accounts_on_disk(tmp_path) as accounts:
        await accounts.signed_up_and_verified(VICTIM)
        before = accounts.hasher.evaluations
        ended = await outcomes(
            [
                accounts.service.sign_in(
                    VICTIM, f"guess number {n}", address=f"203.0.113.{n % addresses}"
                )
                for n in range(BURST)
            ]
        )
        assert accounts.hasher.evaluations - before <= 5
        assert ended.count(InvalidCredentialsError.__name__) <= 5
        assert ended.count(ThrottledError.__name__) >= BURST - 5
        evaluated = accounts.hasher.evaluations
        with pytest.raises(ThrottledError):
            await accounts.service.sign_in(VICTIM, PASSWORD, address="192.0.2.200")
        assert accounts.hasher.evaluations == evaluated  # refused before the hasher


async def test_the_right_password_inside_the_burst_is_never_evaluated_past_the_limit(
    tmp_path: Path,
) -> None:
    async with accounts_on_disk(tmp_path) as accounts:
        await accounts.signed_up_and_verified(VICTIM)
        before = accounts.hasher.evaluations
        passwords = [f"guess number {n}" for n in range(BURST)]
        passwords[BURST // 2] = PASSWORD
        ended = await outcomes(
            [accounts.service.sign_in(VICTIM, p, address="203.0.113.9") for p in passwords]
        )
        assert accounts.hasher.evaluations - before <= 5
        # It signs in only if it drew one of the 5 slots; otherwise it is a 429 like the
        # rest. Either way, at most 5 passwords were tried.
        assert ended.count("ok") + ended.count(InvalidCredentialsError.__name__) <= 5


async def test_a_spray_across_accounts_from_one_address_is_evaluated_at_most_twenty_times(
    tmp_path: Path,
) -> None:
    async with accounts_on_disk(tmp_path) as accounts:
        ended = await outcomes(
            [
                accounts.service.sign_in(f"user{n}@example.com", "a guess", address="203.0.113.9")
                for n in range(BURST)
            ]
        )
        assert accounts.hasher.evaluations <= 20
        assert ended.count(InvalidCredentialsError.__name__) <= 20


@pytest.mark.parametrize("addresses", [1, BURST], ids=["one-address", "many-addresses"])
async def test_a_burst_of_wrong_codes_is_compared_at_most_five_times(
    tmp_path: Path, addresses: int, code_comparisons: CodeComparisons
) -> None:
    async with accounts_on_disk(tmp_path) as accounts:
        await accounts.service.sign_up(VICTIM, PASSWORD, address="192.0.2.1")
        code = await accounts.code(VICTIM)
        code_comparisons.start()
        guesses = [f"{n:08d}" for n in range(BURST) if f"{n:08d}" != code][: BURST - 1]
        ended = await outcomes(
            [
                accounts.service.verify_email(
                    VICTIM, guess, PASSWORD, address=f"203.0.113.{n % addresses}"
                )
                for n, guess in enumerate([*guesses[:100], code, *guesses[100:]])
            ]
        )
        assert code_comparisons.count <= 5
        assert ended.count("ok") <= 1
        if "ok" not in ended:  # the right code came after the limit: it is burnt
            with pytest.raises(InvalidCodeError):
                await accounts.service.verify_email(VICTIM, code, PASSWORD, address="192.0.2.1")


async def test_wrong_codes_from_one_address_across_accounts_stop_at_twenty(
    tmp_path: Path,
) -> None:
    async with accounts_on_disk(tmp_path) as accounts:
        ended = await outcomes(
            [
                accounts.service.reset_password(
                    f"user{n}@example.com", "12345678", "a new passphrase!", address="203.0.113.9"
                )
                for n in range(BURST)
            ]
        )
        assert ended.count(InvalidCodeError.__name__) <= 20
        assert ended.count(ThrottledError.__name__) >= BURST - 20


async def test_a_burst_of_sign_ups_and_mails_stays_within_its_budgets(tmp_path: Path) -> None:
    async with accounts_on_disk(tmp_path) as accounts:
        signups = await outcomes(
            [
                accounts.service.sign_up(f"user{n}@example.com", PASSWORD, address="203.0.113.9")
                for n in range(BURST)
            ]
        )
        assert signups.count("ok") <= 20  # sign-ups from one address: 20 an hour
        resends = await outcomes(
            [
                accounts.service.resend_verification("user0@example.com", address=f"198.51.100.{n}")
                for n in range(BURST)
            ]
        )
        assert resends.count("ok") == BURST  # the answer never changes...
        await accounts.mailer.drain()
        to_one = [m for m in accounts.sender.mails if m.to == "user0@example.com"]
        assert len(to_one) <= 5  # ...but one address gets at most 5 mails an hour
