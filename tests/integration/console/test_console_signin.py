"""Signing in to the console in production mode (BAAS_CONSOLE=true), in a real browser:
no default account (the page says how to make the first admin), admins only, the
refresh token in an HttpOnly cookie that survives a reload, GraphiQL from baas's own
files with no request leaving the machine, knowing the app's schema although /graphql
refuses introspection in prod."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from baas.graphql.app_schema import export_schema
from examples.board import app as board_app
from tests.integration.auth.auth_server import AuthServer, auth_server
from tests.integration.console.console_pages import create_admin, sign_in, signed_in
from tests.support import TEST_SECRET_KEY, free_port

ADMIN = "lena@example.com"
OTHER = "omar@example.com"


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AuthServer, dict[str, str]]]:
    data_dir = tmp_path_factory.mktemp("console-prod")
    port = free_port()
    env = {"BAAS_ENV": "prod", "BAAS_SECRET_KEY": TEST_SECRET_KEY}
    with auth_server(
        data_dir,
        port,
        app=board_app,
        BAAS_CONSOLE="true",
        BAAS_PUBLIC_URL=f"http://127.0.0.1:{port}",
        **env,
    ) as server:
        yield server, env


def test_first_admin_signs_in_and_a_non_admin_is_refused(
    prod: tuple[AuthServer, dict[str, str]], context: BrowserContext
) -> None:
    server, env = prod
    page = context.new_page()
    page.goto(f"{server.base}/console")
    # Nobody can sign in yet: the page says how to create the first admin.
    expect(page.locator("#no-admin")).to_contain_text("baas users create-admin")

    create_admin(server.data_dir, ADMIN, **env)
    create_admin(server.data_dir, OTHER, **env)
    admin_token = str(server.signin(ADMIN)["access_token"])
    other = server.signin(OTHER)
    demoted = server.client.put(
        f"/auth/admin/users/{other['user']['id']}/groups",  # type: ignore[index]
        json={"groups": ["staff"]},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert demoted.status_code == 200

    sign_in(page, server.base, OTHER)
    expect(page.get_by_role("alert")).to_contain_text("not in the admin group")
    expect(page.get_by_role("navigation", name="Pages")).to_be_hidden()
    # The API behind the console refuses them too, whatever a page does.
    staff_token = str(server.signin(OTHER)["access_token"])
    for path in (
        "/admin/overview",
        "/admin/tables",
        "/admin/access-keys",
        "/admin/graphql-schema",
        "/auth/admin/users",
    ):
        refused = server.get(path, token=staff_token)
        assert refused.status_code == 403, path
        assert refused.json()["error"]["request_id"]

    page.reload()
    sign_in(page, server.base, ADMIN)
    signed_in(page, ADMIN)
    expect(page.locator("#health")).to_contain_text("storage")
    cookies = {cookie["name"]: cookie for cookie in context.cookies()}
    assert cookies["baas_refresh"]["httpOnly"] is True
    assert cookies["baas_refresh"]["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # out of reach of scripts

    # A reload keeps the session (a new access token from the cookie), with the
    # console's own security headers.
    response = page.reload()
    assert response is not None
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    signed_in(page, ADMIN)

    # GraphiQL renders from baas's own files (the context fails on any outside request)
    # and knows the schema although /graphql refuses introspection here.
    page.get_by_role("link", name="GraphQL").click()
    graphiql_knows_the_schema(page)
    # The editor answers keys only once GraphiQL has set it up: its autocompletion
    # (from the schema) is the sign it has, so Ctrl+Enter cannot land before.
    editor = page.locator(".graphiql-query-editor .CodeMirror")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n{ listBo")
    expect(page.locator(".CodeMirror-hints")).to_contain_text("listBoards")
    page.keyboard.press("Escape")
    expect(page.locator(".CodeMirror-hints")).to_be_hidden()
    page.keyboard.press("Control+a")
    page.keyboard.type("{ __typename")
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".graphiql-response")).to_contain_text('"__typename": "Query"')

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Email")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Email")).to_be_visible()  # the session ended on the server


def graphiql_knows_the_schema(page: Page) -> None:
    """GraphiQL's Docs panel lists the board app's model fields and types."""
    expect(page.locator(".graphiql-container")).to_be_visible()
    page.get_by_role("button", name="Show Documentation Explorer").click()
    docs = page.locator(".graphiql-doc-explorer")
    docs.get_by_text("Query", exact=True).click()
    expect(docs.get_by_text("listBoards", exact=True)).to_be_visible()
    docs.get_by_text("getBoard", exact=True).click()
    expect(docs.locator(".graphiql-doc-explorer-title")).to_have_text("getBoard")
    expect(docs).to_contain_text("One Board by its key, or null.")


def test_the_schema_is_an_admins_and_introspection_stays_off(
    prod: tuple[AuthServer, dict[str, str]],
) -> None:
    """/admin/graphql-schema answers admins the schema `baas schema export` writes;
    /graphql still refuses introspection to everyone in prod, admins included."""
    server, env = prod
    create_admin(server.data_dir, "nils@example.com", **env)
    create_admin(server.data_dir, "ines@example.com", **env)
    admin = str(server.signin("nils@example.com")["access_token"])
    staff = server.signin("ines@example.com")
    demoted = server.client.put(
        f"/auth/admin/users/{staff['user']['id']}/groups",  # type: ignore[index]
        json={"groups": ["staff"]},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert demoted.status_code == 200
    staff_token = str(server.signin("ines@example.com")["access_token"])

    answer = server.get("/admin/graphql-schema", token=admin)
    assert answer.status_code == 200
    assert answer.json() == json.loads(export_schema(board_app, "json"))
    types = {kind["name"] for kind in answer.json()["data"]["__schema"]["types"]}
    assert {"Board", "Todo", "Query", "Mutation"} <= types

    assert server.get("/admin/graphql-schema").status_code == 401
    refused = server.get("/admin/graphql-schema", token=staff_token)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"]

    introspection = {"query": "{ __schema { queryType { name } } }"}
    for token in (None, staff_token, admin):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = server.client.post("/graphql", json=introspection, headers=headers)
        body = response.json()
        assert not body.get("data"), token
        assert {e["extensions"]["code"] for e in body["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}
        assert all("introspection" in e["message"].lower() for e in body["errors"])


def test_cross_site_posts_cannot_act_with_the_cookie(
    prod: tuple[AuthServer, dict[str, str]],
) -> None:
    """A page on another site can post a form (no preflight) but never JSON, and the
    admin routes need a bearer token that the cookie alone never gives."""
    server, _env = prod
    form = httpx.post(
        f"{server.base}/auth/token",
        data={"grant_type": "refresh_token"},
        cookies={"baas_refresh": "whatever"},
    )
    assert form.status_code == 415
    plain = httpx.post(
        f"{server.base}/admin/access-keys",
        content="{}",
        headers={"Content-Type": "text/plain"},
        cookies={"baas_refresh": "whatever"},
    )
    assert plain.status_code == 401


def test_the_console_is_off_in_production_unless_asked_for(tmp_path: Path) -> None:
    port = free_port()
    with auth_server(
        tmp_path,
        port,
        BAAS_ENV="prod",
        BAAS_SECRET_KEY=TEST_SECRET_KEY,
        BAAS_PUBLIC_URL=f"http://127.0.0.1:{port}",
    ) as server:
        for path in ("/console", "/console/static/app.js", "/admin/overview", "/console/setup"):
            assert server.client.get(path).status_code == 404, path
        assert server.client.post("/admin/dynamodb", json={}).status_code == 404


def test_usable_at_800_px_by_keyboard_and_in_the_dark(
    prod: tuple[AuthServer, dict[str, str]], context: BrowserContext, tmp_path: Path
) -> None:
    server, env = prod
    if server.get("/console/setup").json()["admin_exists"] is False:
        create_admin(server.data_dir, ADMIN, **env)
    page = context.new_page()
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto(f"{server.base}/console")
    # Keyboard only: the page starts in the email field, Tab goes on, Enter signs in.
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type(ADMIN)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("correct horse battery staple")
    page.keyboard.press("Enter")
    signed_in(page, ADMIN)
    expect(page.locator("#health")).to_be_visible()
    # Nothing wider than the window: no sideways scrolling of the page at 800 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    keys = page.get_by_role("link", name="Keys")
    keys.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Keys", exact=True)).to_be_visible()

    background = "getComputedStyle(document.body).backgroundColor"
    light = page.evaluate(background)
    page.get_by_role("button", name="Switch between light and dark").click()
    dark = page.evaluate(background)
    assert light != dark
    page.reload()  # the choice is remembered
    signed_in(page, ADMIN)
    assert page.evaluate(background) == dark
    page.screenshot(path=str(tmp_path / "dark-800.png"))
