"""Sealing under the secret key: what opens, what does not, and what never leaks."""

from __future__ import annotations

import pytest

from auth.errors import SecretKeyError
from auth.secret_keys import SecretKeys

OLD = SecretKeys([b"o" * 32])
NEW = SecretKeys([b"n" * 32])
ROTATING = SecretKeys([b"n" * 32, b"o" * 32])


def test_a_sealed_value_opens_in_its_own_context_only() -> None:
    sealed = OLD.seal(b"private key", "_baas_signing_keys/k1/sealed_private_jwk")
    assert b"private key" not in sealed.encode()
    assert OLD.open(sealed, "_baas_signing_keys/k1/sealed_private_jwk") == b"private key"
    with pytest.raises(SecretKeyError):  # copied to another row
        OLD.open(sealed, "_baas_signing_keys/k2/sealed_private_jwk")


def test_sealing_twice_gives_two_different_values() -> None:
    assert OLD.seal(b"same", "c") != OLD.seal(b"same", "c")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda text: text[:-2] + ("AA" if text[-2:] != "AA" else "BB"),
        lambda text: text.replace("v1:", "v2:"),
        lambda text: "v1:" + text.split(":")[1],
        lambda _text: 42,
    ],
    ids=["altered", "unknown version", "no ciphertext", "not text"],
)
def test_an_altered_or_malformed_value_is_refused(tamper: object) -> None:
    sealed = OLD.seal(b"secret", "c")
    with pytest.raises(SecretKeyError):
        OLD.open(tamper(sealed), "c")  # type: ignore[operator]


def test_another_key_does_not_open_it_and_says_which_key_sealed_it() -> None:
    sealed = OLD.seal(b"secret", "c")
    with pytest.raises(SecretKeyError, match=OLD.current_id):
        NEW.open(sealed, "c")


def test_during_a_rotation_both_open_and_the_new_key_seals() -> None:
    sealed_old = OLD.seal(b"secret", "c")
    assert ROTATING.open(sealed_old, "c") == b"secret"
    assert ROTATING.current_id == NEW.current_id
    assert ROTATING.sealed_with(ROTATING.seal(b"x", "c")) == NEW.current_id
    assert ROTATING.sealed_with(sealed_old) == OLD.current_id
    assert ROTATING.derive("p") == (*NEW.derive("p"), *OLD.derive("p"))


def test_derived_keys_differ_by_purpose_and_from_the_secret_key() -> None:
    first, second = OLD.derive("oauth state cookie")[0], OLD.derive("temporal caller")[0]
    assert len(first) == 32
    assert first != second
    assert b"o" * 32 not in (first, second)


def test_parse_reads_base64_lists_and_never_echoes_a_bad_key() -> None:
    one, two = SecretKeys.generate(), SecretKeys.generate()
    assert len(SecretKeys.parse(f" {one} , {two}\n").ids) == 2
    assert SecretKeys.parse(f"{one}\n{two}\n").ids == SecretKeys.parse(f"{one},{two}").ids
    standard = "b" * 43 + "="  # standard alphabet and padding are accepted too
    assert len(SecretKeys.parse(standard).ids) == 1
    for bad in ("short-but-secret", "not base64 at all!!"):
        with pytest.raises(ValueError, match=r"^key 1 ") as raised:
            SecretKeys.parse(bad)
        assert bad not in str(raised.value)
    with pytest.raises(ValueError, match="no key given"):
        SecretKeys.parse(" , ")


def test_the_repr_shows_key_ids_only() -> None:
    assert "ooo" not in repr(OLD)
    assert OLD.current_id in repr(OLD)
