"""Test doubles for the auth unit tests (imported by conftest and the test modules)."""

from __future__ import annotations

START = 1_800_000_000.0  # a fixed "now", in 2027


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
