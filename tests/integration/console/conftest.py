"""The console in a real headless Chromium (Debian's, driven by Playwright).

One browser per test module (Playwright's sync API keeps an event loop running in the
thread while it is open, which the suite's async tests that come later could not run
beside; starting Chromium costs about a second), a fresh context (cookies, storage)
per test. When
no browser can be had the tests skip with one line, unless ``BAAS_TEST_BROWSER_REQUIRED``
is set (CI sets it): then a missing browser fails the run instead of hiding it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

_REQUIRED = "BAAS_TEST_BROWSER_REQUIRED"
# As the machine's own probe starts it: without the background-networking flags,
# Chromium tries to reach Google's hosts at every start, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get(_REQUIRED):
        pytest.fail(f"{reason}, and {_REQUIRED} is set", pytrace=False)
    pytest.skip(f"no browser for the console tests: {reason} (make test installs chromium)")


def chromium_or_skip() -> str:
    """Debian's chromium for Playwright to drive; without it (or without the playwright
    package) the test skips, or fails when ``BAAS_TEST_BROWSER_REQUIRED`` is set."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is not installed")
    executable = _chromium()
    if executable is None:
        _unavailable("chromium is not installed")
    return executable


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    executable = chromium_or_skip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile at 1280 px, failing on any request off this machine."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def only_local(route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", only_local)
    context.set_default_timeout(20_000)
    yield context
    context.close()
    assert not outside, f"the console asked the network for {outside}"
