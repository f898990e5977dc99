"""Signed caller headers: what verifies, for what, and with which keys."""

from __future__ import annotations

import os

import pytest
import temporalio.converter

from auth.secret_keys import SecretKeys
from functions.identity import Caller
from workflows.caller_signatures import (
    CallerSigner,
    InvalidCallerError,
    activity_scope,
    arguments_digest,
    workflow_scope,
)

OLD_KEY, NEW_KEY = os.urandom(32), os.urandom(32)
OLD, NEW = SecretKeys([OLD_KEY]), SecretKeys([NEW_KEY])
ALICE = Caller.user("alice", ["editors"])
SCOPE = workflow_scope("test.WhoAmI", "call-1")


def test_a_signed_caller_verifies_for_its_own_scope_only() -> None:
    signer = CallerSigner.from_secret_keys(OLD)
    claim = signer.read(signer.header(ALICE, SCOPE))
    assert claim is not None
    assert signer.verify(claim, SCOPE) == ALICE
    for other in (workflow_scope("test.WhoAmI", "call-2"), activity_scope("call-1", "whoami")):
        with pytest.raises(InvalidCallerError, match="signed for another"):
            signer.verify(claim, other)


def test_another_key_or_an_edited_caller_does_not_verify() -> None:
    signer = CallerSigner.from_secret_keys(OLD)
    claim = signer.read(signer.header(ALICE, SCOPE))
    assert claim is not None
    with pytest.raises(InvalidCallerError, match="bad signature"):
        CallerSigner.from_secret_keys(NEW).verify(claim, SCOPE)
    admin = type(claim)(Caller.user("alice", ["admin"]), claim.scope, claim.signature)
    with pytest.raises(InvalidCallerError, match="bad signature"):
        signer.verify(admin, SCOPE)


def test_unsigned_and_malformed_headers_are_refused_and_none_is_anonymous() -> None:
    signer = CallerSigner.from_secret_keys(OLD)
    converter = temporalio.converter.default().payload_converter
    unsigned = {"baas-caller": converter.to_payloads([{"kind": "system", "groups": []}])[0]}
    claim = signer.read(unsigned)
    assert claim is not None
    assert claim.caller == Caller.system()
    with pytest.raises(InvalidCallerError, match="unsigned"):
        signer.verify(claim, SCOPE)
    garbage = {"baas-caller": converter.to_payloads([{"caller": "x", "scope": 1}])[0]}
    with pytest.raises(InvalidCallerError, match="malformed"):
        signer.read(garbage)
    assert signer.read({}) is None


def test_during_a_rotation_both_keys_verify_and_the_new_one_signs() -> None:
    old_signer = CallerSigner.from_secret_keys(OLD)
    rotating = CallerSigner.from_secret_keys(SecretKeys([NEW_KEY, OLD_KEY]))
    old_claim = old_signer.read(old_signer.header(ALICE, SCOPE))
    new_claim = rotating.read(rotating.header(ALICE, SCOPE))
    assert old_claim is not None
    assert new_claim is not None
    assert rotating.verify(old_claim, SCOPE) == ALICE
    assert CallerSigner.from_secret_keys(NEW).verify(new_claim, SCOPE) == ALICE
    assert rotating.key_id == CallerSigner.from_secret_keys(NEW).key_id != old_signer.key_id
    assert "alice" not in repr(rotating)


def test_the_arguments_digest_compares_json_by_value() -> None:
    converter = temporalio.converter.default().payload_converter
    assert arguments_digest(converter, [{"a": 1, "b": [1, 2]}]) == arguments_digest(
        converter, [{"b": [1, 2], "a": 1}]
    )
    assert arguments_digest(converter, [{"a": 1}]) != arguments_digest(converter, [{"a": 2}])
    assert arguments_digest(converter, ["x", "y"]) != arguments_digest(converter, ["xy"])
