from pathlib import Path

import pytest

from baas.config import Settings, environment_with_file
from baas.errors import SettingsError


def test_defaults_are_a_laptop() -> None:
    settings = Settings.from_env({})
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.data_dir == Path(".baas")
    assert settings.temporal_address is None
    assert settings.temporal_target == "127.0.0.1:7233"
    assert (settings.temporal_port, settings.temporal_ui_port) == (7233, 8233)
    assert settings.env == "dev"
    assert settings.is_dev
    assert settings.app is None
    assert settings.reload


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "BAAS_APP": "examples.board:app",
            "BAAS_HOST": "localhost",
            "BAAS_PORT": "9000",
            "BAAS_DATA_DIR": "/var/lib/baas",
            "BAAS_TEMPORAL_ADDRESS": "temporal.internal:7233",
            "BAAS_TEMPORAL_PORT": "7300",
            "BAAS_TEMPORAL_UI_PORT": "8300",
            "BAAS_ENV": "prod",
            "BAAS_LOG_LEVEL": "debug",
            "BAAS_CORS_ORIGINS": "https://a.example, https://b.example",
            "BAAS_RELOAD": "off",
            "BAAS_FUNCTIONS_PROCESSES": "4",
            "BAAS_FUNCTIONS_WARM_PROCESSES": "0",
            "BAAS_FUNCTIONS_MEMORY_MB": "256",
            "BAAS_FUNCTIONS_CPU_SECONDS": "2.5",
            "BAAS_FUNCTIONS_THREADS": "0",
            "BAAS_FUNCTIONS_CONCURRENCY": "3",
        }
    )
    assert settings.app == "examples.board:app"
    assert settings.host == "localhost"
    assert settings.port == 9000
    assert settings.database_path == Path("/var/lib/baas/baas.sqlite3")
    assert settings.temporal_target == "temporal.internal:7233"
    assert (settings.temporal_port, settings.temporal_ui_port) == (7300, 8300)
    assert not settings.is_dev
    assert settings.log_level == "DEBUG"
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert not settings.reload
    pool = (settings.functions_processes, settings.functions_warm_processes)
    assert pool == (4, 0)
    assert (settings.functions_memory_mb, settings.functions_cpu_seconds) == (256, 2.5)
    assert (settings.functions_threads, settings.functions_concurrency) == (0, 3)


def test_metrics_are_served_in_dev_and_in_prod_only_when_asked() -> None:
    assert Settings.from_env({}).serves_metrics
    assert not Settings.from_env({"BAAS_ENV": "prod"}).serves_metrics
    assert Settings.from_env({"BAAS_ENV": "prod", "BAAS_METRICS": "true"}).serves_metrics
    assert not Settings.from_env({"BAAS_METRICS": "false"}).serves_metrics


def test_the_console_is_on_in_dev_and_in_prod_only_when_asked() -> None:
    assert Settings.from_env({}).serves_console
    assert not Settings.from_env({"BAAS_ENV": "prod"}).serves_console
    assert Settings.from_env({"BAAS_ENV": "prod", "BAAS_CONSOLE": "true"}).serves_console
    assert not Settings.from_env({"BAAS_CONSOLE": "false"}).serves_console
    assert Settings.from_env({"BAAS_TEMPORAL_UI_PORT": "9000"}).temporal_ui == (
        "http://127.0.0.1:9000"
    )
    assert Settings.from_env({"BAAS_ENV": "prod"}).temporal_ui is None
    ui = Settings.from_env({"BAAS_TEMPORAL_UI_URL": "https://temporal.example.com/"})
    assert ui.temporal_ui == "https://temporal.example.com"


def test_the_store_fsyncs_every_commit_unless_told_otherwise(tmp_path: Path) -> None:
    default = Settings.from_env({"BAAS_DATA_DIR": str(tmp_path)}).store_config
    assert (default.path, default.synchronous) == (tmp_path / "baas.sqlite3", "FULL")
    relaxed = Settings.from_env({"BAAS_SQLITE_SYNCHRONOUS": "normal"}).store_config
    assert relaxed.synchronous == "NORMAL"


