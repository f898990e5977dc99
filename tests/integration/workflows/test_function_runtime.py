"""The runtime a worker gives functions, built from the same services as the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from auth.errors import ItemNotFoundError
from baas.config import Settings
from baas.function_runtime import function_runtime
from baas.services import Services
from examples.board import app as board_app
from functions import Caller, OutgoingEmail


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    settings = Settings.from_env(
        {"BAAS_DATA_DIR": str(tmp_path), "BAAS_SECRET_PAYMENT_KEY": "sk_test_1"}
    )
    services = Services(settings, app=board_app)
    await services.start()
    try:
        yield services
    finally:
        await services.stop()


async def test_mail_goes_through_auths_sender(services: Services, tmp_path: Path) -> None:
    runtime = function_runtime(services)
    assert runtime.mail is not None
    await runtime.mail.send(
        OutgoingEmail(to="member@example.com", subject="Board archived", text="It is done."),
        idempotency_key="k1",
    )
    mails = list((tmp_path / "outbox").glob("*.eml"))
    assert len(mails) == 1
    text = mails[0].read_text()
    assert "To: member@example.com" in text
    assert "It is done." in text


async def test_a_retried_send_is_the_same_mail(services: Services, tmp_path: Path) -> None:
    # baas.send_email passes ctx.idempotency_key, stable across the retries of a call.
    runtime = function_runtime(services)
    assert runtime.mail is not None
    email = OutgoingEmail(to="member@example.com", subject="Board archived", text="Done.")
    await runtime.mail.send(email, idempotency_key="call-1")
    await runtime.mail.send(email, idempotency_key="call-1")  # the retry
    await runtime.mail.send(email, idempotency_key="call-2")
    mails = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(mails) == 2
    ids = {
        line
        for mail in mails
        for line in mail.read_text().splitlines()
        if line.startswith("Message-ID")
    }
    assert len(ids) == 2
    assert all("call-" not in line for line in ids)  # derived from the key, not the key


async def test_secrets_and_store_views(services: Services) -> None:
    runtime = function_runtime(services)
    assert dict(runtime.secrets) == {"payment_key": "sk_test_1"}
    await services.store.put_item("boards", {"id": "b1", "name": "Q3", "owner": "olga"})

    as_olga = runtime.store_for(Caller.user("olga"), "caller")
    as_zoe = runtime.store_for(Caller.user("zoe"), "caller")
    as_system = runtime.store_for(Caller.user("zoe"), "system")
    update = "SET #n = :n"
    names, values = {"#n": "name"}, {":n": "Q4"}

    with pytest.raises(ItemNotFoundError):  # zoe may read boards, not change olga's
        await as_zoe.update_item("boards", {"id": "b1"}, update, names=names, values=values)
    await as_olga.update_item("boards", {"id": "b1"}, update, names=names, values=values)
    await as_system.update_item(
        "boards", {"id": "b1"}, update, names=names, values={":n": "by system"}
    )
    board = await services.store.get_item("boards", {"id": "b1"})
    assert board is not None
    assert board["name"] == "by system"
