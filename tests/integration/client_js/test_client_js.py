"""The TypeScript client (``clients/js``) against a running ``baas dev`` of the example
app: from Node (``node_flow.mjs``) and in Debian's headless Chromium (``page/``).

One ``baas dev`` serves the module (its start, with Temporal, is the slow part). The
package is built first (``npm run build``: tsc, and esbuild's browser bundle), and its
typed usage is type-checked against the example app's generated types.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.integration.auth.auth_server import FAST_ARGON2, PASSWORD, AuthServer, create_admin
from tests.integration.auth.mfa_support import claims_of, enrol_totp_by_email
from tests.integration.console.conftest import CHROMIUM_ARGS, chromium_or_skip
from tests.integration.static_site import static_site
from tests.integration.test_baas_dev import BAAS, ROOT, _env, _wait_healthy, baas_dev
from tests.support import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

HERE = Path(__file__).parent
PACKAGE = ROOT / "clients" / "js"
ADMIN = "lena@example.com"
MFA_STEP_SECONDS = 240


def _npm(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    npm = shutil.which("npm")
    assert npm, "npm is not installed (make setup needs Node 20)"
    return subprocess.run(
        [npm, *args], cwd=PACKAGE, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def built() -> Path:
    """The package built from its sources as they are now."""
    assert (PACKAGE / "node_modules").exists(), "run make setup (npm ci in clients/js)"
    result = _npm("run", "build")
    assert result.returncode == 0, result.stdout + result.stderr
    return PACKAGE / "dist"


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``baas dev`` of the example app at http://localhost:<port>, which lets a page at
    http://localhost:<page port> call it (CORS, and the WebSocket's origin check), with
    a real OpenID provider (npm oidc-provider) as the social login ``test`` when the
    tests' npm packages are installed."""
    tmp = tmp_path_factory.mktemp("client-js")
    data = tmp / "data"
    create_admin(data, ADMIN)
    api_port, page_port, oidc_port = free_port(), free_port(), free_port()
    # The page social sign-ins come back to (no query allowed: it finds the API's URL
    # where the page kept it, see page/index.html).
    page = f"http://localhost:{page_port}/index.html"
    settings = {
        **FAST_ARGON2,
        "BAAS_PORT": str(api_port),
        "BAAS_PUBLIC_URL": f"http://localhost:{api_port}",
        "BAAS_CORS_ORIGINS": f"http://localhost:{page_port}",
        "BAAS_AUTH_OAUTH_REDIRECT": page,
        # Not the default (300): the MFA step of a social sign-in carries the server's.
        "BAAS_AUTH_MFA_CHALLENGE_TTL": str(MFA_STEP_SECONDS),
    }
    with contextlib.ExitStack() as stack:
        provider = stack.enter_context(_provider(oidc_port, api_port))
        if provider:
            settings["BAAS_OIDC_PROVIDERS"] = json.dumps([provider])
        log_path = tmp / "baas-dev.log"
        log = stack.enter_context(log_path.open("w"))
        process = stack.enter_context(baas_dev(_env(tmp, **settings), log))
        try:
            _wait_healthy(f"http://127.0.0.1:{api_port}/healthz", process, within=120)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{log_path.read_text()}") from None
        yield {"port": api_port, "page_port": page_port, "data": data, "social": provider}
        process.send_signal(signal.SIGINT)  # a clean stop: its Temporal and workers too
        process.wait(timeout=60)


