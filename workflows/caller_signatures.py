"""Signed caller headers: who a workflow, signal or activity acts for, proven by baas.

Temporal is no trust boundary: whoever reaches its frontend can start and signal
workflows or poll a task queue, and read any header from a history. So the
``baas-caller`` header is signed (HMAC-SHA256) with a key every baas process derives
from ``BAAS_SECRET_KEY`` (:meth:`CallerSigner.from_secret_keys`), and the signature
covers what the header was made *for*, its *scope*:

=============================================  ===========================================
scope                                          made by, checked against
=============================================  ===========================================
``workflow:<type>:<workflow id>``              a client's start, a child workflow,
                                               continue-as-new — the run's type and id
``schedule:<type>:<schedule id>:<args>``       a Temporal Schedule (system) — the run's
                                               type, an id the schedule made, a digest of
                                               the run's arguments
``signal:<workflow id>:<signal name>``         a client's signal — the receiving workflow
``activity:<workflow id>:<activity type>``     a workflow scheduling an activity
=============================================  ===========================================

A header copied from one history therefore grants nothing elsewhere (threat: a header
read from Temporal replayed onto another workflow, or onto the same scheduled workflow
with other arguments). What remains possible is to start the *same* workflow id and
type again once its run has closed, as the caller of the first run: call ids are
random and single-use by design, so that is a re-run of that caller's own call.

A header whose signature, scope or form does not check out is refused with
:class:`InvalidCallerError` (``invalid_caller``): nothing runs as that caller. A
missing header means anonymous, as before (fail closed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import temporalio.converter
from temporalio.api.common.v1 import Payload
from temporalio.exceptions import ApplicationError

from auth.secret_keys import SecretKeys
from functions.identity import CALLER_HEADER, Caller, caller_from_wire, caller_to_wire

__all__ = [
    "INVALID_CALLER",
    "CallerClaim",
    "CallerSigner",
    "InvalidCallerError",
    "activity_scope",
    "arguments_digest",
    "schedule_scope",
    "signal_scope",
    "workflow_scope",
]

INVALID_CALLER = "invalid_caller"
_DOMAIN = b"baas-caller-v1\x00"  # the signed bytes are for this purpose only
_KEY_PURPOSE = "temporal caller"


class InvalidCallerError(ApplicationError):
    """The caller header is unsigned, tampered with, or made for something else.

    A non-retryable ApplicationError of type ``invalid_caller``: raised in a workflow it
    fails the run, in an activity it fails the attempt for good.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"The caller of this call is not proven by baas ({reason}); nothing ran as it.",
            type=INVALID_CALLER,
            non_retryable=True,
        )


def workflow_scope(workflow_type: str, workflow_id: str) -> str:
    return f"workflow:{workflow_type}:{workflow_id}"


def schedule_scope(workflow_type: str, schedule_id: str, args_digest: str) -> str:
    return f"schedule:{workflow_type}:{schedule_id}:{args_digest}"


def signal_scope(workflow_id: str, signal: str) -> str:
    return f"signal:{workflow_id}:{signal}"


def activity_scope(workflow_id: str, activity_type: str) -> str:
    return f"activity:{workflow_id}:{activity_type}"


def arguments_digest(converter: temporalio.converter.PayloadConverter, args: Sequence[Any]) -> str:
    """A digest of a run's arguments as ``converter`` encodes them.

    JSON payloads are compared by their value, not their bytes: a scheduled run's
    arguments are encoded once when the schedule is made and again, after decoding,
    when the worker checks them.
    """
    digest = hashlib.sha256()
    for payload in converter.to_payloads(args):
        encoding = payload.metadata.get("encoding", b"")
        data = payload.data
        if encoding == b"json/plain":
            data = json.dumps(json.loads(data), sort_keys=True, separators=(",", ":")).encode()
        digest.update(len(encoding).to_bytes(4, "big") + encoding)
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class CallerClaim:
    """A header as read: the caller it names, its scope, its signature (None: unsigned)."""

    caller: Caller
    scope: str | None
    signature: str | None


class CallerSigner:
    """Signs caller headers and checks them, with the keys baas processes share.

    ``keys``: the current key first (it signs), then former ones (still accepted, during
    a rotation of ``BAAS_SECRET_KEY``).
    """

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("a caller signer needs a key")
        self._keys = tuple(keys)

    def __repr__(self) -> str:
        return "CallerSigner(...)"  # threat: key material in logs

    @classmethod
    def from_secret_keys(cls, keys: SecretKeys) -> CallerSigner:
        return cls(keys.derive(_KEY_PURPOSE))

    def same_keys(self, other: CallerSigner) -> bool:
        return self._keys == other._keys

    @property
    def key_id(self) -> str:
        """Names the signing key (a digest of it): changes when the key rotates."""
        return hashlib.sha256(b"baas caller key id\x00" + self._keys[0]).hexdigest()[:12]

    def header(self, caller: Caller, scope: str) -> dict[str, Payload]:
        """The header map that carries ``caller``, signed for ``scope``."""
        wire = caller_to_wire(caller)
        signature = _b64(_mac(self._keys[0], wire, scope))
        value = {"caller": wire, "scope": scope, "sig": signature}
        converter = temporalio.converter.default().payload_converter
        return {CALLER_HEADER: converter.to_payloads([value])[0]}

    def with_caller(
        self, headers: Mapping[str, Payload], caller: Caller | None, scope: str
    ) -> Mapping[str, Payload]:
        """``headers`` plus ``caller`` signed for ``scope`` (unchanged without a caller)."""
        if caller is None:
            return headers
        return {**headers, **self.header(caller, scope)}

    @staticmethod
    def read(headers: Mapping[str, Payload]) -> CallerClaim | None:
        """The header's claim, None without one; InvalidCallerError when unreadable."""
        payload = headers.get(CALLER_HEADER)
        if payload is None:
            return None
        converter = temporalio.converter.default().payload_converter
        try:
            [data] = converter.from_payloads([payload], [dict])
            if "caller" not in data:  # the unsigned form of earlier versions: the caller alone
                return CallerClaim(caller_from_wire(data), None, None)
            scope, signature = data.get("scope"), data.get("sig")
            if not isinstance(scope, str) or not isinstance(signature, str):
                raise TypeError("scope and signature must be strings")
            return CallerClaim(caller_from_wire(data["caller"]), scope, signature)
        except (ValueError, TypeError, AttributeError):
            raise InvalidCallerError("malformed header") from None

    def verify(self, claim: CallerClaim, scope: str) -> Caller:
        """The claim's caller if it is signed with a known key for ``scope``."""
        if claim.signature is None or claim.scope is None:
            raise InvalidCallerError("unsigned")
        if claim.scope != scope:
            raise InvalidCallerError("signed for another workflow, signal or activity")
        try:
            presented = _unb64(claim.signature)
        except ValueError:
            raise InvalidCallerError("malformed signature") from None
        wire = caller_to_wire(claim.caller)
        if not any(hmac.compare_digest(_mac(key, wire, scope), presented) for key in self._keys):
            raise InvalidCallerError("bad signature")
        return claim.caller


def _mac(key: bytes, wire: Mapping[str, Any], scope: str) -> bytes:
    message = json.dumps([wire, scope], sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, _DOMAIN + message, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64url") from exc
