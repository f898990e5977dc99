"""The HTTP edge of a real ``baas serve`` process, against hostile connections.

One process serves both ports (the API, and DynamoDB on its own) with a short head
deadline and a small per-client cap. Clients come from distinct loopback addresses
(127.0.0.x), so each test has its own share of the cap.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import free_port

BAAS = Path(sys.executable).parent / "baas"
HEADER_TIMEOUT = 1.0
CAP = 6
MB = 1024 * 1024
# Closing a connection is the server's to do within the deadline; this margin only turns
# a missing close into a failure under a loaded machine, it measures nothing.
MARGIN = 10.0


@dataclass
class Served:
    pid: int
    api: int
    dynamodb: int
    log: Path

    def memory_kib(self, field: str) -> int:
        """``VmRSS`` (resident now) or ``VmHWM`` (the peak since the last reset)."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
        assert match is not None
        return int(match.group(1))

    def reset_peak(self) -> None:
        # Large buffers are freed straight back to the system: only the peak shows them.
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")

    def client(self, source: str = "127.0.0.1") -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=source)
        return httpx.Client(
            base_url=f"http://127.0.0.1:{self.api}", transport=transport, timeout=60
        )

    def metrics(self) -> str:
        with self.client("127.0.0.9") as client:
            return client.get("/metrics").text


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("edge")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAAS_")}
    api, dynamodb = free_port(), free_port()
    env.update(
        BAAS_DATA_DIR=str(data),
        BAAS_PORT=str(api),
        BAAS_DYNAMODB_PORT=str(dynamodb),
        BAAS_TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",  # serve starts without Temporal
        BAAS_HTTP_HEADER_TIMEOUT=str(HEADER_TIMEOUT),
        BAAS_HTTP_MAX_CONNECTIONS_PER_CLIENT=str(CAP),
        BAAS_ARGON2_TIME_COST="1",
        BAAS_ARGON2_MEMORY_KIB="8192",
    )
    log = data / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([str(BAAS), "serve"], env=env, stdout=sink, stderr=sink)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{api}/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "baas serve did not start"
            time.sleep(0.1)
        yield Served(process.pid, api, dynamodb, log)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _chunks(total: int, size: int = MB) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"x" * min(size, total - sent)
        sent += size


def test_a_chunked_body_past_the_limit_is_refused_without_being_held(served: Served) -> None:
    with served.client() as client:
        # Warm every route up first (lazy imports, caches), so they do not count.
        client.post("/auth/signin", json={})
        client.post("/graphql", json={"query": "{ __typename }"})
        client.post("/dynamodb", content=b"{}")
        before = served.memory_kib("VmRSS")
        served.reset_peak()
        signin = client.post(
            "/auth/signin",
            content=_chunks(50 * MB),
            headers={"content-type": "application/json"},
        )
        graphql = client.post(
            "/graphql", content=_chunks(50 * MB), headers={"content-type": "application/json"}
        )
        dynamodb = client.post("/dynamodb", content=_chunks(50 * MB))
        grown_mib = (served.memory_kib("VmHWM") - before) / 1024

    assert signin.status_code == 413
    assert signin.json()["error"]["code"] == "payload_too_large"
    assert graphql.status_code == 413
    assert graphql.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert dynamodb.status_code == 413
    assert dynamodb.json()["__type"].endswith("#RequestEntityTooLarge")
    # Each route holds at most its limit (16 KiB, 256 KiB, 16 MiB), never the 50 MiB sent.
    assert grown_mib < 64, f"the server's peak grew by {grown_mib:.0f} MiB"


