"""free_port: a port a server can bind next, out of the way of outgoing connections."""

from __future__ import annotations

from pathlib import Path

import pytest

from baas import ports


def test_a_free_port_is_below_the_ephemeral_range_and_bindable() -> None:
    low = ports._ephemeral_low()
    if low is None:
        pytest.skip("this system does not say its ephemeral port range (no /proc/sys/net)")
    chosen = {ports.free_port() for _ in range(20)}
    assert all(ports._LOWEST <= port < low for port in chosen)
    assert all(ports.port_is_free("127.0.0.1", port) for port in chosen)
    assert len(chosen) > 1  # random, so two processes rarely pick the same


def test_the_ephemeral_range_is_read_or_unknown(tmp_path: Path) -> None:
    source = tmp_path / "range"
    source.write_text("32768\t60999\n")
    assert ports._ephemeral_low(source) == 32768
    source.write_text("garbage")
    assert ports._ephemeral_low(source) is None
    assert ports._ephemeral_low(tmp_path / "missing") is None


def test_without_a_known_range_the_system_chooses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ports, "_ephemeral_low", lambda: None)
    port = ports.free_port()
    assert 0 < port < 65536
    assert ports.port_is_free("127.0.0.1", port)
