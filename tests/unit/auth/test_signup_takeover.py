"""No account takeover through sign-up: verification activates only a password that
the holder of the mailbox chose (issue 15, item 1).

The attack: the victim signs up, a stranger signs up with the victim's address and
another password, and the victim's own code then activated the stranger's password.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from auth.accounts import AccountConfig
from auth.errors import (
    EmailNotVerifiedError,
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidGrantError,
)
from auth.users import User
from tests.unit.auth.account_service import PASSWORD, Accounts, accounts_on_disk

VICTIM = "victim@example.com"
ATTACKER_PASSWORD = "the attackers own passphrase"


async def verify(accounts: Accounts, code: str, password: str) -> User:
    return await accounts.service.verify_email(VICTIM, code, password, address="192.0.2.1")


async def signs_in(accounts: Accounts, password: str, email: str = VICTIM) -> bool:
    try:
        await accounts.service.sign_in(email, password, address="198.51.100.1")
    except InvalidCredentialsError:
        return False
    return True


@pytest.mark.parametrize(
    ("first", "code_from"),
    [
        pytest.param("victim", "victim", id="victim-first-victims-code"),
        pytest.param("victim", "stranger", id="victim-first-strangers-code"),
        pytest.param("stranger", "victim", id="stranger-first-victims-code"),
        pytest.param("stranger", "stranger", id="stranger-first-strangers-code"),
    ],
)
async def test_whoever_signs_up_first_and_whichever_code_the_victim_types(
    tmp_path: Path, first: str, code_from: str
) -> None:
    """Both sign-ups mail a code to the victim's mailbox; only the victim's password can
    be activated, whichever of the two codes the victim types."""
    sign_ups = {"victim": (PASSWORD, "192.0.2.1"), "stranger": (ATTACKER_PASSWORD, "203.0.113.66")}
    order = [first, "stranger" if first == "victim" else "victim"]
    async with accounts_on_disk(tmp_path) as accounts:
        codes = {}
        for who in order:
            password, address = sign_ups[who]
            await accounts.service.sign_up(VICTIM, password, address=address)
            codes[who] = await accounts.code(VICTIM)
        await verify(accounts, codes[code_from], PASSWORD)
        assert await signs_in(accounts, PASSWORD)
        assert not await signs_in(accounts, ATTACKER_PASSWORD)


async def test_a_silent_sign_up_after_the_mail_budget_is_spent_changes_nothing(
    tmp_path: Path,
) -> None:
    async with accounts_on_disk(tmp_path) as accounts:
        await accounts.service.sign_up(VICTIM, PASSWORD, address="192.0.2.1")
        victims_code = await accounts.code(VICTIM)
        for _ in range(4):  # 5 mails an hour to one address: the budget is spent
            await accounts.service.resend_verification(VICTIM, address="203.0.113.66")
        await accounts.mailer.drain()
        mailed = len(accounts.sender.mails)
        await accounts.service.sign_up(VICTIM, ATTACKER_PASSWORD, address="203.0.113.66")
        await accounts.mailer.drain()
        assert len(accounts.sender.mails) == mailed  # silent: no mail went
        await verify(accounts, victims_code, PASSWORD)
        assert await signs_in(accounts, PASSWORD)
        assert not await signs_in(accounts, ATTACKER_PASSWORD)


async def test_concurrent_sign_ups_never_replace_the_victims_password(tmp_path: Path) -> None:
    strangers = [f"stranger number {n} passphrase" for n in range(4)]  # 5 failures lock
    async with accounts_on_disk(tmp_path) as accounts:
        await asyncio.gather(
            *(
                accounts.service.sign_up(VICTIM, password, address=f"203.0.113.{n}")
                for n, password in enumerate([*strangers[:2], PASSWORD, *strangers[2:]])
            )
        )
        await accounts.mailer.drain()
        codes = accounts.sender.codes_to(VICTIM, "verification")
        assert codes
        await verify(accounts, codes[0], PASSWORD)
        assert await signs_in(accounts, PASSWORD)
        for password in strangers:
            assert not await signs_in(accounts, password)


async def test_verification_needs_a_password_the_address_signed_up_with(tmp_path: Path) -> None:
    async with accounts_on_disk(tmp_path) as accounts:
        await accounts.service.sign_up(VICTIM, PASSWORD, address="192.0.2.1")
        code = await accounts.code(VICTIM)
        with pytest.raises(InvalidCodeError):
            await verify(accounts, code, "a password nobody chose")
        await verify(accounts, code, PASSWORD)  # the code still works
        with pytest.raises(InvalidCodeError):
            await verify(accounts, code, PASSWORD)  # once


async def test_before_verification_only_the_first_sign_ups_password_is_the_accounts(
    tmp_path: Path,
) -> None:
    async with accounts_on_disk(tmp_path) as accounts:
        await accounts.service.sign_up(VICTIM, PASSWORD, address="192.0.2.1")
        await accounts.service.sign_up(VICTIM, ATTACKER_PASSWORD, address="203.0.113.66")
        with pytest.raises(EmailNotVerifiedError):
            await accounts.service.sign_in(VICTIM, PASSWORD, address="192.0.2.1")
        with pytest.raises(InvalidCredentialsError):
            await accounts.service.sign_in(VICTIM, ATTACKER_PASSWORD, address="203.0.113.66")


async def test_verifying_a_later_sign_up_ends_the_first_sign_ups_sessions(
    tmp_path: Path,
) -> None:
    """Where unverified accounts may sign in, whoever signed up first held the account
    until the mailbox's holder verified it with another password: out they go."""
    config = AccountConfig(require_verified_email=False)
    async with accounts_on_disk(tmp_path, config) as accounts:
        await accounts.service.sign_up(VICTIM, ATTACKER_PASSWORD, address="203.0.113.66")
        squatter = await accounts.service.sign_in(VICTIM, ATTACKER_PASSWORD, address="203.0.113.66")
        await accounts.service.sign_up(VICTIM, PASSWORD, address="192.0.2.1")
        verified = await verify(accounts, await accounts.code(VICTIM), PASSWORD)
        assert verified.not_before is not None
        assert squatter.refresh is not None
        with pytest.raises(InvalidGrantError):
            await accounts.service.refresh(squatter.refresh.text)
        assert not await signs_in(accounts, ATTACKER_PASSWORD)
        assert await signs_in(accounts, PASSWORD)


