"""Verification of AWS Signature Version 4 ``Authorization`` headers.

The client signs each request with its secret access key; we rebuild the same
signature from the request we received and the secret we hold, and compare. The steps
follow the AWS General Reference, "Create a signed AWS API request" (SigV4):

1. the canonical request (method, URI, query, signed headers, payload hash);
2. the string to sign (algorithm, timestamp, credential scope, hash of step 1);
3. the signing key, an HMAC-SHA256 chain over date, region, service, "aws4_request";
4. the signature, HMAC-SHA256 of step 2 under the key of step 3, in hex.

This module is pure (no I/O, no framework): :func:`verify` takes a
:class:`SignedRequest` and a function that finds a secret by access key id.
Each failure raises :class:`SignatureError` with DynamoDB's error code, so the endpoint
can answer it as the SDKs expect.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote

__all__ = [
    "ALGORITHM",
    "MAX_CLOCK_SKEW",
    "Authorization",
    "Credential",
    "SignatureError",
    "SignedRequest",
    "authorization_header",
    "canonical_request",
    "parse_authorization",
    "signing_key",
    "string_to_sign",
    "verify",
    "verify_authorization",
]

ALGORITHM = "AWS4-HMAC-SHA256"
# "Signature expired" past 15 minutes either way (SigV4: "Time stamp for the request").
MAX_CLOCK_SKEW = timedelta(minutes=15)
_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
# The header up to "Signature=", then the signature itself.
_AUTHORIZATION_HEAD = re.compile(
    r"AWS4-HMAC-SHA256\s+"
    r"Credential=(?P<credential>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*\Z"
)
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")
_AMZ_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")
_SIGNED_HEADER_NAME = re.compile(r"^[a-z0-9!#$%&'*+.^_`|~-]+$")


class SignatureError(Exception):
    """The request is not (correctly) signed; ``code`` is DynamoDB's error type.

    Messages name what is wrong in the request the client sent, never the secret or
    the signature we expected (threat: a signature oracle).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What verification needs of an HTTP request.

    ``raw_path`` is the path as sent on the wire (still percent-encoded); ``headers``
    keep repeats and their order, names in any case.
    """

    method: str
    raw_path: str
    query_string: str
    headers: Sequence[tuple[str, str]]
    body: bytes
    _by_name: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    def header(self, name: str) -> str | None:
        """The header ``name`` (lower case) as SigV4 canonicalises it: trimmed, inner
        runs of spaces collapsed, repeats joined by commas; None when absent."""
        by_name = self._by_name
        if by_name is None:
            by_name = {}
            for raw_name, raw_value in self.headers:
                key = raw_name.lower()
                value = " ".join(raw_value.split()) if "  " in raw_value else raw_value.strip()
                by_name[key] = f"{by_name[key]},{value}" if key in by_name else value
            object.__setattr__(self, "_by_name", by_name)  # a cache: built once per request
        return by_name.get(name)


@dataclass(frozen=True, slots=True)
class Credential:
    """The parsed ``Credential=`` field: access key id and credential scope."""

    access_key_id: str
    date: str
    region: str
    service: str

    @property
    def scope(self) -> str:
        """``date/region/service/aws4_request`` (SigV4: "credential scope")."""
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


@dataclass(frozen=True, slots=True)
class Authorization:
    """A parsed ``Authorization`` header."""

    credential: Credential
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(header: str) -> Authorization:
    """Parse ``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``."""
    # Everything before the signature repeats from one request of a client to the next;
    # it is parsed once (cached) and only the signature is checked per request.
    head, found, signature = header.rpartition("Signature=")
    signature = signature.rstrip()
    if not found or _SIGNATURE.fullmatch(signature) is None:
        _parse_head(header + ",")  # names the first problem of the whole header
        raise _incomplete_parameters()
    credential, signed = _parse_head(head)
    return Authorization(credential, signed, signature.lower())


@functools.lru_cache(maxsize=256)
def _parse_head(head: str) -> tuple[Credential, tuple[str, ...]]:
    match = _AUTHORIZATION_HEAD.match(head)
    if match is None:
        if not head.startswith(ALGORITHM):
            raise SignatureError(
                "IncompleteSignatureException",
                f"Authorization header requires the {ALGORITHM} algorithm.",
            )
        raise _incomplete_parameters()
    parts = match["credential"].split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts):
        raise SignatureError(
            "IncompleteSignatureException",
            "Credential should be scoped to a valid region, service and date: "
            "<key id>/<yyyymmdd>/<region>/<service>/aws4_request.",
        )
    signed = tuple(match["signed"].split(";"))
    if any(not _SIGNED_HEADER_NAME.match(name) for name in signed) or list(signed) != sorted(
        set(signed)
    ):
        raise SignatureError(
            "IncompleteSignatureException",
            "SignedHeaders must list lower-case header names, sorted, separated by ';'.",
        )
    return Credential(parts[0], parts[1], parts[2], parts[3]), signed


def _incomplete_parameters() -> SignatureError:
    return SignatureError(
        "IncompleteSignatureException",
        "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' "
        "parameters, separated by commas.",
    )


def canonical_request(request: SignedRequest, signed_headers: Sequence[str]) -> str:
    """The canonical request of SigV4 step 1, over ``signed_headers`` only."""
    lines = []
    for name in signed_headers:
        value = request.header(name)
        if value is None:
            raise SignatureError(
                "InvalidSignatureException",
                f"The request lists '{name}' in SignedHeaders but does not send it.",
            )
        lines.append(f"{name}:{value}\n")
    return "\n".join(
        (
            request.method.upper(),
            _canonical_uri(request.raw_path),
            _canonical_query(request.query_string),
            "".join(lines),
            ";".join(signed_headers),
            _payload_hash(request, request.header("x-amz-content-sha256")),
        )
    )


def string_to_sign(amz_date: str, credential: Credential, canonical: str) -> str:
    """SigV4 step 2."""
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{credential.scope}\n{digest}"


def signing_key(secret: str, credential: Credential) -> bytes:
    """SigV4 step 3: the derived key, specific to one day, region and service."""
    key = _hmac(f"AWS4{secret}".encode(), credential.date)
    key = _hmac(key, credential.region)
    key = _hmac(key, credential.service)
    return _hmac(key, "aws4_request")


def verify(
    request: SignedRequest,
    find_secret: Callable[[str], str | None],
    *,
    now: datetime,
    services: frozenset[str] = frozenset({"dynamodb"}),
) -> Credential:
    """Check the request's SigV4 signature; return its credential (who signed it).

    ``find_secret`` maps an access key id to its secret, or None for an unknown or
    revoked key. Raises :class:`SignatureError` for any failure.
    """
    authorization = parse_authorization(authorization_header(request))
    secret = find_secret(authorization.credential.access_key_id)
    return verify_authorization(request, authorization, secret, now=now, services=services)


def authorization_header(request: SignedRequest) -> str:
    """The request's ``Authorization`` header; MissingAuthenticationToken without one."""
    header = request.header("authorization")
    if header is None:
        raise SignatureError(
            "MissingAuthenticationTokenException", "Request is missing Authentication Token"
        )
    return header


