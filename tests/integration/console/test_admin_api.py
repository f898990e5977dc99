"""The console's HTTP API behind the pages (/admin and the new /auth/admin routes), for
admins only, with the API's one error shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from tests.integration.auth.auth_server import AuthServer, auth_server, create_admin
from tests.integration.console.console_pages import refused_within

ADMIN = "lena@example.com"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServer]:
    data_dir = tmp_path_factory.mktemp("admin-api")
    create_admin(data_dir, ADMIN)
    with auth_server(data_dir) as running:
        yield running


@pytest.fixture(scope="module")
def admin(server: AuthServer) -> str:
    return str(server.signin(ADMIN)["access_token"])


def _headers(token: str, target: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if target:
        headers["X-Amz-Target"] = f"DynamoDB_20120810.{target}"
    return headers


def test_access_keys_over_http_show_the_secret_once_and_revoke(
    server: AuthServer, admin: str
) -> None:
    created = server.post("/admin/access-keys", {"description": "data team"}, token=admin)
    assert created.status_code == 201
    key = created.json()
    assert key["description"] == "data team"
    assert key["secret"]
    client = boto3.client(
        "dynamodb",
        endpoint_url=f"{server.base}/dynamodb",
        region_name="us-east-1",
        aws_access_key_id=key["key_id"],
        aws_secret_access_key=key["secret"],
        config=Config(retries={"max_attempts": 1}),
    )
    assert "TableNames" in client.list_tables()

    listed = server.get("/admin/access-keys", token=admin).json()["keys"]
    assert [k["key_id"] for k in listed] == [key["key_id"]]
    assert "secret" not in listed[0]  # never again after the create

    revoked = server.client.delete(f"/admin/access-keys/{key['key_id']}", headers=_headers(admin))
    assert revoked.status_code == 204
    assert refused_within(client) == "UnrecognizedClientException"
    again = server.client.delete(f"/admin/access-keys/{key['key_id']}", headers=_headers(admin))
    assert again.status_code == 404
    assert again.json()["error"]["request_id"]


def test_data_operations_as_an_admin_with_conditions_and_no_system_tables(
    server: AuthServer, admin: str
) -> None:
    def op(target: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
        response = server.client.post("/admin/dynamodb", json=body, headers=_headers(admin, target))
        return response.status_code, response.json()

    status, _ = op(
        "CreateTable",
        {
            "TableName": "notes",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    assert status == 200
    assert (
        op("PutItem", {"TableName": "notes", "Item": {"id": {"S": "n1"}, "v": {"N": "1"}}})[0]
        == 200
    )
    status, error = op(
        "PutItem",
        {
            "TableName": "notes",
            "Item": {"id": {"S": "n1"}, "v": {"N": "2"}},
            "ConditionExpression": "v = :seen",
            "ExpressionAttributeValues": {":seen": {"N": "0"}},
        },
    )
    assert status == 400
    assert error["error"]["code"] == "ConditionalCheckFailedException"  # type: ignore[index]
    assert error["error"]["request_id"]  # type: ignore[index]

    tables = server.get("/admin/tables", token=admin).json()["tables"]
    assert [t["name"] for t in tables] == ["notes"]  # never the _baas_ tables
    assert tables[0]["partition_key"] == {"name": "id", "type": "S"}
    status, error = op("Scan", {"TableName": "_baas_users"})
    assert status == 400
    assert error["error"]["code"] == "ResourceNotFoundException"  # type: ignore[index]

    status, _ = op("DeleteItem", {"TableName": "notes", "Key": {"id": {"S": "n1"}}})
    assert status == 200
    assert server.client.post("/admin/dynamodb", json={}).status_code == 401


def test_users_search_sessions_identities_reset_and_end(server: AuthServer, admin: str) -> None:
    server.signup_verified("omar@example.com")
    omar = server.signin("omar@example.com")
    omar_id = omar["user"]["id"]  # type: ignore[index]

    found = server.get("/auth/admin/users?email=OMAR", token=admin).json()["users"]
    assert [u["email"] for u in found] == ["omar@example.com"]
    assert server.get("/auth/admin/users?email=nobody", token=admin).json()["users"] == []

    sessions = server.get(f"/auth/admin/users/{omar_id}/sessions", token=admin).json()
    assert len(sessions["sessions"]) == 1
    assert server.get(f"/auth/admin/users/{omar_id}/identities", token=admin).json() == {
        "identities": []
    }

    sent = server.post(f"/auth/admin/users/{omar_id}/password-reset", {}, token=admin)
    assert sent.status_code == 202
    assert server.code_for("omar@example.com", "reset")

    ended = server.client.delete(f"/auth/admin/users/{omar_id}/sessions", headers=_headers(admin))
    assert ended.status_code == 204
    assert server.get("/auth/me", token=str(omar["access_token"])).status_code == 401
    refreshed = server.post(
        "/auth/token", {"grant_type": "refresh_token", "refresh_token": omar["refresh_token"]}
    )
    assert refreshed.status_code == 400
    assert server.get("/auth/admin/users/nobody/sessions", token=admin).status_code == 404


def test_overview_counts_requests_and_keeps_recent_errors_by_request_id(
    server: AuthServer, admin: str
) -> None:
    missing = server.get("/auth/admin/users/nobody", token=admin)
    request_id = missing.headers["x-request-id"]
    overview = server.get("/admin/overview", token=admin).json()
    assert overview["env"] == "dev"
    errors = overview["metrics"]["recent_errors"]
    assert any(e["request_id"] == request_id and e["status"] == 404 for e in errors)
    auth_group = next(g for g in overview["metrics"]["groups"] if g["path"] == "/auth")
    assert auth_group["requests"] >= 1
    assert auth_group["client_errors"] >= 1


def test_console_files_are_served_with_their_policy(server: AuthServer, tmp_path: Path) -> None:
    del tmp_path
    page = server.client.get("/console")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    module = server.client.get("/console/static/app.js")
    assert module.headers["content-type"].startswith("text/javascript")
    cached = server.client.get(
        "/console/static/app.js", headers={"If-None-Match": module.headers["etag"]}
    )
    assert cached.status_code == 304
    assert server.client.get("/console/static/../../app.py").status_code == 404
    assert server.client.get("/console/vendor/graphiql.min.js").status_code == 200
    assert server.client.get("/console/vendor/package.json").status_code == 404
    ide = server.client.get("/graphql", headers={"Accept": "text/html"})
    assert "/console/vendor/graphiql.min.js" in ide.text
