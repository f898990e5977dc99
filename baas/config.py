"""Settings: the one place that reads the environment.

Every knob is a ``BAAS_*`` environment variable. :func:`Settings.from_env` parses and
validates them once; everything else receives the frozen :class:`Settings` (or the part
it needs) through its constructor. An invalid value raises :class:`SettingsError` whose
message names the variable, so a typo is caught at start-up, not at first use.

They may also be written in a dotenv file: ``.env`` in the working directory when
there is one, or the file ``BAAS_ENV_FILE`` names. The environment wins over the file,
and only its ``BAAS_*`` lines are read (a project's ``.env`` often serves other tools).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from baas.auth_settings import AuthSettings, read_auth_settings
from baas.errors import SettingsError
from baas.setting_parsers import boolean, count, port, positive_int, seconds_between
from storage import PostgresConfig, SqliteConfig, StoreConfig, config_from_url

__all__ = [
    "DEFAULT_CORS_HEADERS",
    "Environment",
    "Settings",
    "environment_with_file",
    "read_env_file",
]

Environment = Literal["dev", "prod"]
Synchronous = Literal["FULL", "NORMAL"]
_T = TypeVar("_T")

_APP_REF = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_HOST_PORT = re.compile(r"^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_SECRET_PREFIX = "BAAS_SECRET_"  # noqa: S105 - a variable-name prefix, not a secret
_SECRET_KEY_VARIABLES = ("BAAS_SECRET_KEY", "BAAS_SECRET_KEY_FILE")
_ENV_FILE_VARIABLE = "BAAS_ENV_FILE"
_DEFAULT_ENV_FILE = ".env"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BUSY_TIMEOUT = seconds_between(0.05, 60)
_HEADER_TIMEOUT = seconds_between(0.1, 600)
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 §5.1 token

DEFAULT_CORS_HEADERS = (
    "traceparent",  # W3C Trace Context (OpenTelemetry)
    "tracestate",
    "baggage",  # W3C Baggage
    "sentry-trace",
    "apollographql-client-name",
    "apollographql-client-version",
)


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the defaults of a laptop (``baas dev``).

    ``temporal_address`` None means "start the embedded Temporal dev server on
    ``temporal_port``"; set it to reach an existing server or cluster instead.
    """

    app: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path(".baas")
    temporal_address: str | None = None
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    temporal_namespace: str = "default"
    task_queue: str = "baas"
    env: Environment = "dev"
    log_level: str = "INFO"
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    # Request headers browser apps may send beside the ones baas itself reads (tracing,
    # error reporting, GraphQL client names): a header missing here fails the preflight.
    cors_headers: tuple[str, ...] = DEFAULT_CORS_HEADERS
    # Open GraphQL WebSocket connections one client address may hold in one API process
    # (threat: memory exhaustion); one more is closed with 1013.
    graphql_ws_connections_per_address: int = 50
    # Persisted queries (docs/graphql.md): only the operator's registered documents run;
    # how many documents clients may register by APQ (0: none), and how long each may be.
    graphql_persisted_only: bool = False
    graphql_apq_documents: int = 2000
    graphql_apq_max_bytes: int = 32 * 1024
    # The GraphQL cost limits (baas.graphql.query_budget): per operation, and what one user
    # (an anonymous caller: one client address) may spend per minute, all API processes
    # sharing the store together; 0: off.
    graphql_max_cost: int = 50_000
    graphql_cost_per_minute: int = 1_000_000
    auth: AuthSettings = field(default_factory=AuthSettings)
    reload: bool = True
    # Functions: ctx.secrets (from BAAS_SECRET_<NAME>, keys lower-cased) and whether the
    # built-in HTTP function may reach private addresses (off: SSRF).
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    functions_allow_private_network: bool = False
    # The worker's pool of function processes and the default limits of each call (see
    # functions/limits.py; plain values here, so that this module stays light to import).
    functions_processes: int = 8
    functions_warm_processes: int = 2
    functions_memory_mb: int = 512
    functions_cpu_seconds: float | None = None  # None: the function's timeout
    functions_threads: int = 32
    functions_concurrency: int | None = None  # None: as many as the pool has processes
    # The DynamoDB-compatible endpoint is always at /dynamodb on the API's port; with a
    # port set it is also served alone there (SDKs then use endpoint_url=http://host:port).
    dynamodb_port: int | None = None
    dynamodb_region: str = "us-east-1"
    # /metrics (Prometheus text format): None means on in dev, off in prod.
    metrics: bool | None = None
    # The document store: None is the SQLite file in data_dir; else a sqlite:/// or
    # postgresql:// URL (BAAS_STORE_URL; it may hold a password, so not in repr).
    store_url: str | None = field(default=None, repr=False)
    # /console and its /admin API: None means on in dev, off in prod (BAAS_CONSOLE).
    console: bool | None = None
    # Where the console links a call's run in the Temporal UI (BAAS_TEMPORAL_UI_URL);
    # unset: the embedded server's UI in dev, no link in prod.
    temporal_ui_url: str | None = None
    # FULL: a write survives power loss (the WAL is fsynced at each commit, commits are
    # grouped); NORMAL: it survives a crash of the process (kill -9), not of the machine.
    sqlite_synchronous: Synchronous = "FULL"
    # How long a write waits for another process's write lock before answering 503.
    sqlite_busy_timeout: float = 5.0
    # The HTTP edge (baas.connection_limits): seconds a connection has to send each
    # request's head (threat: slowloris), and how many connections one client address
    # may hold at once (0: no cap; the BAAS_TRUSTED_PROXIES are never capped).
    http_header_timeout: float = 10.0
    http_max_connections_per_client: int = 256
    # The key that seals the store's secrets (BAAS_SECRET_KEY, or the file that
    # BAAS_SECRET_KEY_FILE names; in dev, by default <data_dir>/secret.key). See
    # baas.secret_key and docs/auth.md "Secrets at rest".
    secret_key: str | None = field(default=None, repr=False)
    secret_key_file: Path | None = None

    @property
    def is_dev(self) -> bool:
        """Dev conveniences (readable logs, embedded Temporal UI link) are on."""
        return self.env == "dev"

    @property
    def serves_metrics(self) -> bool:
        """Whether ``/metrics`` answers (BAAS_METRICS; unset: in dev only)."""
        return self.is_dev if self.metrics is None else self.metrics

    @property
    def serves_console(self) -> bool:
        """Whether ``/console`` and ``/admin`` answer (BAAS_CONSOLE; unset: in dev only)."""
        return self.is_dev if self.console is None else self.console

    @property
    def temporal_ui(self) -> str | None:
        """The Temporal UI's base URL, if there is one to link to."""
        if self.temporal_ui_url is not None:
            return self.temporal_ui_url.rstrip("/")
        if self.is_dev and self.temporal_address is None:
            return f"http://127.0.0.1:{self.temporal_ui_port}"
        return None

    @property
    def database_path(self) -> Path:
        """The SQLite file of the embedded document store (unless BAAS_STORE_URL names another)."""
        return self.data_dir / "baas.sqlite3"

    @property
    def store_config(self) -> StoreConfig:
        """Where the document store is (BAAS_STORE_URL, else the SQLite file in data_dir)."""
        if self.store_url is None:
            return self._sqlite(self.database_path)
        config = config_from_url(self.store_url)  # checked when the settings were read
        if isinstance(config, PostgresConfig):
            return config
        return self._sqlite(config.path)

    def _sqlite(self, path: Path) -> SqliteConfig:
        return SqliteConfig(
            path,
            synchronous=self.sqlite_synchronous,
            busy_timeout_ms=round(self.sqlite_busy_timeout * 1000),
        )

    @property
    def dev_key_path(self) -> Path:
        """Where ``baas dev`` keeps the secret key when none is configured."""
        return self.data_dir / "secret.key"

    @property
    def temporal_db_path(self) -> Path:
        """The embedded Temporal dev server's own state file."""
        return self.data_dir / "temporal.sqlite3"

    @property
    def temporal_target(self) -> str:
        """Where clients and workers connect: the configured address or the embedded server."""
        return self.temporal_address or f"127.0.0.1:{self.temporal_port}"

    @property
    def public_url(self) -> str:
        """The API's external base URL (BAAS_PUBLIC_URL): token issuer, OAuth redirects."""
        return self.auth.public_url or f"http://{self.host}:{self.port}"

    def check_serving(self) -> None:
        """Refuse settings a serving process (``baas serve``/``worker``/``dev``) cannot run on.

        In prod, ``BAAS_PUBLIC_URL`` is required: it is the issuer of every access token,
        and its default (``http://BAAS_HOST:BAAS_PORT``) differs between two API processes
        on different ports, so each would reject the other's tokens behind one balancer.
        """
        if not self.is_dev and self.auth.public_url is None:
            raise SettingsError(
                "BAAS_PUBLIC_URL: required when BAAS_ENV=prod (the URL clients reach the API "
                "at; every API process must share it, or each rejects the others' tokens)"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``BAAS_*`` variables.

        By default from ``os.environ`` and the dotenv file (see the module docstring);
        an explicit ``environ`` is taken as it is.
        """
        env = environment_with_file(os.environ, Path.cwd()) if environ is None else environ
        reader = _Reader(env)
        return cls(
            app=reader.get("BAAS_APP", _app_ref, None),
            host=reader.get("BAAS_HOST", _non_empty, cls.host),
            port=reader.get("BAAS_PORT", port, cls.port),
            data_dir=reader.get("BAAS_DATA_DIR", _path, cls.data_dir),
            temporal_address=reader.get("BAAS_TEMPORAL_ADDRESS", _host_port, None),
            temporal_port=reader.get("BAAS_TEMPORAL_PORT", port, cls.temporal_port),
            temporal_ui_port=reader.get("BAAS_TEMPORAL_UI_PORT", port, cls.temporal_ui_port),
            temporal_namespace=reader.get("BAAS_TEMPORAL_NAMESPACE", _non_empty, "default"),
            task_queue=reader.get("BAAS_TASK_QUEUE", _non_empty, "baas"),
            env=reader.get("BAAS_ENV", _environment, "dev"),
            log_level=reader.get("BAAS_LOG_LEVEL", _log_level, "INFO"),
            cors_origins=reader.get("BAAS_CORS_ORIGINS", _csv, ()),
            cors_headers=reader.get("BAAS_CORS_HEADERS", _header_names, DEFAULT_CORS_HEADERS),
            graphql_ws_connections_per_address=reader.get(
                "BAAS_GRAPHQL_WS_CONNECTIONS_PER_ADDRESS", positive_int, 50
            ),
            graphql_persisted_only=reader.get("BAAS_GRAPHQL_PERSISTED_ONLY", boolean, False),
            graphql_apq_documents=reader.get("BAAS_GRAPHQL_APQ_DOCUMENTS", count(0), 2000),
            graphql_apq_max_bytes=reader.get("BAAS_GRAPHQL_APQ_MAX_BYTES", positive_int, 32 * 1024),
            graphql_max_cost=reader.get("BAAS_GRAPHQL_MAX_COST", count(0), cls.graphql_max_cost),
            graphql_cost_per_minute=reader.get(
                "BAAS_GRAPHQL_COST_PER_MINUTE", count(0), cls.graphql_cost_per_minute
            ),
            auth=read_auth_settings(reader),
            reload=reader.get("BAAS_RELOAD", boolean, True),
            secrets={
                name.removeprefix(_SECRET_PREFIX).lower(): value
                for name, value in env.items()
                if name.startswith(_SECRET_PREFIX)
                and len(name) > len(_SECRET_PREFIX)
                and value
                # Threat: the key that seals every secret handed to function code.
                and name not in _SECRET_KEY_VARIABLES
            },
            functions_allow_private_network=reader.get(
                "BAAS_FUNCTIONS_ALLOW_PRIVATE_NETWORK", boolean, False
            ),
            functions_processes=reader.get("BAAS_FUNCTIONS_PROCESSES", count(1), 8),
            functions_warm_processes=reader.get("BAAS_FUNCTIONS_WARM_PROCESSES", count(0), 2),
            functions_memory_mb=reader.get("BAAS_FUNCTIONS_MEMORY_MB", count(1), 512),
            functions_cpu_seconds=reader.get(
                "BAAS_FUNCTIONS_CPU_SECONDS", seconds_between(0.01, 86400), None
            ),
            functions_threads=reader.get("BAAS_FUNCTIONS_THREADS", count(0), 32),
            functions_concurrency=reader.get("BAAS_FUNCTIONS_CONCURRENCY", count(1), None),
            dynamodb_port=reader.get("BAAS_DYNAMODB_PORT", port, None),
            dynamodb_region=reader.get("BAAS_DYNAMODB_REGION", _region, "us-east-1"),
            metrics=reader.get("BAAS_METRICS", boolean, None),
            store_url=reader.get("BAAS_STORE_URL", _store_url, None),
            console=reader.get("BAAS_CONSOLE", boolean, None),
            temporal_ui_url=reader.get("BAAS_TEMPORAL_UI_URL", _http_url, None),
            sqlite_synchronous=reader.get("BAAS_SQLITE_SYNCHRONOUS", _synchronous, "FULL"),
            sqlite_busy_timeout=reader.get("BAAS_SQLITE_BUSY_TIMEOUT", _BUSY_TIMEOUT, 5.0),
            http_header_timeout=reader.get(
                "BAAS_HTTP_HEADER_TIMEOUT", _HEADER_TIMEOUT, cls.http_header_timeout
            ),
            http_max_connections_per_client=reader.get(
                "BAAS_HTTP_MAX_CONNECTIONS_PER_CLIENT",
                _connection_cap,
                cls.http_max_connections_per_client,
            ),
            secret_key=reader.get("BAAS_SECRET_KEY", _non_empty, None),
            secret_key_file=reader.get("BAAS_SECRET_KEY_FILE", _path, None),
        )


def environment_with_file(environ: Mapping[str, str], cwd: Path) -> dict[str, str]:
    """``environ`` over the ``BAAS_*`` lines of its dotenv file (if there is one)."""
    named = environ.get(_ENV_FILE_VARIABLE, "").strip()
    path = cwd / (named or _DEFAULT_ENV_FILE)
    if not path.is_file():
        if named:
            raise SettingsError(f"{_ENV_FILE_VARIABLE}: there is no file at {path}")
        return dict(environ)
    from_file = {
        name: value for name, value in read_env_file(path).items() if name.startswith("BAAS_")
    }
    return {**from_file, **environ}


def read_env_file(path: Path) -> dict[str, str]:
    """The ``NAME=value`` lines of a dotenv file.

    Blank lines and ``#`` comments are skipped, ``export`` before a name is allowed, a
    value may be quoted (then taken as it is) or be followed by `` # a comment``. A
    malformed line is an error naming the file and the line, never its text (it may
    hold a secret).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot be read ({type(exc).__name__})") from None
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        stripped = stripped.removeprefix("export ").lstrip()
        name, equals, value = stripped.partition("=")
        name = name.strip()
        if not equals or not _NAME.match(name):
            raise SettingsError(f"{path}, line {number}: expected NAME=value")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].rstrip()
        values[name] = value
    return values