def verify_authorization(
    request: SignedRequest,
    authorization: Authorization,
    secret: str | None,
    *,
    now: datetime,
    services: frozenset[str],
) -> Credential:
    """:func:`verify` once the header is parsed and the key's secret looked up.

    ``secret`` is None when the access key is unknown or revoked.
    """
    credential = authorization.credential
    if credential.service not in services:
        raise SignatureError(
            "InvalidSignatureException",
            f"Credential should be scoped to correct service: '{sorted(services)[0]}'.",
        )
    amz_date, stamp = _request_time(request, authorization.signed_headers)
    _check_time(amz_date, stamp, credential, now)
    if secret is None:
        raise SignatureError(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        )
    canonical = canonical_request(request, authorization.signed_headers)
    to_sign = string_to_sign(stamp, credential, canonical)
    signer = _signer(secret, credential.date, credential.region, credential.service).copy()
    signer.update(to_sign.encode())
    expected = signer.hexdigest()
    # Constant-time comparison (threat: recovering a valid signature byte by byte by timing).
    if not hmac.compare_digest(expected, authorization.signature):
        raise SignatureError(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. "
            "Consult the service documentation for details.",
        )
    return credential


def _check_time(amz_date: datetime, stamp: str, credential: Credential, now: datetime) -> None:
    if stamp[:8] != credential.date:
        raise SignatureError(
            "InvalidSignatureException",
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
            f"date from HTTP: '{credential.date}' != '{stamp[:8]}', from '{stamp}'.",
        )
    if now - amz_date > MAX_CLOCK_SKEW:
        raise SignatureError(
            "InvalidSignatureException",
            f"Signature expired: {stamp} is now earlier than "
            f"{(now - MAX_CLOCK_SKEW).strftime(_AMZ_DATE_FORMAT)} "
            f"({now.strftime(_AMZ_DATE_FORMAT)} - 15 min.)",
        )
    if amz_date - now > MAX_CLOCK_SKEW:
        raise SignatureError(
            "InvalidSignatureException",
            f"Signature not yet current: {stamp} is still later than "
            f"{(now + MAX_CLOCK_SKEW).strftime(_AMZ_DATE_FORMAT)} "
            f"({now.strftime(_AMZ_DATE_FORMAT)} + 15 min.)",
        )