def _connect(port: int, source: str) -> socket.socket:
    sock = socket.socket()
    sock.bind((source, 0))
    sock.settimeout(MARGIN)
    sock.connect(("127.0.0.1", port))
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed ``sock`` (a read sees the end or a reset)."""
    sock.settimeout(0)  # non-blocking: only what has arrived
    try:
        while True:
            if sock.recv(65536) == b"":
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.settimeout(MARGIN)


def test_connections_that_never_finish_their_head_are_closed(served: Served) -> None:
    sockets = []
    for port in (served.api, served.dynamodb):
        for i in range(CAP - 1):  # under the cap: only the deadline may close them
            sock = _connect(port, f"127.0.0.{10 + (port == served.dynamodb)}")
            if i % 2 == 0:  # slowloris: a head that never ends
                sock.sendall(b"POST /auth/signin HTTP/1.1\r\nHost: x\r\n")
            sockets.append(sock)  # the others send nothing at all
    opened = time.monotonic()
    open_ = list(sockets)
    while open_ and time.monotonic() < opened + HEADER_TIMEOUT + MARGIN:
        for sock in list(open_):
            if _closed_by_server(sock):
                open_.remove(sock)
                continue
            try:
                sock.sendall(b"X-Slow: 1\r\n")  # one more header line, never the last
            except OSError:
                open_.remove(sock)
        time.sleep(0.2)
    for sock in sockets:
        sock.close()

    assert not open_, f"{len(open_)} of {len(sockets)} slow connections are still open"
    with served.client("127.0.0.10") as client:
        assert client.get("/").status_code == 200  # a prompt client is served as before


def _served_keep_alive(port: int, source: str) -> socket.socket:
    sock = _connect(port, source)
    _get(sock)
    return sock


def _get(sock: socket.socket) -> None:
    """One request on a kept-alive connection, its whole answer read."""
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(65536)
        assert chunk, "closed before answering"
        answer += chunk
    head, body = answer.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200"), head
    length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        body += sock.recv(65536)


def _refused(port: int, source: str) -> bool:
    sock = _connect(port, source)
    try:
        answer = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                return True
            if not chunk:
                return answer.startswith(b"HTTP/1.1 503") or answer == b""
            answer += chunk
    finally:
        sock.close()


def test_connections_past_the_per_client_cap_are_refused(served: Served) -> None:
    held = [_served_keep_alive(served.api, "127.0.0.20") for _ in range(CAP)]
    try:
        for sock in held:
            _get(sock)  # fresh requests: none is idle long enough to be closed meanwhile
        assert _refused(served.api, "127.0.0.20")
        assert _refused(served.dynamodb, "127.0.0.20")  # one cap per process, both ports
        _served_keep_alive(served.api, "127.0.0.21").close()  # another address is not capped
        held.pop().close()
        deadline = time.monotonic() + MARGIN
        while True:  # the closed connection's slot is released once the server sees it
            try:
                held.append(_served_keep_alive(served.api, "127.0.0.20"))
                break
            except (AssertionError, OSError):
                assert time.monotonic() < deadline, "the slot of a closed connection was kept"
                time.sleep(0.05)
    finally:
        for sock in held:
            sock.close()


PARTIAL_BODIES = [
    (b"/auth/signin", b"content-type: application/json\r\ncontent-length: 1000\r\n", b'{"em'),
    (
        b"/auth/signin",
        b"content-type: application/json\r\ntransfer-encoding: chunked\r\n",
        b'4\r\n{"em\r\n',
    ),
    (b"/graphql", b"content-type: application/json\r\ncontent-length: 1000\r\n", b'{"qu'),
    (
        b"/graphql",
        b"content-type: application/json\r\ntransfer-encoding: chunked\r\n",
        b'4\r\n{"qu\r\n',
    ),
    (b"/dynamodb", b"content-length: 1000\r\n", b"{"),
    (b"/dynamodb", b"transfer-encoding: chunked\r\n", b"1\r\n{\r\n"),
]


def test_a_client_gone_mid_body_is_no_server_error(served: Served) -> None:
    for port in (served.api, served.dynamodb):
        for path, headers, start in PARTIAL_BODIES:
            sock = _connect(port, "127.0.0.30")
            sock.sendall(b"POST " + path + b" HTTP/1.1\r\nhost: x\r\n" + headers + b"\r\n" + start)
            time.sleep(0.05)  # the server is reading the body now
            sock.close()
    deadline = time.monotonic() + MARGIN
    while True:  # each abandoned request on the API's port is counted once answered
        metrics = served.metrics()
        counted = sum(int(count) for count in re.findall(r'status="499"\} (\d+)', metrics))
        if counted >= 6 or time.monotonic() > deadline:
            break
        time.sleep(0.1)

    assert counted == 6, metrics
    assert 'status="500"' not in metrics
    log = served.log.read_text()
    assert "Traceback" not in log
    assert "ERROR" not in log


def test_an_encoded_line_break_in_a_path_does_not_forge_a_log_line(served: Served) -> None:
    forged = "2026-01-01 00:00:00,000 INFO    baas.auth [-] admin signed in"
    with served.client("127.0.0.40") as client:
        path = "/auth%0a" + forged.replace(" ", "%20")
        assert client.get(path).status_code == 404
        client.get("/auth/after-the-forgery")  # the log line that must follow it

    deadline = time.monotonic() + MARGIN
    while "/auth/after-the-forgery" not in served.log.read_text():
        assert time.monotonic() < deadline, "the request was never logged"
        time.sleep(0.05)
    lines = served.log.read_text().splitlines()
    assert not any(line.startswith(forged) for line in lines)
    assert any("GET /auth\\n2026-01-01" in line for line in lines)
