"""Every route of the API, fed what hostile and careless clients send: never a 5xx.

A real API (uvicorn, the GraphQL test app, its SQLite store, the session's Temporal dev
server so ``/healthz`` is healthy) answers generated requests: any method on any route,
with odd paths, query strings, headers and bodies; then route-shaped bodies for
``/auth/*``, ``/graphql`` and signed DynamoDB calls, so the generated input gets past
authentication and content checks into the code that uses it; and messages to the
GraphQL WebSocket, which must be answered or closed by the protocol (``44xx``).

Each answer must be below 500 and carry its route's error shape (``/auth`` and the
rest: ``{"error": {...}}``, GraphQL: ``{"errors": [...]}``, DynamoDB: ``{"__type"}``);
a GraphQL result must not hold a masked internal error; and no request may leave an
error (a traceback) in the log. Examples are derandomized and counted, so a run is
repeatable and bounded in time.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import boto3
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect
from websockets.typing import Subprotocol

from auth.access_keys import AccessKeyRepository
from auth.secret_keys import SecretKeys
from baas.app import create_app
from baas.dynamodb.operations import OPERATIONS
from storage import SqliteConfig, open_store
from tests.integration.auth.auth_server import AuthServer
from tests.integration.fuzz_inputs import (
    bodies,
    content_types,
    deep,
    dynamodb_inputs,
    encode,
    graphql_bodies,
    graphql_queries,
    graphql_variables,
    header_text,
    path_junk,
    query_strings,
    raw_bodies,
    ws_messages,
)
from tests.integration.graphql.server import Api, serve_api
from tests.integration.graphql.testapp import app as test_app

KEY_ID = "AKIAFUZZKEY000000001"
SECRET = "fuzz-secret-key-0123456789abcdefghijklm"
TABLE = "Fuzz"
ORIGIN = "https://app.example"
AUTH_FIELDS = (
    "email",
    "password",
    "code",
    "new_password",
    "current_password",
    "refresh_token",
    "grant_type",
    "cookie",
    "groups",
)
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(repr=False)
class Target:
    api: Api
    client: httpx.Client
    routes: list[tuple[str, str]]  # (method, path template)
    tokens: dict[str, str]

    def __repr__(self) -> str:
        return f"Target({self.api.url})"


@pytest.fixture(scope="module")
def target(
    tmp_path_factory: pytest.TempPathFactory, baas_temporal_address: str
) -> Iterator[Target]:
    data = tmp_path_factory.mktemp("fuzz")
    with serve_api(
        data,
        BAAS_TEMPORAL_ADDRESS=baas_temporal_address,
        BAAS_CORS_ORIGINS=ORIGIN,
        BAAS_SQLITE_SYNCHRONOUS="NORMAL",
    ) as api:
        asyncio.run(_create_key(data / "baas.sqlite3", api.services.secret_keys))
        boto3.client(
            "dynamodb",
            endpoint_url=f"{api.url}/dynamodb",
            region_name="us-east-1",
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            config=Config(retries={"max_attempts": 1}),
        ).create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        # The routes of the app itself (a second, unstarted instance): a route added
        # later is fuzzed without anyone listing it here.
        routes = sorted(
            (method, route.path)
            for route in create_app(api.settings, app=test_app).routes
            for method in (getattr(route, "methods", None) or ())
        )
        with httpx.Client(base_url=api.url, timeout=30) as client:
            # A real account, so routes that read the signed-in user get past that.
            accounts = AuthServer(api.url, data, client)
            accounts.signup_verified("fuzz@example.com")
            signed_in = accounts.signin("fuzz@example.com")
            # The random requests get an account of their own: one of them may well be a
            # valid sign-out, which revokes its token for the rest of the module.
            accounts.signup_verified("fuzz-random@example.com")
            random_user = accounts.signin("fuzz-random@example.com")
            tokens = {
                "user": str(signed_in["access_token"]),
                "random-user": str(random_user["access_token"]),
                "admin": api.token("fuzz-admin", "admin"),
            }
            yield Target(api, client, routes, tokens)


async def _create_key(database: Path, secret_keys: SecretKeys) -> None:
    store = await open_store(SqliteConfig(database))
    try:
        await AccessKeyRepository(store, secret_keys).create(key_id=KEY_ID, secret=SECRET)
    finally:
        await store.close()


@pytest.fixture(autouse=True)
def _no_errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    with caplog.at_level(logging.WARNING):
        yield
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, "\n".join(r.getMessage() for r in errors[:5])


_PROVIDER_PAGES = frozenset(
    {
        "/oauth/authorize",
        "/oauth/authorize/signin",
        "/oauth/authorize/mfa",
        "/oauth/authorize/consent",
        "/oauth/logout",
    }
)
_PROVIDER_ENDPOINTS = frozenset({"/oauth/token", "/oauth/revoke", "/oauth/userinfo"})


def check(response: httpx.Response) -> None:
    """No 5xx; a 4xx in its route's error shape; no masked internal GraphQL error."""
    request = response.request
    where = f"{request.method} {request.url} -> {response.status_code}: {response.text[:300]}"
    assert response.status_code < 500, where
    preflight = request.method == "OPTIONS" and "access-control-request-method" in request.headers
    if request.method == "HEAD" or preflight or not response.content:
        return  # no body to judge (a preflight's answer is for the browser, in CORS's words)
    path = request.url.path
    is_json = response.headers.get("content-type", "").startswith(
        ("application/json", "application/graphql-response+json", "application/x-amz-json")
    )
    if path in _PROVIDER_PAGES and response.headers.get("content-type", "").startswith("text/html"):
        return  # the OpenID provider's pages answer the person at the browser, in HTML
    if response.status_code >= 400:
        assert is_json, where
        body = response.json()
        if path in _PROVIDER_ENDPOINTS and response.status_code != 405:
            # OAuth's own shape (RFC 6749 §5.2), which OAuth clients parse.
            assert isinstance(body["error"], str), where
            assert isinstance(body["error_description"], str), where
        elif response.status_code == 405 and "error" in body:
            # The router's answer to a method no route takes: the API's shape, everywhere.
            assert set(body["error"]) >= {"code", "message", "request_id"}, where
        elif path in ("/dynamodb", "/dynamodb/"):
            assert set(body) >= {"__type", "message"}, where
        elif path == "/graphql" and "errors" in body:
            assert all("message" in error for error in body["errors"]), where
        else:
            assert set(body["error"]) >= {"code", "message", "request_id"}, where
    if path == "/graphql" and is_json:
        codes = [
            (error.get("extensions") or {}).get("code")
            for error in response.json().get("errors", [])
        ]
        assert "INTERNAL_SERVER_ERROR" not in codes, where