# A signing key is valid for a day; deriving it costs four HMACs per request otherwise.
# What is cached is an HMAC already keyed with it: a copy signs without setting up the
# key and the digest again.
@functools.lru_cache(maxsize=1024)
def _signer(secret: str, date: str, region: str, service: str) -> hmac.HMAC:
    return hmac.new(signing_key(secret, Credential("", date, region, service)), digestmod="sha256")


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.digest(key, message.encode(), "sha256")


def _request_time(request: SignedRequest, signed_headers: Sequence[str]) -> tuple[datetime, str]:
    """The signed request time (``X-Amz-Date``, else ``Date``; SigV4: "Time stamp"), as
    a datetime and in SigV4's ``YYYYMMDD'T'HHMMSS'Z'`` form."""
    name = "x-amz-date" if "x-amz-date" in signed_headers else "date"
    if name not in signed_headers:
        raise SignatureError(
            "IncompleteSignatureException",
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
            "header, signed.",
        )
    return _parse_time(name, request.header(name) or "")


# Every request of a second carries the same time: parsed once.
@functools.lru_cache(maxsize=64)
def _parse_time(name: str, raw: str) -> tuple[datetime, str]:
    try:
        if name == "x-amz-date":
            # Parsed by hand: strptime costs more than the rest of the check.
            match = _AMZ_DATE.fullmatch(raw)
            if match is None:
                raise ValueError(raw)
            year, month, day, hour, minute, second = map(int, match.groups())
            moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        else:
            moment = datetime.strptime(raw, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    except ValueError:
        raise SignatureError(
            "IncompleteSignatureException", f"Date must be in ISO-8601 'basic format'. Got '{raw}'."
        ) from None
    return moment, moment.strftime(_AMZ_DATE_FORMAT)


@functools.lru_cache(maxsize=64)  # clients post to one path, over and over
def _canonical_uri(raw_path: str) -> str:
    # Non-S3 services encode the (already encoded) path once more, keeping '/' and '~'
    # (SigV4: "CanonicalURI"), after removing dot segments as the SDKs do.
    segments: list[str] = []
    for segment in raw_path.split("/")[1:]:
        if segment == "..":
            if segments:
                segments.pop()
        elif segment != ".":
            segments.append(segment)
    path = "/" + "/".join(segments)
    return quote(path, safe="/~")


def _canonical_query(query_string: str) -> str:
    # Each name and value URI-encoded (unreserved kept), sorted by name then value.
    if not query_string:
        return ""
    pairs = []
    for pair in query_string.split("&"):
        name, _, value = pair.partition("=")
        pairs.append((quote(unquote(name), safe="-_.~"), quote(unquote(value), safe="-_.~")))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _payload_hash(request: SignedRequest, declared: str | None) -> str:
    actual = hashlib.sha256(request.body).hexdigest()
    # The signature must cover the body actually received (threat: a replayed signature
    # with a swapped body), so a declared hash that differs is refused, and so is
    # UNSIGNED-PAYLOAD.
    if declared is not None and declared.split(",", 1)[0].lower() != actual:
        raise SignatureError(
            "InvalidSignatureException",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )
    return actual
