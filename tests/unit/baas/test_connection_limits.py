"""The per-client connection cap, counted by transport."""

from __future__ import annotations

from baas.connection_limits import ClientConnections, ConnectionLimits


class _Transport:
    def __init__(self, address: str = "203.0.113.7") -> None:
        self.address = address
        self.closing = False

    def get_extra_info(self, name: str) -> object:
        return (self.address, 40000) if name == "peername" else None

    def is_closing(self) -> bool:
        return self.closing


def test_an_address_holds_at_most_the_cap_and_a_closed_connection_frees_its_slot() -> None:
    connections = ClientConnections(ConnectionLimits(max_per_client=2))
    first, second = _Transport(), _Transport()
    assert connections.admit(first)
    assert connections.admit(second)
    assert not connections.admit(_Transport())
    assert connections.admit(_Transport("203.0.113.8"))  # another address has its own cap
    connections.release(first)
    assert connections.admit(_Transport())


def test_a_connection_closed_by_another_protocol_frees_its_slot_too() -> None:
    # An upgrade to WebSocket hands the socket over: the HTTP protocol never sees it end.
    connections = ClientConnections(ConnectionLimits(max_per_client=1))
    upgraded = _Transport()
    assert connections.admit(upgraded)
    assert not connections.admit(_Transport())
    upgraded.closing = True
    assert connections.admit(_Transport())


def test_trusted_proxies_and_a_zero_cap_are_never_refused() -> None:
    proxied = ClientConnections(ConnectionLimits(max_per_client=1, exempt=("10.0.0.0/8",)))
    assert all(proxied.admit(_Transport("10.1.2.3")) for _ in range(5))
    assert proxied.admit(_Transport())
    assert not proxied.admit(_Transport())
    uncapped = ClientConnections(ConnectionLimits(max_per_client=0))
    assert all(uncapped.admit(_Transport()) for _ in range(5))
