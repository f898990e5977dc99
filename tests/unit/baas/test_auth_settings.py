"""The auth settings: defaults, parsing, and an error naming the variable."""

from __future__ import annotations

import json

import pytest

from baas.config import Settings
from baas.errors import SettingsError


def test_defaults_are_safe_and_documented() -> None:
    auth = Settings.from_env({}).auth
    assert auth.access_token_ttl == 900
    assert auth.require_verified_email is True
    assert auth.trusted_proxies == ()
    assert (auth.argon2_time_cost, auth.argon2_memory_kib, auth.argon2_parallelism) == (3, 65536, 4)
    assert auth.code_ttl == 600
    assert Settings.from_env({}).public_url == "http://127.0.0.1:8000"


def test_providers_from_json() -> None:
    raw = json.dumps(
        [
            {
                "name": "corp",
                "discovery_url": "https://id.example.com/.well-known/openid-configuration",
                "client_id": "a",
                "client_secret": "s",
            },
            {"name": "github", "type": "github", "client_id": "b", "client_secret": "t"},
        ]
    )
    providers = Settings.from_env({"BAAS_OIDC_PROVIDERS": raw}).auth.providers
    assert [(p.name, p.kind) for p in providers] == [("corp", "oidc"), ("github", "github")]
    assert providers[1].scopes == ("read:user", "user:email")
    assert "client_secret" not in repr(providers[0])


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BAAS_AUTH_ACCESS_TOKEN_TTL", "5"),
        ("BAAS_TRUSTED_PROXIES", "10.0.0.0/8, not-an-ip"),
        ("BAAS_OIDC_PROVIDERS", '[{"name": "x"}]'),
        ("BAAS_OIDC_PROVIDERS", "{"),
        ("BAAS_ARGON2_MEMORY_KIB", "1024"),
        ("BAAS_AUTH_REQUIRE_VERIFIED_EMAIL", "maybe"),
        ("BAAS_SMTP_SECURITY", "ssl3"),
        ("BAAS_PASSWORD_MIN_LENGTH", "200"),
        ("BAAS_PUBLIC_URL", "ftp://example.com"),
    ],
)
def test_invalid_values_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: value})