async def test_a_password_reset_drops_the_sign_ups_still_waiting(tmp_path: Path) -> None:
    async with accounts_on_disk(tmp_path) as accounts:
        await accounts.service.sign_up(VICTIM, ATTACKER_PASSWORD, address="203.0.113.66")
        await accounts.service.sign_up(VICTIM, "a pending passphrase", address="203.0.113.67")
        await accounts.service.forgot_password(VICTIM, address="192.0.2.1")
        reset = await accounts.code(VICTIM, "reset")
        await accounts.service.reset_password(VICTIM, reset, PASSWORD, address="192.0.2.1")
        assert await signs_in(accounts, PASSWORD)
        assert not await signs_in(accounts, ATTACKER_PASSWORD)
        assert not await signs_in(accounts, "a pending passphrase")
        user = await accounts.service.users.get_by_email(VICTIM)
        assert user is not None
        assert user.email_verified
        assert user.pending_password_hashes == ()


async def test_an_anonymous_claim_on_the_address_cannot_be_verified_by_its_holder(
    tmp_path: Path,
) -> None:
    async with accounts_on_disk(tmp_path) as accounts:
        squatter = await accounts.service.create_anonymous(address="203.0.113.66")
        await accounts.service.upgrade(
            squatter.user, VICTIM, ATTACKER_PASSWORD, address="203.0.113.66"
        )
        code = await accounts.code(VICTIM)
        with pytest.raises(InvalidCodeError):
            await verify(accounts, code, PASSWORD)
        await accounts.service.sign_up(VICTIM, PASSWORD, address="192.0.2.1")
        await verify(accounts, await accounts.code(VICTIM), PASSWORD)
        user = await accounts.service.users.get_by_email(VICTIM)
        assert user is not None
        assert user.user_id != squatter.user.user_id
        assert await signs_in(accounts, PASSWORD)


async def test_only_the_newest_sign_ups_wait_beside_the_first(tmp_path: Path) -> None:
    passwords = [f"sign-up number {n} passphrase" for n in range(7)]
    async with accounts_on_disk(tmp_path) as accounts:
        for password in passwords:
            await accounts.service.sign_up(VICTIM, password, address="192.0.2.1")
        user = await accounts.service.users.get_by_email(VICTIM)
        assert user is not None
        assert len(user.pending_password_hashes) == accounts.service.config.pending_sign_ups
        code = await accounts.code(VICTIM)
        with pytest.raises(InvalidCodeError):
            await verify(accounts, code, passwords[1])  # pushed out
        await verify(accounts, code, passwords[-1])
        assert await signs_in(accounts, passwords[-1])