def _fill(template: str, value: str) -> str:
    parts = template.split("/")
    return "/".join(value if part.startswith("{") else part for part in parts)


@given(data=st.data())
@settings(FUZZ, max_examples=120)
def test_any_request_to_any_route_is_answered_below_500(
    target: Target, data: st.DataObject
) -> None:
    method, template = data.draw(st.sampled_from(target.routes))
    method = data.draw(st.sampled_from([method, method, "GET", "POST", "PUT", "DELETE", "OPTIONS"]))
    path = _fill(template, data.draw(st.sampled_from(["x", "%00", "..", "é"]) | header_text))
    path = path + data.draw(st.sampled_from(["", ""]) | path_junk)
    headers = {
        "content-type": data.draw(content_types),
        "accept": data.draw(
            st.sampled_from(["*/*", "application/graphql-response+json", "text/html"]) | header_text
        ),
        "x-request-id": data.draw(header_text),
    }
    who = data.draw(st.sampled_from(["", "user", "admin", "junk"]))
    if who == "junk":
        headers["authorization"] = data.draw(header_text)
    elif who:
        headers["authorization"] = (
            f"Bearer {target.tokens['random-' + who if who == 'user' else who]}"
        )
    if data.draw(st.booleans()):
        headers["origin"] = data.draw(
            st.sampled_from([ORIGIN, "https://evil.example"]) | header_text
        )
        headers["access-control-request-method"] = data.draw(st.sampled_from(["POST", "PUT"]))
    if data.draw(st.booleans()):
        headers["cookie"] = f"baas_refresh={data.draw(header_text)}"
    body = data.draw(bodies(st.sampled_from(AUTH_FIELDS)) | raw_bodies)
    query = urlencode(
        {
            name.encode("utf-8", "surrogatepass"): value.encode("utf-8", "surrogatepass")
            for name, value in data.draw(query_strings).items()
        }
    )
    response = target.client.request(
        method,
        (path if path.startswith("/") else "/" + path) + (f"?{query}" if query else ""),
        headers=headers,
        content=body if method not in ("GET", "HEAD") else None,
    )
    check(response)


