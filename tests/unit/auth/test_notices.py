"""Notices (issue 15, item 10): the owner hears of a password change or reset and of a
linked or unlinked identity, even when a stranger has spent the address's mail budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.auth.account_service import PASSWORD, Accounts, accounts_on_disk

MAYA = "maya@example.com"
NEW_PASSWORD = "a brand new passphrase"


async def subjects_to(accounts: Accounts, to: str) -> list[str]:
    await accounts.mailer.drain()
    return [mail.subject for mail in accounts.sender.mails if mail.to == to]


async def spend_the_mail_budget(accounts: Accounts, email: str) -> None:
    for n in range(6):  # a stranger asking for reset codes: 5 mails an hour at most
        await accounts.service.forgot_password(email, address=f"203.0.113.{n}")


async def test_a_password_change_is_noticed(tmp_path: Path) -> None:
    async with accounts_on_disk(tmp_path) as accounts:
        await accounts.signed_up_and_verified(MAYA)
        tokens = await accounts.service.sign_in(MAYA, PASSWORD, address="192.0.2.1")
        await spend_the_mail_budget(accounts, MAYA)
        await accounts.service.change_password(
            tokens.user, PASSWORD, NEW_PASSWORD, address="192.0.2.1"
        )
        assert (await subjects_to(accounts, MAYA))[-1] == "Your password was changed"


async def test_a_password_reset_is_noticed(tmp_path: Path) -> None:
    async with accounts_on_disk(tmp_path) as accounts:
        await accounts.signed_up_and_verified(MAYA)
        await accounts.service.forgot_password(MAYA, address="192.0.2.1")
        code = await accounts.code(MAYA, "reset")
        await spend_the_mail_budget(accounts, MAYA)
        await accounts.service.reset_password(MAYA, code, NEW_PASSWORD, address="192.0.2.1")
        assert (await subjects_to(accounts, MAYA))[-1] == "Your password was reset"


@pytest.mark.parametrize(
    ("change", "subject"),
    [
        ("identity_linked", "A new way to sign in was added to your account"),
        ("identity_unlinked", "A way to sign in was removed from your account"),
    ],
)
async def test_a_linked_or_unlinked_identity_is_noticed(
    tmp_path: Path, change: str, subject: str
) -> None:
    async with accounts_on_disk(tmp_path) as accounts:
        await accounts.signed_up_and_verified(MAYA)
        user = await accounts.service.users.get_by_email(MAYA)
        assert user is not None
        await spend_the_mail_budget(accounts, MAYA)
        await getattr(accounts.service, change)(user.user_id, "github")
        await accounts.mailer.drain()
        notice = accounts.sender.mails[-1]
        assert (notice.to, notice.subject) == (MAYA, subject)
        assert "github" in notice.body


async def test_no_notice_goes_to_an_address_nobody_verified(tmp_path: Path) -> None:
    async with accounts_on_disk(tmp_path) as accounts:
        anonymous = await accounts.service.create_anonymous(address="192.0.2.1")
        await accounts.service.upgrade(anonymous.user, MAYA, PASSWORD, address="192.0.2.1")
        await accounts.service.identity_linked(anonymous.user.user_id, "github")
        assert await subjects_to(accounts, MAYA) == ["Your verification code"]
