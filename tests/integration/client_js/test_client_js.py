"""The TypeScript client (``clients/js``) against a running ``baas dev`` of the example
app: from Node (``node_flow.mjs``) and in Debian's headless Chromium (``page/``).

One ``baas dev`` serves the module (its start, with Temporal, is the slow part). The
package is built first (``npm run build``: tsc, and esbuild's browser bundle), and its
typed usage is type-checked against the example app's generated types.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.integration.auth.auth_server import FAST_ARGON2, PASSWORD, create_admin
from tests.integration.console.conftest import CHROMIUM_ARGS, _chromium, _unavailable
from tests.integration.test_baas_dev import BAAS, ROOT, _env, _wait_healthy
from tests.support import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

HERE = Path(__file__).parent
PACKAGE = ROOT / "clients" / "js"
ADMIN = "lena@example.com"


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
    http://localhost:<page port> call it (CORS, and the WebSocket's origin check)."""
    tmp = tmp_path_factory.mktemp("client-js")
    data = tmp / "data"
    create_admin(data, ADMIN)
    api_port, page_port = free_port(), free_port()
    env = _env(
        tmp,
        **FAST_ARGON2,
        BAAS_PORT=str(api_port),
        BAAS_PUBLIC_URL=f"http://localhost:{api_port}",
        BAAS_CORS_ORIGINS=f"http://localhost:{page_port}",
    )
    process = subprocess.Popen(
        [str(BAAS), "dev"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{api_port}/healthz", process, within=120)
        # Groups are read at sign-in: the admin of the example's approval rules.
        yield {"port": api_port, "page_port": page_port, "data": data}
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate(timeout=30)


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


@contextlib.contextmanager
def page_server(port: int, dist: Path) -> Iterator[str]:
    """The app's page at http://localhost:<port>/index.html, the bundle under /client/."""

    class Site(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            if path.startswith("/client/"):
                return str(dist / path.removeprefix("/client/").split("?")[0])
            return super().translate_path(path)

        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Site, directory=str(HERE / "page"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def site(built: Path, dev: dict[str, Any]) -> Iterator[tuple[BrowserContext, str]]:
    """A fresh browser profile, and the page's URL (pointing it at the API)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    executable = _chromium()
    if executable is None:
        _unavailable("chromium is not installed")
    with page_server(dev["page_port"], built) as base, sync_playwright() as playwright:
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
    from tests.integration.auth.auth_server import AuthServer

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