AUTH_POSTS = (
    "/auth/signup",
    "/auth/signin",
    "/auth/verify-email",
    "/auth/verify-email/resend",
    "/auth/password/forgot",
    "/auth/password/reset",
    "/auth/password/change",
    "/auth/token",
    "/auth/anonymous",
    "/auth/upgrade",
    "/auth/signout",
    "/auth/link/github",
    "/auth/admin/users/fuzz-user/groups",
)
# (route, body) that answered 500 before: each must now get its route's 4xx.
ONCE_500 = [
    (path, body)
    for path in ("/auth/signin", "/auth/signup", "/auth/token", "/graphql")
    for body in (deep(1100), deep(1100, kind="{"))
] + [
    ("/auth/signin", b'{"email": "a\\ud800@example.com", "password": "correct horse battery"}'),
    ("/auth/signup", b'{"email": "a\\ud800@example.com", "password": "correct horse battery"}'),
    (
        "/graphql",
        (
            b'{"query": "query($b: String!) { notesByBoard(board: $b) { nextToken } }", '
            b'"variables": {"b": "\\ud800"}}'
        ),
    ),
]
DYNAMODB_ONCE_500 = [
    ("DynamoDB_20120810.GetItem", deep(1100)),
    ("DynamoDB_20120810.PutItem", deep(1100, kind="{")),
    (
        "DynamoDB_20120810.GetItem",
        b'{"TableName": "Fuzz", "Key": {"pk": {"S": "\\ud800"}, "sk": {"N": "1"}}}',
    ),
    (
        "DynamoDB_20120810.PutItem",
        b'{"TableName": "Fuzz", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"S": "\\udfff"}}}',
    ),
]


@pytest.mark.parametrize(("path", "body"), ONCE_500)
def test_inputs_that_once_answered_500_get_the_routes_4xx(
    target: Target, path: str, body: bytes
) -> None:
    # No token: the fuzz tests may have signed the user out; these are refused anyway.
    headers = {"content-type": "application/json"}
    response = target.client.post(path, content=body, headers=headers)
    assert response.status_code == 400, response.text
    check(response)


def test_the_dynamodb_paths_leave_a_bad_authorization_to_the_endpoint(target: Target) -> None:
    # Found by the fuzz: GET /dynamodb with "Authorization: junk" got the bearer-token
    # check's answer in the API's shape; the endpoint's paths speak DynamoDB's.
    answered = target.client.get("/dynamodb", headers={"authorization": "junk"})
    assert answered.text.startswith("healthy: dynamodb"), answered.text  # as DynamoDB's
    refused = target.client.post("/dynamodb", headers={"authorization": "junk"})
    assert refused.status_code == 400, refused.text
    check(refused)  # DynamoDB's error shape


@pytest.mark.parametrize(("operation", "body"), DYNAMODB_ONCE_500)
def test_dynamodb_inputs_that_once_answered_500_get_a_400(
    target: Target, operation: str, body: bytes
) -> None:
    response = _signed_call(target, operation, body)
    assert response.status_code == 400, response.text
    assert response.json()["__type"].endswith("#SerializationException")