@contextlib.contextmanager
def _provider(port: int, api_port: int) -> Iterator[dict[str, str] | None]:
    """The tests' OpenID provider (tests/oidc/provider.mjs), or None without its package."""
    if not (ROOT / "tests" / "node_modules" / "oidc-provider").is_dir():
        yield None
        return
    callback = f"http://localhost:{api_port}/auth/oauth/test/callback"
    process = subprocess.Popen(
        ["node", str(ROOT / "tests" / "oidc" / "provider.mjs"), str(port), callback],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("ready"), "the OpenID provider did not start"
        yield {
            "name": "test",
            "discovery_url": f"http://127.0.0.1:{port}/.well-known/openid-configuration",
            "client_id": "baas-test",
            "client_secret": "baas-test-secret",
        }
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_the_client_unit_tests(built: Path) -> None:
    """``npm test``: the token keeping with a fake fetch and clock (clients/js/tests/unit)."""
    result = _npm("test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout


def test_codegen_types_a_typed_usage_of_the_example_app(tmp_path: Path) -> None:
    """``baas schema export --format json`` -> ``npm run codegen`` -> ``tsc --noEmit`` over
    ``tests/typed/usage.ts``, whose ``@ts-expect-error`` lines fail the check unless the
    generated types refuse them."""
    schema = tmp_path / "schema.json"
    export = [str(BAAS), "schema", "export", "--app", "examples.board:app", "--format", "json"]
    exported = subprocess.run(
        [*export, "--output", str(schema)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert exported.returncode == 0, exported.stderr
    generated = PACKAGE / "tests" / "typed" / "__generated__" / "baas-types.ts"
    generated.unlink(missing_ok=True)
    env = {
        **os.environ,
        "BAAS_SCHEMA": str(schema),
        "BAAS_DOCUMENTS": "tests/typed/*.graphql",
        "BAAS_TYPES": str(generated.relative_to(PACKAGE)),
    }
    codegen = _npm("run", "codegen", env=env)
    assert codegen.returncode == 0, codegen.stdout + codegen.stderr
    assert "export type BoardWithTodosQuery = " in generated.read_text()
    checked = _npm("run", "typecheck")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_client_from_node(built: Path, dev: dict[str, Any]) -> None:
    node = shutil.which("node")
    assert node, "node is not installed"
    result = subprocess.run(
        [
            node,
            "--experimental-websocket",  # Node 20's WebSocket (global from Node 22)
            str(HERE / "node_flow.mjs"),
            f"http://127.0.0.1:{dev['port']}",
            str(dev["data"] / "outbox"),
            ADMIN,
            PASSWORD,
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert 4403 in summary["reconnected_after_4403"]
    assert "awaiting_approval" in summary["call_completed"]
    assert {
        "signed_in",
        "query",
        "subscription_event",
        "refreshed",
        "mfa_challenge",
        "anonymous",
        "signed_out",
    } <= summary.keys()


@pytest.fixture
def site(built: Path, dev: dict[str, Any]) -> Iterator[tuple[BrowserContext, str]]:
    """A fresh browser profile, and the page's URL (pointing it at the API)."""
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    pages = static_site(dev["page_port"], HERE / "page", {"/client/": built})
    with pages as base, sync_playwright() as playwright:
        browser: Browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context()
            context.set_default_timeout(20_000)
            yield context, f"{base}/index.html?api=http://localhost:{dev['port']}"
        finally:
            browser.close()


def _tab(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("window.ready === true")
    return page


def step(page: Page, name: str, *args: object) -> Any:
    return page.evaluate(f"(args) => window.steps.{name}(...args)", list(args))


def _signed_up(dev: dict[str, Any], email: str) -> None:
    """Sign up and verify over plain HTTP (the dev outbox holds the code)."""
    with httpx.Client(base_url=f"http://127.0.0.1:{dev['port']}", timeout=10) as client:
        AuthServer(str(client.base_url), dev["data"], client).signup_verified(email)


def _refresh_requests(context: BrowserContext) -> list[str]:
    seen: list[str] = []
    context.on(
        "request",
        lambda request: (
            seen.append(str(request.post_data))
            if request.method == "POST" and request.url.endswith("/auth/token")
            else None
        ),
    )
    return seen


def test_the_client_in_chromium_with_the_cookie(
    site: tuple[BrowserContext, str], dev: dict[str, Any]
) -> None:
    context, url = site
    _signed_up(dev, "nina@example.com")
    page = _tab(context, url)
    step(page, "open", "cookie")
    signed_in = step(page, "signIn", "nina@example.com", PASSWORD)
    assert signed_in["status"] == "signed-in"
    # The refresh token is in the HttpOnly cookie, never in the page's storage.
    [cookie] = [c for c in context.cookies() if c["name"] == "baas_refresh"]
    assert cookie["httpOnly"]
    assert cookie["path"] == "/auth"
    stored = page.evaluate("Object.values(localStorage).join(' ')")
    assert cookie["value"] not in stored
    assert step(page, "token") not in stored  # the access token stays in memory

    # Query, then a subscription that receives the event of a mutation.
    created = step(page, "graphql", 'mutation { createBoard(input: {name: "Tabs"}) { id owner } }')
    board = created["data"]["createBoard"]
    assert board["owner"] == signed_in["user"]["id"]
    step(page, "subscribe", "subscription { onBoardUpdated { id name } }")
    _updated_until_event(page, board["id"])
    event = step(page, "events")[0]
    assert event["onBoardUpdated"]["id"] == board["id"]

    # Refresh through the cookie: a new access token, a new cookie.
    before = step(page, "token")
    refreshed = step(page, "refresh")
    assert refreshed["refreshToken"] is None
    assert refreshed["accessToken"] != before
    [rotated] = [c for c in context.cookies() if c["name"] == "baas_refresh"]
    assert rotated["value"] != cookie["value"]

    # Sign-out: the cookie's session ends; its refresh token is refused afterwards.
    assert step(page, "signOut") == {"signedIn": False, "token": None}
    assert not [c for c in context.cookies() if c["name"] == "baas_refresh"]
    replay = httpx.post(
        f"http://127.0.0.1:{dev['port']}/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": rotated["value"]},
    )
    assert (replay.status_code, replay.json()["error"]["code"]) == (400, "invalid_grant")
    assert step(page, "refreshRefused") == "invalid_request"  # no cookie left to refresh with


def _updated_until_event(page: Page, board_id: str) -> None:
    """Rename the board until the subscription reports it (a subscribe is not acknowledged
    by the protocol, so the first writes may come before it is live)."""
    rename = (
        "mutation($id: String!, $n: String!) { updateBoard(input: {id: $id, name: $n}) { id } }"
    )
    for n in range(100):
        assert "data" in step(page, "graphql", rename, {"id": board_id, "n": f"n{n}"})
        if page.evaluate("window.steps.events().length > 0"):
            return
        page.wait_for_timeout(200)
    raise AssertionError("no event reached the subscription")


@pytest.mark.parametrize("mode", ["cookie", "storage"])
def test_two_tabs_refreshing_at_once_send_one_refresh(
    site: tuple[BrowserContext, str], dev: dict[str, Any], mode: str
) -> None:
    context, url = site
    email = f"tabs-{mode}@example.com"
    _signed_up(dev, email)
    first = _tab(context, url)
    step(first, "open", mode)
    assert step(first, "signIn", email, PASSWORD)["status"] == "signed-in"
    second = _tab(context, url)
    assert step(second, "open", mode) == {"signedIn": True}  # it sees the session

    # Both tabs need a refresh while the lock is taken (as if a third were refreshing):
    # when it is let go, one refreshes and the other takes the tokens it got.
    requests = _refresh_requests(context)
    assert step(first, "hold") is True
    step(first, "startRefresh")
    step(second, "startRefresh")
    first.wait_for_function("window.steps.waiting().then((n) => n === 2)", polling=50)
    first.evaluate("window.release()")
    one, two = step(first, "finishRefresh"), step(second, "finishRefresh")

    assert len(requests) == 1, (requests, one, two)
    assert one == two
    assert not one.startswith("error"), one
    viewer = step(second, "graphql", "query { viewer { authenticated } }")
    assert viewer == {"data": {"viewer": {"authenticated": True}}}


def test_social_sign_in_in_chromium(site: tuple[BrowserContext, str], dev: dict[str, Any]) -> None:
    """The provider's round trip in the browser: the app's button, the provider's login
    and consent pages, baas's callback, back on the app's page with the session in the
    cookie, which finishSocialSignIn turns into a signed-in client."""
    if dev["social"] is None:
        pytest.skip("npm package oidc-provider is missing: run `npm ci --prefix tests`")
    context, url = site
    page = _tab(context, url)
    finished = _social_sign_in(page, url, "sam")
    assert finished["status"] == "signed-in"
    assert finished["user"]["email"] == "sam@example.com"
    assert "#" not in page.url  # nothing left in the address bar
    assert _viewer(page) == finished["user"]["id"]
    # A page reached some other way has no social session to finish.
    step(page, "signOut")
    assert step(page, "finishSocial") is None


def _social_sign_in(page: Page, url: str, login: str) -> Any:
    """Through the provider as ``login`` in a browser profile it does not know yet: the
    app's button, the provider's login and consent pages, baas's callback, back on the
    app's page (its fragment holding the MFA step, if there is one); what the client's
    finishSocialSignIn makes of it there."""
    step(page, "open", "cookie")
    page.evaluate("window.steps.social('test')")
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any")
    page.click("button[type=submit]")
    page.wait_for_selector("button[type=submit]")  # the consent page
    page.click("button[type=submit]")
    back = url.split("?")[0]
    page.wait_for_url(lambda address: address.split("#")[0] == back)
    page.wait_for_function("window.ready === true")
    step(page, "open", "cookie")
    return step(page, "finishSocial")


def _viewer(page: Page) -> str | None:
    """The user id GraphQL sees for the page's client (None: anonymous)."""
    answer = step(page, "graphql", "query { viewer { userId } }")
    assert "data" in answer, answer
    user_id: str | None = answer["data"]["viewer"]["userId"]
    return user_id


@pytest.mark.parametrize("factor", ["totp", "recovery_code"])
def test_social_sign_in_with_a_second_factor_in_chromium(
    site: tuple[BrowserContext, str], dev: dict[str, Any], factor: str
) -> None:
    """An account with an authenticator signs in through the provider: the redirect
    brings the MFA step (no session yet), a wrong code is refused with
    ``invalid_mfa_code`` and leaves no session, and the app's code (or a recovery code)
    completes it through the client: a GraphQL query as that user, a session of two
    factors (``aal2``)."""
    if dev["social"] is None:
        pytest.skip("npm package oidc-provider is missing: run `npm ci --prefix tests`")
    context, url = site
    page = _tab(context, url)
    login = f"tess-{factor}".replace("_", "-")
    first = _social_sign_in(page, url, login)
    assert first["status"] == "signed-in"
    user = first["user"]
    with httpx.Client(base_url=f"http://127.0.0.1:{dev['port']}", timeout=10) as client:
        server = AuthServer(str(client.base_url), dev["data"], client)
        app, recovery = enrol_totp_by_email(server, step(page, "token"), user["email"])
    step(page, "signOut")
    context.clear_cookies()  # the provider's session too: its login page again

    challenge = _social_sign_in(page, url, login)
    assert challenge == {
        "status": "mfa-required",
        "mfaToken": challenge["mfaToken"],
        "factors": ["totp", "recovery_code"],
        "enrol": False,
        "expiresIn": MFA_STEP_SECONDS,
    }
    assert "#" not in page.url  # the MFA token is not left in the address bar
    assert step(page, "signedIn") is False
    assert _viewer(page) is None

    wrong = app.wrong_code() if factor == "totp" else "aaaa-aaaa-aaaa-aaaa"
    refused = step(page, "verifyMfa", challenge["mfaToken"], wrong)
    assert refused == {"error": "invalid_mfa_code", "status": 400}
    assert step(page, "signedIn") is False
    assert not [c for c in context.cookies() if c["name"] == "baas_refresh"]
    assert _viewer(page) is None

    code = app.code() if factor == "totp" else recovery[0]
    completed = step(page, "verifyMfa", challenge["mfaToken"], code)
    assert completed == {"status": "signed-in", "user": completed["user"]}
    assert completed["user"]["id"] == user["id"]
    assert _viewer(page) == user["id"]
    access = step(page, "token")
    claims = claims_of(access)
    assert (claims["amr"], claims["aal"]) == (["fed", "otp", "mfa"], "aal2")
    # The wrong code started no session: the user has this one alone (the first ended).
    sessions = httpx.get(
        f"http://127.0.0.1:{dev['port']}/auth/sessions",
        headers={"Authorization": f"Bearer {access}"},
    )
    assert len(sessions.json()["sessions"]) == 1, sessions.text
    # The MFA token completed its sign-in: it completes no other.
    again = step(page, "verifyMfa", challenge["mfaToken"], recovery[-1])
    assert again == {"error": "invalid_mfa_token", "status": 400}
