"""Test doubles for the auth unit tests (imported by conftest and the test modules)."""

from __future__ import annotations

import pytest

from auth import one_time_codes

START = 1_800_000_000.0  # a fixed "now", in 2027


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CodeComparisons:
    """Counts emailed-code comparisons once started (each one hashes the presented code)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch
        self.count = 0

    def start(self) -> None:
        digest = one_time_codes._digest

        def counting(*args: str) -> str:
            self.count += 1
            return digest(*args)

        self._monkeypatch.setattr(one_time_codes, "_digest", counting)
