"""The console's pages in a real browser against ``baas dev`` running the example app
(API, worker, triggers; on the session's Temporal dev server): each test does what an
admin does on one page, and checks the effect where it lands (GraphQL, the store, a
user's token, boto3)."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.integration.auth.auth_server import FAST_ARGON2, PASSWORD, AuthServer
from tests.integration.auth.mfa_support import enrol_totp
from tests.integration.auth.test_passkeys_browser import (
    PAGE,
    add_virtual_authenticator,
    run,
)
from tests.integration.console.console_pages import (
    create_admin,
    refused_within,
    sign_in,
    signed_in,
)
from tests.integration.static_site import static_site
from tests.support import free_port

ROOT = Path(__file__).resolve().parents[3]
BAAS = Path(sys.executable).parent / "baas"
ADMIN = "lena@example.com"
# Set to a folder to save a picture of each page (how docs/console/ is made).
SCREENSHOTS = os.environ.get("BAAS_CONSOLE_SCREENSHOTS")


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(300)  # let the busy bar fade out of the picture
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"))


@dataclass
class Dev:
    base: str
    data_dir: Path
    admin_token: str
    passkey_page_port: int  # the app's passkey page may be served here (localhost)

    def graphql(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        answer = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token or self.admin_token}"},
            timeout=30,
        ).json()
        assert "errors" not in answer, answer
        data: dict[str, Any] = answer["data"]
        return data

    @contextlib.contextmanager
    def accounts(self) -> Iterator[AuthServer]:
        with httpx.Client(base_url=self.base, timeout=10) as client:
            yield AuthServer(self.base, self.data_dir, client)


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory, baas_temporal_address: str) -> Iterator[Dev]:
    data_dir = tmp_path_factory.mktemp("console-dev")
    port, passkey_page_port = free_port(), free_port()
    passkey_origin = f"http://localhost:{passkey_page_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAAS_")}
    env.update(
        FAST_ARGON2,
        BAAS_APP="examples.board:app",
        BAAS_DATA_DIR=str(data_dir),
        BAAS_PORT=str(port),
        BAAS_TEMPORAL_ADDRESS=baas_temporal_address,
        BAAS_TASK_QUEUE=f"console-{uuid.uuid4().hex}",
        BAAS_TEMPORAL_UI_URL="http://127.0.0.1:8233",
        BAAS_RELOAD="false",
        BAAS_CORS_ORIGINS=passkey_origin,
        BAAS_AUTH_PASSKEY_RP_ID="localhost",
        BAAS_AUTH_PASSKEY_ORIGINS=passkey_origin,
    )
    log = (data_dir / "dev.log").open("w")
    process = subprocess.Popen(
        [str(BAAS), "dev"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, (data_dir / "dev.log").read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "baas dev did not become healthy"
            time.sleep(0.2)
        create_admin(data_dir, ADMIN)
        token = httpx.post(
            f"{base}/auth/signin",
            json={"email": ADMIN, "password": "correct horse battery staple"},
            timeout=10,
        ).json()["access_token"]
        yield Dev(base, data_dir, token, passkey_page_port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def page(dev: Dev, context: BrowserContext) -> Page:
    page = context.new_page()
    sign_in(page, dev.base, ADMIN)
    signed_in(page, ADMIN)
    return page


def _new_board(dev: Dev, name: str) -> dict[str, Any]:
    created = dev.graphql(
        "mutation($name: String!) { createBoard(input: {name: $name}) { id name version } }",
        name=name,
    )
    board: dict[str, Any] = created["createBoard"]
    return board


def _board(dev: Dev, board_id: str) -> dict[str, Any] | None:
    found = dev.graphql(
        "query($id: String!) { getBoard(id: $id) { id name description version status } }",
        id=board_id,
    )
    board: dict[str, Any] | None = found["getBoard"]
    return board


def _edit_item(page: Page, replace: str, by: str) -> None:
    editor = page.get_by_label("Item as DynamoDB JSON")
    editor.fill(editor.input_value().replace(replace, by))


def test_data_query_edit_conflict_create_delete_and_live_feed(dev: Dev, page: Page) -> None:
    board = _new_board(dev, "Roadmap")
    page.get_by_role("link", name="Data").click()
    page.get_by_role("navigation", name="Tables").get_by_role("link", name="boards").click()
    expect(page.locator("#table-info")).to_contain_text('"version"')

    # Query by partition key, open the item, edit it as DynamoDB JSON.
    page.get_by_label("Find", exact=True).select_option("query")
    page.get_by_label("id =").fill(board["id"])
    page.get_by_role("button", name="Run").click()
    page.get_by_role("cell", name="Roadmap").click()
    expect(page.get_by_label("Item as DynamoDB JSON")).to_have_value(re.compile('"S": "Roadmap"'))
    _edit_item(page, '"S": "Roadmap"', '"S": "Roadmap 2027"')
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#item-editor")).to_contain_text("Saved.")
    saved = _board(dev, board["id"])
    assert saved is not None
    assert saved["name"] == "Roadmap 2027"
    assert saved["version"] == board["version"] + 1

    # Someone changes it through GraphQL while the editor shows the old version: the
    # console's save is refused and reported, the other change stays.
    dev.graphql(
        'mutation($id: String!) { updateBoard(input: {id: $id, description: "theirs"}) { id } }',
        id=board["id"],
    )
    _edit_item(page, '"S": "Roadmap 2027"', '"S": "Mine"')
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#item-editor").get_by_role("alert")).to_contain_text(
        "changed after you opened it"
    )
    expect(page.locator("#item-editor")).to_contain_text("request id")
    current = _board(dev, board["id"])
    assert current is not None
    assert (current["name"], current["description"]) == ("Roadmap 2027", "theirs")

    # Create an item, then delete it with a confirmation.
    page.get_by_role("button", name="New item").click()
    editor = page.get_by_label("Item as DynamoDB JSON")
    editor.fill('{"id": {"S": "console-made"}, "name": {"S": "From the console"}}')
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#item-editor")).to_contain_text("Created.")
    made = _board(dev, "console-made")
    assert made is not None
    assert made["name"] == "From the console"
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Deleted.")).to_be_visible()
    assert _board(dev, "console-made") is None

    # The live feed shows a change made through GraphQL.
    page.get_by_role("button", name="Live changes").click()
    expect(page.locator("#live-feed")).to_contain_text("Watching")
    _new_board(dev, "Seen live")
    expect(page.locator("#live-feed")).to_contain_text("INSERT")
    expect(page.locator("#live-feed")).to_contain_text("Seen live")
    page.get_by_role("cell", name="Seen live").first.click()
    screenshot(page, "data")


def test_users_disable_a_user_and_their_token_is_refused(dev: Dev, page: Page) -> None:
    with dev.accounts() as accounts:
        accounts.signup_verified("omar@example.com")
        omar = str(accounts.signin("omar@example.com")["access_token"])
        assert accounts.get("/auth/me", token=omar).status_code == 200

        page.get_by_role("link", name="Users").click()
        page.get_by_label("Email contains").fill("omar")
        page.get_by_role("button", name="Search").click()
        page.get_by_role("cell", name="omar@example.com").click()
        detail = page.locator("#user-detail")
        expect(detail).to_contain_text("enabled")
        expect(detail).to_contain_text("Security events")
        detail.get_by_role("button", name="Disable").click()
        page.get_by_role("dialog").get_by_role("button", name="Disable").click()
        expect(detail.locator(".badge").first).to_have_text("disabled")
        assert accounts.get("/auth/me", token=omar).status_code == 401
        # The user's security events, the admin's action among them (events are stored
        # in the background: open the user again until it is there, up to a bound).
        deadline = time.monotonic() + 15
        while "disable_user" not in detail.inner_text():
            assert time.monotonic() < deadline, "the admin's action is not among the events"
            page.wait_for_timeout(300)
            page.get_by_role("cell", name="omar@example.com").click()
        expect(detail).to_contain_text("sign_in_succeeded")


def _register_a_passkey(dev: Dev, browser: Browser, access: str, proof: dict[str, str]) -> None:
    """The user registers a passkey on the app's page (http://localhost, its own origin)
    with a virtual authenticator, as tests/integration/auth/test_passkeys_browser does."""
    context = browser.new_context()
    try:
        tab = context.new_page()
        add_virtual_authenticator(tab)
        with static_site(dev.passkey_page_port, PAGE) as page_base:
            tab.goto(f"{page_base}/index.html?api={dev.base.replace('127.0.0.1', 'localhost')}")
            registered = run(tab, "register", access, proof)
        assert registered["first"]["status"] == 201, registered
    finally:
        context.close()


def test_users_show_second_factors_remove_a_passkey_and_reset_mfa(
    dev: Dev, page: Page, browser: Browser
) -> None:
    nina = "nina@example.com"
    with dev.accounts() as accounts:
        accounts.signup_verified(nina)
        access = str(accounts.signin(nina)["access_token"])
        app, _ = enrol_totp(accounts, access)
        _register_a_passkey(dev, browser, access, {"password": PASSWORD, "mfa_code": app.code()})

        page.get_by_role("link", name="Users").click()
        page.get_by_label("Email contains").fill("nina")
        page.get_by_role("button", name="Search").click()
        page.get_by_role("cell", name=nina).click()
        factors = page.locator("#user-mfa")
        expect(factors).to_contain_text("authenticator appenrolled")
        expect(factors).to_contain_text("recovery codes left10")
        passkeys = page.locator("#user-passkeys")
        expect(passkeys).to_contain_text("Test key")
        expect(passkeys).to_contain_text("never")
        screenshot(page, "users")

        # A lost security key: removed, and the user's sessions end.
        passkeys.get_by_role("button", name="Remove passkey Test key").click()
        page.get_by_role("dialog").get_by_role("button", name="Remove passkey").click()
        expect(factors).to_contain_text("No passkey registered.")
        assert accounts.get("/auth/me", token=access).status_code == 401
        assert accounts.get("/auth/mfa", token=access).status_code == 401
        assert accounts.post("/auth/signin", {"email": nina, "password": PASSWORD}).json()[
            "mfa_required"
        ]  # the authenticator app is still a second factor

        # A lost phone: every second factor goes; the password alone signs in again.
        factors.get_by_role("button", name="Reset MFA").click()
        page.get_by_role("dialog").get_by_role("button", name="Reset MFA").click()
        expect(factors).to_contain_text("authenticator appnot enrolled")
        expect(factors).to_contain_text("recovery codes left0")
        expect(factors.get_by_role("button", name="Reset MFA")).to_be_disabled()
        assert "access_token" in accounts.signin(nina)


def test_keys_create_shows_the_secret_once_and_revoke_stops_it(dev: Dev, page: Page) -> None:
    page.get_by_role("link", name="Keys").click()
    page.get_by_label("Description").fill("data team")
    page.get_by_role("button", name="Create access key").click()
    key_id = page.locator("#new-key .key-id").inner_text()
    secret = page.locator("#new-key .secret").inner_text()
    client = boto3.client(
        "dynamodb",
        endpoint_url=f"{dev.base}/dynamodb",
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )
    assert "boards" in client.list_tables()["TableNames"]

    page.reload()
    expect(page.get_by_role("cell", name=key_id, exact=True)).to_be_visible()
    assert secret not in page.content()  # shown once, never again
    page.get_by_role("button", name=f"Revoke {key_id}").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke").click()
    expect(page.get_by_text(f"Revoked {key_id}.")).to_be_visible()
    screenshot(page, "keys")
    assert refused_within(client) == "UnrecognizedClientException"


def test_apps_register_an_oauth_client_with_its_secret_shown_once(dev: Dev, page: Page) -> None:
    page.get_by_role("link", name="Apps").click()
    page.get_by_label("Name", exact=True).fill("Example App")
    page.get_by_label("Redirect URIs", exact=True).fill("https://app.example.com/callback")
    page.get_by_role("button", name="Register app").click()
    client_id = page.locator("#new-app .client-id").inner_text()
    secret = page.locator("#new-app .secret").inner_text()
    # The secret is the client's: the token endpoint authenticates it (and no other).
    answer = httpx.post(
        f"{dev.base}/oauth/token", data={"grant_type": "refresh_token"}, auth=(client_id, secret)
    )
    assert answer.json()["error"] == "invalid_request"

    page.reload()
    expect(page.get_by_role("cell", name=client_id, exact=True)).to_be_visible()
    assert secret not in page.content()  # shown once, never again
    screenshot(page, "apps")
    page.get_by_role("button", name="Delete Example App").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Deleted Example App.")).to_be_visible()
    gone = httpx.post(
        f"{dev.base}/oauth/token", data={"grant_type": "refresh_token"}, auth=(client_id, secret)
    )
    assert gone.json()["error"] == "invalid_client"


def test_calls_start_a_workflow_approve_it_and_see_it_completed(dev: Dev, page: Page) -> None:
    board = _new_board(dev, "To archive")
    page.get_by_role("link", name="Calls").click()
    page.get_by_label("Function or workflow").select_option(label="board.ArchiveBoard (workflow)")
    page.get_by_label("Input as JSON").fill(f'{{"board_id": "{board["id"]}"}}')
    page.get_by_role("button", name="Start").click()
    detail = page.locator("#call-detail")
    expect(detail).to_contain_text("board.ArchiveBoard")
    expect(detail).to_contain_text(board["id"])  # its input
    expect(detail.get_by_role("link", name="Open in the Temporal UI")).to_be_visible()
    # The worker runs it up to the approval; the page follows the running call.
    expect(detail).to_contain_text("waiting for approval", timeout=60_000)
    detail.get_by_role("button", name="Approve").click()
    expect(detail.locator(".badge").first).to_have_text("completed", timeout=60_000)
    expect(detail.locator(".result")).to_contain_text('"approved_by"')
    archived = _board(dev, board["id"])
    assert archived is not None
    assert archived["status"] == "archived"
    screenshot(page, "calls")
    if SCREENSHOTS:
        page.get_by_role("link", name="Overview").click()
        expect(page.locator("#traffic")).to_contain_text("/graphql")
        screenshot(page, "overview")
        page.get_by_role("link", name="GraphQL").click()
        expect(page.locator(".graphiql-container")).to_be_visible()
        screenshot(page, "graphql")