def test_blank_values_mean_default() -> None:
    assert Settings.from_env({"BAAS_PORT": "  ", "BAAS_TEMPORAL_ADDRESS": ""}) == Settings()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BAAS_PORT", "eighty"),
        ("BAAS_PORT", "0"),
        ("BAAS_PORT", "70000"),
        ("BAAS_PORT", "-1"),
        ("BAAS_TEMPORAL_PORT", "7233x"),
        ("BAAS_TEMPORAL_UI_PORT", "99999"),
        ("BAAS_ENV", "production"),
        ("BAAS_APP", "examples.board"),
        ("BAAS_APP", "examples board:app"),
        ("BAAS_TEMPORAL_ADDRESS", "localhost"),
        ("BAAS_TEMPORAL_ADDRESS", "localhost:port"),
        ("BAAS_TEMPORAL_ADDRESS", "localhost:99999"),
        ("BAAS_LOG_LEVEL", "LOUD"),
        ("BAAS_RELOAD", "maybe"),
        ("BAAS_METRICS", "sometimes"),
        ("BAAS_CONSOLE", "sometimes"),
        ("BAAS_TEMPORAL_UI_URL", "temporal.example.com"),
        ("BAAS_SQLITE_SYNCHRONOUS", "OFF"),
        ("BAAS_HTTP_HEADER_TIMEOUT", "0"),
        ("BAAS_HTTP_HEADER_TIMEOUT", "soon"),
        ("BAAS_HTTP_MAX_CONNECTIONS_PER_CLIENT", "-1"),
        ("BAAS_HTTP_MAX_CONNECTIONS_PER_CLIENT", "many"),
        ("BAAS_FUNCTIONS_PROCESSES", "0"),
        ("BAAS_FUNCTIONS_WARM_PROCESSES", "-1"),
        ("BAAS_FUNCTIONS_MEMORY_MB", "lots"),
        ("BAAS_FUNCTIONS_CPU_SECONDS", "0"),
        ("BAAS_FUNCTIONS_CPU_SECONDS", "nan"),
        ("BAAS_FUNCTIONS_THREADS", "1.5"),
        ("BAAS_FUNCTIONS_CONCURRENCY", "0"),
        ("BAAS_GRAPHQL_MAX_COST", "-1"),
        ("BAAS_GRAPHQL_COST_PER_MINUTE", "lots"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({variable: value})
    assert raised.value.message.startswith(f"{variable}: ")
    assert repr(value.strip()) in raised.value.message


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


def test_function_secrets_come_from_baas_secret_variables_and_stay_out_of_repr() -> None:
    settings = Settings.from_env(
        {"BAAS_SECRET_STRIPE_KEY": "sk_live_123", "BAAS_SECRET_": "ignored", "BAAS_PORT": "9000"}
    )
    assert dict(settings.secrets) == {"stripe_key": "sk_live_123"}
    assert "sk_live_123" not in repr(settings)
    assert not settings.functions_allow_private_network
    assert Settings.from_env(
        {"BAAS_FUNCTIONS_ALLOW_PRIVATE_NETWORK": "true"}
    ).functions_allow_private_network


def test_a_dotenv_file_in_the_working_directory_is_read_under_the_environment(
    tmp_path: Path,
) -> None:
    (tmp_path / ".env").write_text(
        "# local settings\n"
        "BAAS_PORT=9100\n"
        "export BAAS_LOG_LEVEL=debug  # while debugging\n"
        "BAAS_SECRET_STRIPE_KEY='sk # not a comment'\n"
        'BAAS_CORS_ORIGINS="https://a.example, https://b.example"\n'
        "\n"
        "DATABASE_URL=postgres://other-tool\n"
        "BAAS_HOST=from-file\n"
    )
    env = environment_with_file({"BAAS_HOST": "from-environment"}, tmp_path)
    settings = Settings.from_env(env)

    assert settings.port == 9100
    assert settings.log_level == "DEBUG"
    assert settings.secrets == {"stripe_key": "sk # not a comment"}
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.host == "from-environment"  # the environment wins
    assert "DATABASE_URL" not in env  # another tool's line is left alone


def test_without_a_dotenv_file_the_environment_is_all(tmp_path: Path) -> None:
    assert environment_with_file({"BAAS_PORT": "9000"}, tmp_path) == {"BAAS_PORT": "9000"}


def test_baas_env_file_names_another_file_and_it_must_exist(tmp_path: Path) -> None:
    (tmp_path / "staging.env").write_text("BAAS_PORT=9200\n")
    env = environment_with_file({"BAAS_ENV_FILE": "staging.env"}, tmp_path)
    assert Settings.from_env(env).port == 9200
    with pytest.raises(SettingsError, match="BAAS_ENV_FILE: there is no file at"):
        environment_with_file({"BAAS_ENV_FILE": "missing.env"}, tmp_path)


def test_a_malformed_line_names_the_file_and_line_but_not_its_text(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("BAAS_PORT=9000\nhunter2 is my password\n")
    with pytest.raises(SettingsError) as raised:
        environment_with_file({}, tmp_path)
    assert raised.value.message.endswith(".env, line 2: expected NAME=value")
    assert "hunter2" not in raised.value.message


def test_settings_from_the_process_read_the_working_directorys_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("BAAS_TASK_QUEUE=from-dotenv\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BAAS_TASK_QUEUE", raising=False)
    monkeypatch.delenv("BAAS_ENV_FILE", raising=False)
    assert Settings.from_env().task_queue == "from-dotenv"


def test_cors_headers_default_to_tracing_headers_and_refuse_non_tokens() -> None:
    assert "traceparent" in Settings.from_env({}).cors_headers
    assert Settings.from_env({"BAAS_CORS_HEADERS": "a-b, c"}).cors_headers == ("a-b", "c")
    with pytest.raises(SettingsError, match="BAAS_CORS_HEADERS"):
        Settings.from_env({"BAAS_CORS_HEADERS": "bad header"})


def test_prod_refuses_to_serve_without_a_public_url() -> None:
    Settings.from_env({}).check_serving()  # dev: the default URL is fine on a laptop
    Settings.from_env(
        {"BAAS_ENV": "prod", "BAAS_PUBLIC_URL": "https://api.example"}
    ).check_serving()
    with pytest.raises(SettingsError, match=r"^BAAS_PUBLIC_URL: required when BAAS_ENV=prod"):
        Settings.from_env({"BAAS_ENV": "prod"}).check_serving()


def test_the_store_busy_timeout_is_read_in_seconds() -> None:
    assert Settings.from_env({}).store_config.busy_timeout_ms == 5000
    assert (
        Settings.from_env({"BAAS_SQLITE_BUSY_TIMEOUT": "0.5"}).store_config.busy_timeout_ms == 500
    )
    for bad in ("0", "soon", "600"):
        with pytest.raises(SettingsError, match="BAAS_SQLITE_BUSY_TIMEOUT"):
            Settings.from_env({"BAAS_SQLITE_BUSY_TIMEOUT": bad})


def test_the_http_edge_limits_are_read() -> None:
    defaults = Settings.from_env({})
    assert (defaults.http_header_timeout, defaults.http_max_connections_per_client) == (10.0, 256)
    settings = Settings.from_env(
        {"BAAS_HTTP_HEADER_TIMEOUT": "2.5", "BAAS_HTTP_MAX_CONNECTIONS_PER_CLIENT": "0"}
    )
    assert (settings.http_header_timeout, settings.http_max_connections_per_client) == (2.5, 0)


def test_the_graphql_cost_limits_are_read_and_zero_turns_them_off() -> None:
    defaults = Settings.from_env({})
    assert (defaults.graphql_max_cost, defaults.graphql_cost_per_minute) == (50_000, 1_000_000)
    settings = Settings.from_env(
        {"BAAS_GRAPHQL_MAX_COST": "0", "BAAS_GRAPHQL_COST_PER_MINUTE": "5000"}
    )
    assert (settings.graphql_max_cost, settings.graphql_cost_per_minute) == (0, 5000)
