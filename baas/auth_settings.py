"""The auth section of :class:`~baas.config.Settings`, read from ``BAAS_*`` variables.

Kept beside ``config.py`` so the many auth knobs do not crowd it; ``config.py`` still
is the only module that reads the environment (it hands its reader to
:func:`read_auth_settings`).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, TypeVar

from auth.mail_templates import MailTemplateError, MailTemplates
from auth.passwords import PasswordPolicy
from auth.social_config import ProviderConfig
from baas.errors import SettingsError
from baas.setting_parsers import boolean, port, positive_int

__all__ = ["AuthSettings", "SmtpSettings", "read_auth_settings"]

_T = TypeVar("_T")
_PROVIDER_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


class _SettingsReader(Protocol):
    def get(self, name: str, parse: Callable[[str], _T], default: _T) -> _T: ...


@dataclass(frozen=True)
class SmtpSettings:
    """Production mail; when ``host`` is None mails go to ``<data_dir>/outbox/``."""

    host: str | None = None
    port: int = 587
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security: Literal["starttls", "tls", "none"] = "starttls"
    sender: str = "baas <no-reply@localhost>"


@dataclass(frozen=True)
class AuthSettings:
    """Managed-auth settings; times in seconds. See docs/auth.md for each variable."""

    public_url: str | None = None
    access_token_ttl: int = 15 * 60
    refresh_idle_ttl: int = 14 * 24 * 3600
    refresh_absolute_ttl: int = 30 * 24 * 3600
    signing_algorithm: Literal["ES256", "Ed25519"] = "ES256"
    password_min_length: int = 8
    password_max_length: int = 128
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    code_ttl: int = 600
    require_verified_email: bool = True
    trusted_proxies: tuple[str, ...] = ()
    signin_account_failures: int = 5
    signin_address_failures: int = 20
    signin_window: int = 15 * 60
    refresh_reuse_grace: float = 5.0
    events_ttl: int = 90 * 24 * 3600
    oauth_redirect: str | None = None
    providers: tuple[ProviderConfig, ...] = ()
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    mail_templates: Path | None = None
    mfa: Literal["off", "optional", "required"] = "optional"
    mfa_groups: tuple[str, ...] = ()
    mfa_issuer: str = "baas"
    mfa_challenge_ttl: int = 300
    link_url: str | None = None
    email_sign_in: bool = True
    invite_ttl: int = 7 * 24 * 3600
    passkey_rp_id: str | None = None
    passkey_origins: tuple[str, ...] = ()
    oauth_code_ttl: int = 60


def read_auth_settings(reader: _SettingsReader) -> AuthSettings:
    """Every ``BAAS_AUTH_*`` (and mail, proxy, provider) variable, validated."""
    d = AuthSettings()
    minimum = reader.get("BAAS_PASSWORD_MIN_LENGTH", positive_int, d.password_min_length)
    maximum = reader.get("BAAS_PASSWORD_MAX_LENGTH", positive_int, d.password_max_length)
    try:
        PasswordPolicy(min_length=minimum, max_length=maximum)
    except ValueError as exc:
        raise SettingsError(f"BAAS_PASSWORD_MIN_LENGTH/BAAS_PASSWORD_MAX_LENGTH: {exc}") from None
    refresh_idle = reader.get("BAAS_AUTH_REFRESH_IDLE_TTL", positive_int, d.refresh_idle_ttl)
    refresh_absolute = reader.get(
        "BAAS_AUTH_REFRESH_ABSOLUTE_TTL", positive_int, d.refresh_absolute_ttl
    )
    return AuthSettings(
        public_url=reader.get("BAAS_PUBLIC_URL", _url, None),
        access_token_ttl=reader.get("BAAS_AUTH_ACCESS_TOKEN_TTL", _token_ttl, d.access_token_ttl),
        refresh_idle_ttl=refresh_idle,
        refresh_absolute_ttl=max(refresh_absolute, 1),
        signing_algorithm=reader.get("BAAS_AUTH_SIGNING_ALG", _algorithm, d.signing_algorithm),
        password_min_length=minimum,
        password_max_length=maximum,
        argon2_time_cost=reader.get("BAAS_ARGON2_TIME_COST", positive_int, d.argon2_time_cost),
        argon2_memory_kib=reader.get("BAAS_ARGON2_MEMORY_KIB", _memory, d.argon2_memory_kib),
        argon2_parallelism=reader.get(
            "BAAS_ARGON2_PARALLELISM", positive_int, d.argon2_parallelism
        ),
        code_ttl=reader.get("BAAS_AUTH_CODE_TTL", positive_int, d.code_ttl),
        require_verified_email=reader.get(
            "BAAS_AUTH_REQUIRE_VERIFIED_EMAIL", boolean, d.require_verified_email
        ),
        trusted_proxies=reader.get("BAAS_TRUSTED_PROXIES", _networks, ()),
        signin_account_failures=reader.get(
            "BAAS_AUTH_SIGNIN_ACCOUNT_FAILURES", positive_int, d.signin_account_failures
        ),
        signin_address_failures=reader.get(
            "BAAS_AUTH_SIGNIN_ADDRESS_FAILURES", positive_int, d.signin_address_failures
        ),
        signin_window=reader.get("BAAS_AUTH_SIGNIN_WINDOW", positive_int, d.signin_window),
        refresh_reuse_grace=reader.get(
            "BAAS_AUTH_REFRESH_REUSE_GRACE", _grace, d.refresh_reuse_grace
        ),
        events_ttl=reader.get("BAAS_AUTH_EVENTS_TTL", positive_int, d.events_ttl),
        oauth_redirect=reader.get("BAAS_AUTH_OAUTH_REDIRECT", _url, None),
        providers=reader.get("BAAS_OIDC_PROVIDERS", _providers, ()),
        smtp=SmtpSettings(
            host=reader.get("BAAS_SMTP_HOST", str, None),
            port=reader.get("BAAS_SMTP_PORT", port, 587),
            username=reader.get("BAAS_SMTP_USERNAME", str, None),
            password=reader.get("BAAS_SMTP_PASSWORD", str, None),
            security=reader.get("BAAS_SMTP_SECURITY", _smtp_security, "starttls"),
            sender=reader.get("BAAS_MAIL_FROM", str, d.smtp.sender),
        ),
        mail_templates=reader.get("BAAS_MAIL_TEMPLATES", _mail_templates, None),
        mfa=reader.get("BAAS_AUTH_MFA", _mfa_mode, d.mfa),
        mfa_groups=reader.get("BAAS_AUTH_MFA_GROUPS", _groups, ()),
        mfa_issuer=reader.get("BAAS_AUTH_MFA_ISSUER", _issuer, d.mfa_issuer),
        mfa_challenge_ttl=reader.get(
            "BAAS_AUTH_MFA_CHALLENGE_TTL", positive_int, d.mfa_challenge_ttl
        ),
        link_url=reader.get("BAAS_AUTH_LINK_URL", _url, None),
        email_sign_in=reader.get("BAAS_AUTH_EMAIL_SIGNIN", boolean, d.email_sign_in),
        invite_ttl=reader.get("BAAS_AUTH_INVITE_TTL", positive_int, d.invite_ttl),
        passkey_rp_id=reader.get("BAAS_AUTH_PASSKEY_RP_ID", _rp_id, None),
        passkey_origins=reader.get("BAAS_AUTH_PASSKEY_ORIGINS", _origins, ()),
        oauth_code_ttl=reader.get("BAAS_AUTH_OAUTH_CODE_TTL", _code_ttl, d.oauth_code_ttl),
    )


def _code_ttl(raw: str) -> int:
    # RFC 6749 §4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED".
    seconds = positive_int(raw)
    if seconds > 600:
        raise ValueError(f"expected at most 600 seconds, got {seconds}")
    return seconds


def _rp_id(raw: str) -> str:
    # WebAuthn §5.1.2: a valid domain string, never an IP address nor a URL.
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*", raw):
        raise ValueError(
            f"expected a domain such as example.com (no scheme, port or IP), got {raw!r}"
        )
    if re.fullmatch(r"[0-9.]+", raw):
        raise ValueError(f"an IP address cannot be a passkey relying party, got {raw!r}")
    return raw


def _origins(raw: str) -> tuple[str, ...]:
    origins = tuple(part.strip().rstrip("/") for part in raw.split(",") if part.strip())
    for origin in origins:
        if not re.fullmatch(r"https?://[^\s/?#]+", origin):
            raise ValueError(f"expected origins such as https://app.example.com, got {origin!r}")
    return origins


def _mfa_mode(raw: str) -> Literal["off", "optional", "required"]:
    for option in ("off", "optional", "required"):
        if raw.lower() == option:
            return option
    raise ValueError(f"expected off, optional or required, got {raw!r}")


def _groups(raw: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in raw.split(",") if part.strip())
    if not all(re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", name) for name in names):
        raise ValueError("expected group names (A-Z a-z 0-9 _ . -), comma-separated")
    return names


def _issuer(raw: str) -> str:
    # Shown by authenticator apps; a colon would break the otpauth label.
    if not 1 <= len(raw) <= 64 or ":" in raw:
        raise ValueError("expected 1 to 64 characters without ':'")
    return raw


def _mail_templates(raw: str) -> Path:
    """A folder of mail templates, checked now: a broken one fails the start, not a mail."""
    folder = Path(raw)
    try:
        MailTemplates.load(folder)
    except MailTemplateError as exc:
        raise ValueError(str(exc)) from None
    return folder


def _token_ttl(raw: str) -> int:
    value = positive_int(raw)
    if not 60 <= value <= 24 * 3600:
        raise ValueError(f"expected seconds from 60 to 86400, got {raw!r}")
    return value


def _memory(raw: str) -> int:
    value = positive_int(raw)
    if value < 8 * 1024:
        raise ValueError(f"expected KiB of at least 8192 (8 MiB), got {raw!r}")
    return value


def _grace(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"expected seconds (e.g. 5), got {raw!r}") from None
    if not 0 <= value <= 60:  # a long grace would let a replayed token pass unnoticed
        raise ValueError(f"expected seconds from 0 to 60, got {raw!r}")
    return value


def _url(raw: str) -> str:
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", raw):
        raise ValueError(f"expected an http(s) URL without query, got {raw!r}")
    return raw.rstrip("/")


def _algorithm(raw: str) -> Literal["ES256", "Ed25519"]:
    if raw == "ES256":
        return "ES256"
    if raw == "Ed25519":
        return "Ed25519"
    raise ValueError(f"expected ES256 or Ed25519, got {raw!r}")


def _smtp_security(raw: str) -> Literal["starttls", "tls", "none"]:
    for option in ("starttls", "tls", "none"):
        if raw.lower() == option:
            return option
    raise ValueError(f"expected starttls, tls or none, got {raw!r}")


def _networks(raw: str) -> tuple[str, ...]:
    networks = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            networks.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ValueError(f"expected IP addresses or CIDR networks, got {part!r}") from None
    return tuple(networks)


def _providers(raw: str) -> tuple[ProviderConfig, ...]:
    """A JSON list: ``[{"name", "discovery_url", "client_id", "client_secret"}, …]``;
    ``{"name": "github", "type": "github", "client_id", "client_secret"}`` for GitHub."""
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError:
        raise ValueError("expected a JSON list of providers") from None
    if not isinstance(entries, list):
        raise ValueError("expected a JSON list of providers")
    providers = [_provider(entry, index) for index, entry in enumerate(entries)]
    names = [provider.name for provider in providers]
    if len(set(names)) != len(names):
        raise ValueError("provider names must be unique")
    return tuple(providers)


def _provider(entry: object, index: int) -> ProviderConfig:
    where = f"provider #{index + 1}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected an object")
    name, kind = entry.get("name"), entry.get("type", "oidc")
    client_id, secret = entry.get("client_id"), entry.get("client_secret")
    if not isinstance(name, str) or not _PROVIDER_NAME.fullmatch(name):
        raise ValueError(f"{where}: 'name' must be 1-32 characters of a-z 0-9 _ -")
    if kind not in ("oidc", "github"):
        raise ValueError(f"{where} ({name}): 'type' must be 'oidc' or 'github'")
    if not isinstance(client_id, str) or not client_id or not isinstance(secret, str):
        raise ValueError(f"{where} ({name}): 'client_id' and 'client_secret' are required")
    discovery = entry.get("discovery_url")
    if kind == "oidc":
        if not isinstance(discovery, str):
            raise ValueError(f"{where} ({name}): 'discovery_url' is required")
        discovery = _url(discovery)
    scopes = entry.get("scopes")
    default_scopes = (
        ("openid", "email", "profile") if kind == "oidc" else ("read:user", "user:email")
    )
    if scopes is not None and not (
        isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)
    ):
        raise ValueError(f"{where} ({name}): 'scopes' must be a list of strings")
    return ProviderConfig(
        name=name,
        client_id=client_id,
        client_secret=secret,
        kind=kind,
        discovery_url=discovery if kind == "oidc" else None,
        scopes=tuple(scopes) if scopes is not None else default_scopes,
    )
