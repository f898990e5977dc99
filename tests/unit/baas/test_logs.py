import json
import logging
from collections.abc import Iterator

import pytest

from baas.logs import configure_logging, redact, request_id_var
from baas.metrics import HttpMetrics
from baas.request_ids import request_answered


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("uvicorn.access").disabled = False


JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"token {JWT} was refused", JWT),
        ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        ("password=hunter2&email=a@b.c", "hunter2"),
        ('{"password": "hunter2"}', "hunter2"),
        ("refresh_token=R1x2y3", "R1x2y3"),
        ("client_secret: s3cr3t", "s3cr3t"),
    ],
)
def test_redact_masks_credentials(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert "[REDACTED]" in cleaned


def test_redact_leaves_ordinary_text() -> None:
    assert redact("created todo 42 on board b1") == "created todo 42 on board b1"


def test_json_lines_carry_request_id_and_no_secret(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json_lines=True, level="INFO")
    token = request_id_var.set("req-12345678")
    try:
        logging.getLogger("baas.test").info("sign-in with password=%s", "hunter2")
    finally:
        request_id_var.reset(token)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    entry = json.loads(line)
    assert entry["request_id"] == "req-12345678"
    assert entry["level"] == "INFO"
    assert "hunter2" not in line
    assert entry["message"] == "sign-in with password=[REDACTED]"


def test_readable_lines_in_dev(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json_lines=False, level="INFO")
    logging.getLogger("baas.test").warning("hello %s", "world")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "WARNING" in line
    assert "baas.test [-] hello world" in line


def test_a_line_break_in_a_logged_value_cannot_forge_a_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(json_lines=False, level="INFO")
    forged = "2026-01-01 00:00:00,000 INFO    baas.auth [-] admin signed in"
    request_answered(HttpMetrics(), "GET", f"/x\n{forged}\r\u2028\x1b[2J", 404, 0.001)
    logging.getLogger("baas.test").info("%r and %d", {"k": "a\nb"}, 7)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert not any(line.startswith(forged) for line in lines)
    assert "GET /x\\n2026-01-01" in lines[0]
    assert "\\r\\u2028\\x1b[2J 404" in lines[0]
    assert "{'k': 'a\\nb'} and 7" in lines[1]


def test_a_multi_line_message_written_by_the_code_itself_stays_as_written(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(json_lines=False, level="INFO")
    logging.getLogger("baas.test").info("banner\n  line two %s", "ok")
    assert "banner\n  line two ok" in capsys.readouterr().err
