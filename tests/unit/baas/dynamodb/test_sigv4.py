"""SigV4 verification against signatures made by botocore's own signer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from baas.dynamodb.sigv4 import SignatureError, SignedRequest, verify

KEY_ID = "AKIAEXAMPLE123456789"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
BODY = b'{"TableName": "users"}'


def _signed(
    *,
    url: str = "http://127.0.0.1:8000/dynamodb",
    body: bytes = BODY,
    key_id: str = KEY_ID,
    secret: str = SECRET,
    service: str = "dynamodb",
    at: datetime = NOW,
    extra_headers: dict[str, str] | None = None,
) -> SignedRequest:
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.DescribeTable",
        **(extra_headers or {}),
    }
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    with mock.patch("botocore.auth.get_current_datetime", return_value=at.replace(tzinfo=None)):
        SigV4Auth(Credentials(key_id, secret), service, "eu-west-3").add_auth(request)
    prepared = request.prepare()
    path, _, query = url.split("8000", 1)[1].partition("?")
    wire_headers = [(name, str(value)) for name, value in prepared.headers.items()]
    wire_headers.append(("Host", "127.0.0.1:8000"))
    return SignedRequest("POST", path, query, wire_headers, body)


def _secrets(key_id: str) -> str | None:
    return SECRET if key_id == KEY_ID else None


def _code(request: SignedRequest, now: datetime = NOW) -> str:
    with pytest.raises(SignatureError) as caught:
        verify(request, _secrets, now=now)
    return caught.value.code


def test_a_request_signed_by_botocore_verifies() -> None:
    credential = verify(_signed(), _secrets, now=NOW)
    assert credential.access_key_id == KEY_ID
    assert credential.region == "eu-west-3"


def test_paths_and_query_strings_are_canonicalised_like_botocore() -> None:
    request = _signed(url="http://127.0.0.1:8000/dynamodb/a%20b/../c?b=2&a=x%2Fy&a=1")
    assert verify(request, _secrets, now=NOW).access_key_id == KEY_ID


def test_clock_skew_up_to_fifteen_minutes_is_accepted() -> None:
    assert verify(_signed(), _secrets, now=NOW + timedelta(minutes=14))
    assert verify(_signed(), _secrets, now=NOW - timedelta(minutes=14))


@pytest.mark.parametrize("offset", [timedelta(minutes=16), timedelta(minutes=-16)])
def test_a_stale_or_future_signature_is_refused(offset: timedelta) -> None:
    assert _code(_signed(), NOW + offset) == "InvalidSignatureException"


def test_an_unsigned_request_is_refused() -> None:
    request = SignedRequest("POST", "/dynamodb", "", [("Host", "x")], BODY)
    assert _code(request) == "MissingAuthenticationTokenException"


def test_an_unknown_key_is_refused() -> None:
    assert _code(_signed(key_id="AKIAUNKNOWN000000000")) == "UnrecognizedClientException"


def test_a_wrong_secret_is_refused() -> None:
    assert _code(_signed(secret="not-the-secret")) == "InvalidSignatureException"


def test_a_changed_body_is_refused() -> None:
    request = _signed()
    tampered = SignedRequest(
        request.method, request.raw_path, "", request.headers, b'{"TableName": "admins"}'
    )
    assert _code(tampered) == "InvalidSignatureException"


def test_a_changed_signed_header_is_refused() -> None:
    request = _signed()
    headers = [
        (name, "DynamoDB_20120810.DeleteTable" if name.lower() == "x-amz-target" else value)
        for name, value in request.headers
    ]
    tampered = SignedRequest(request.method, request.raw_path, "", headers, request.body)
    assert _code(tampered) == "InvalidSignatureException"


def test_a_mismatched_content_hash_header_is_refused() -> None:
    request = _signed(extra_headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    assert _code(request) == "InvalidSignatureException"


def test_another_service_scope_is_refused() -> None:
    assert _code(_signed(service="s3")) == "InvalidSignatureException"


@pytest.mark.parametrize(
    "header",
    [
        "Basic dXNlcjpwYXNz",
        "AWS4-HMAC-SHA256 Credential=AKIA/20261125/us-east-1/dynamodb/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKIA/20261125/dynamodb/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        "AWS4-HMAC-SHA256 Credential=AKIA/20261125/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=x-amz-date;host, Signature=" + "0" * 64,
    ],
)
def test_a_malformed_authorization_header_is_refused(header: str) -> None:
    request = SignedRequest(
        "POST",
        "/dynamodb",
        "",
        [("Authorization", header), ("X-Amz-Date", "20261125T120000Z")],
        BODY,
    )
    assert _code(request) == "IncompleteSignatureException"


def test_a_signed_header_that_is_missing_is_refused() -> None:
    request = _signed()
    headers = [(name, value) for name, value in request.headers if name.lower() != "x-amz-target"]
    tampered = SignedRequest(request.method, request.raw_path, "", headers, request.body)
    assert _code(tampered) == "InvalidSignatureException"