@given(data=st.data())
@settings(FUZZ, max_examples=100)
def test_auth_bodies_get_a_4xx_in_the_auth_shape(target: Target, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(AUTH_POSTS))
    who = data.draw(st.sampled_from(["", "user", "admin"]))
    headers = {"content-type": data.draw(st.sampled_from(["application/json"]) | content_types)}
    if who:
        headers["authorization"] = f"Bearer {target.tokens[who]}"
    method = "PUT" if path.endswith("/groups") else "POST"
    body = data.draw(bodies(st.sampled_from(AUTH_FIELDS)))
    check(target.client.request(method, path, headers=headers, content=body))


@given(data=st.data())
@settings(FUZZ, max_examples=100)
def test_graphql_requests_never_fail_inside(target: Target, data: st.DataObject) -> None:
    headers = {
        "accept": data.draw(st.sampled_from(["application/graphql-response+json", "*/*"])),
    }
    who = data.draw(st.sampled_from(["", "user", "admin"]))
    if who:
        headers["authorization"] = f"Bearer {target.tokens[who]}"
    if data.draw(st.booleans()):
        query = data.draw(graphql_queries)
        params = {"query": query, "variables": json.dumps(data.draw(graphql_variables))}
        encoded = urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in params.items()})
        response = target.client.get(f"/graphql?{encoded}", headers=headers)
    else:
        headers["content-type"] = "application/json"
        response = target.client.post(
            "/graphql", headers=headers, content=data.draw(graphql_bodies)
        )
    check(response)


@given(data=st.data())
@settings(FUZZ, max_examples=100)
def test_signed_dynamodb_calls_get_dynamodb_errors(target: Target, data: st.DataObject) -> None:
    operation = data.draw(st.sampled_from(sorted(OPERATIONS)))
    table = "NotFuzz" if operation.endswith("DeleteTable") else TABLE
    body = data.draw(
        st.one_of(*(dynamodb_inputs(operation, table).map(encode) for _ in range(6)), raw_bodies)
    )
    check(_signed_call(target, operation, body))


def _signed_call(target: Target, operation: str, body: bytes) -> httpx.Response:
    """POST ``body`` to /dynamodb, signed as an SDK would sign it."""
    url = f"{target.api.url}/dynamodb"
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={"X-Amz-Target": operation, "Content-Type": "application/x-amz-json-1.0"},
    )
    SigV4Auth(Credentials(KEY_ID, SECRET), "dynamodb", "us-east-1").add_auth(request)
    return target.client.post(url, content=body, headers=dict(request.headers.items()))


@pytest.mark.parametrize(
    "message",
    [
        deep(1100).decode(),
        '{"type": "connection_init", "payload": ' + deep(1100, kind="{").decode() + "}",
        '{"type": "connection_init", "payload": {"authorization": "\\ud800"}}',
    ],
    ids=["deep", "deep-payload", "lone-surrogate"],
)
def test_websocket_messages_that_once_broke_the_connection_are_closed_4400(
    target: Target, message: str
) -> None:
    ws_url = f"{target.api.url.replace('http://', 'ws://')}/graphql"
    with ws_connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        ws.send(message)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=30)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4400


@given(messages=st.lists(ws_messages, min_size=1, max_size=3))
@settings(FUZZ, max_examples=30)
def test_any_websocket_messages_are_answered_or_closed_by_the_protocol(
    target: Target, messages: list[str]
) -> None:
    ws_url = f"{target.api.url.replace('http://', 'ws://')}/graphql"
    with ws_connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        close = _until_pong(ws, messages)
    # Answered (the pong came after the answers to what came before it), or closed by
    # the protocol (44xx) or normally; never 1011 (an internal error) nor dropped
    # without a close frame.
    assert close is None or close == 1000 or 4400 <= close < 4500, (close, messages)


def _until_pong(ws: ClientConnection, messages: list[str]) -> int | None:
    """Send ``messages`` then a ping; None once the pong is read, else the close code."""
    try:
        for message in [*messages, '{"type": "ping"}']:
            ws.send(message)
        while json.loads(ws.recv(timeout=30)).get("type") != "pong":
            pass
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else -1
    return None