class _Reader:
    """Reads one variable at a time and names it in any error."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def get(self, name: str, parse: Callable[[str], _T], default: _T) -> _T:
        raw = self._environ.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            return parse(raw.strip())
        except ValueError as exc:
            raise SettingsError(f"{name}: {exc}") from None


def _non_empty(raw: str) -> str:
    return raw


def _path(raw: str) -> Path:
    return Path(raw)


def _store_url(raw: str) -> str:
    config_from_url(raw)  # a ValueError says what is wrong, never echoing the URL
    return raw


def _http_url(raw: str) -> str:
    if not re.match(r"^https?://[^\s/]+(/\S*)?$", raw):
        raise ValueError(f"expected an http:// or https:// URL, got {raw!r}")
    return raw


def _app_ref(raw: str) -> str:
    if not _APP_REF.match(raw):
        raise ValueError(f"expected 'module:attribute' (e.g. examples.board:app), got {raw!r}")
    return raw


def _host_port(raw: str) -> str:
    if not _HOST_PORT.match(raw) or not 1 <= int(raw.rsplit(":", 1)[1]) <= 65535:
        raise ValueError(f"expected 'host:port' (e.g. 127.0.0.1:7233), got {raw!r}")
    return raw


def _environment(raw: str) -> Environment:
    if raw == "dev":
        return "dev"
    if raw == "prod":
        return "prod"
    raise ValueError(f"expected 'dev' or 'prod', got {raw!r}")


def _synchronous(raw: str) -> Synchronous:
    level = raw.upper()
    if level == "FULL":
        return "FULL"
    if level == "NORMAL":
        return "NORMAL"
    raise ValueError(f"expected FULL or NORMAL, got {raw!r}")


def _connection_cap(raw: str) -> int:
    if not raw.isdigit():
        raise ValueError(f"expected a number of connections (0: no cap), got {raw!r}")
    return int(raw)


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in _LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(_LOG_LEVELS)}, got {raw!r}")
    return level


def _region(raw: str) -> str:
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", raw):
        raise ValueError(f"expected an AWS region name such as us-east-1, got {raw!r}")
    return raw


def _header_names(raw: str) -> tuple[str, ...]:
    names = _csv(raw)
    for name in names:
        if name != "*" and not _HEADER_NAME.match(name):
            raise ValueError(f"expected comma-separated header names, got {name!r}")
    return names


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())
