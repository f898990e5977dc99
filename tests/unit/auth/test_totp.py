"""TOTP (RFC 6238) and recovery codes: the arithmetic, the window, and the formats."""

from __future__ import annotations

import pytest

from auth.recovery_codes import RecoveryCodes, looks_like_recovery_code, matching_code
from auth.totp import matching_step, otpauth_uri, totp_code

RFC_SECRET = b"12345678901234567890"  # RFC 6238 Appendix B, SHA-1


@pytest.mark.parametrize(
    ("at", "eight_digits"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
    ],
)
def test_codes_are_those_of_rfc_6238(at: int, eight_digits: str) -> None:
    # The RFC lists 8-digit codes; a 6-digit code is their last six digits (RFC 4226 §5.3).
    assert totp_code(RFC_SECRET, at) == eight_digits[-6:]


def test_one_step_either_side_is_accepted_and_no_more() -> None:
    now = 1111111109.0
    for offset, expected in ((-60, None), (-30, 37037035), (0, 37037036)):
        code = totp_code(RFC_SECRET, now + offset)
        assert matching_step(RFC_SECRET, code, now) == expected
    assert matching_step(RFC_SECRET, totp_code(RFC_SECRET, now + 30), now) == 37037037
    assert matching_step(RFC_SECRET, totp_code(RFC_SECRET, now + 60), now) is None


@pytest.mark.parametrize("code", [None, 123456, "12345", "1234567", "12345a", "١٢٣٤٥٦", ""])
def test_malformed_codes_match_nothing(code: object) -> None:
    assert matching_step(RFC_SECRET, code, 59.0) is None


def test_the_uri_names_the_issuer_and_account() -> None:
    uri = otpauth_uri(RFC_SECRET, account="maya@example.com", issuer="Board")
    assert uri.startswith(
        "otpauth://totp/Board:maya@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    )
    assert "issuer=Board" in uri
    assert "period=30" in uri


def test_recovery_codes_are_distinct_and_match_however_typed() -> None:
    made = RecoveryCodes.generate()
    assert len(set(made.codes)) == 10
    code = made.codes[4]
    assert looks_like_recovery_code(code)
    assert not looks_like_recovery_code("123456")
    typed = code.upper().replace("-", " ")
    assert matching_code(made.salt, made.digests, typed) == ("c4", made.digests["c4"])
    assert matching_code(made.salt, made.digests, "aaaa-aaaa-aaaa-aaaa") is None
    assert code not in str(made.digests)
