"""HttpMetrics: bounded labels and Prometheus's text format."""

from __future__ import annotations

from baas.metrics import RECENT_ERRORS, HttpMetrics, path_group


def test_paths_fall_into_a_fixed_set_of_groups() -> None:
    assert path_group("/") == "/"
    assert path_group("/graphql") == "/graphql"
    assert path_group("/auth/sign-in") == "/auth"
    assert path_group("/dynamodb") == "/dynamodb"
    assert path_group("/.well-known/jwks.json") == "/.well-known"
    assert path_group("/graphqlx") == "other"
    assert path_group("/wp-admin/../../etc/passwd") == "other"


def test_counts_and_a_cumulative_histogram_are_rendered() -> None:
    metrics = HttpMetrics()
    metrics.observe("POST", "/graphql", 200, 0.003)
    metrics.observe("POST", "/graphql", 200, 0.2)
    metrics.observe("POST", "/graphql", 400, 30.0)  # above every bucket: +Inf only
    text = metrics.render()

    assert 'baas_http_requests_total{method="POST",path="/graphql",status="200"} 2' in text
    assert 'baas_http_requests_total{method="POST",path="/graphql",status="400"} 1' in text
    assert 'baas_http_request_duration_seconds_bucket{path="/graphql",le="0.005"} 1' in text
    assert 'baas_http_request_duration_seconds_bucket{path="/graphql",le="0.25"} 2' in text
    assert 'baas_http_request_duration_seconds_bucket{path="/graphql",le="10.0"} 2' in text
    assert 'baas_http_request_duration_seconds_bucket{path="/graphql",le="+Inf"} 3' in text
    assert 'baas_http_request_duration_seconds_count{path="/graphql"} 3' in text
    assert 'baas_http_request_duration_seconds_sum{path="/graphql"} 30.203000' in text
    assert text.endswith("\n")


def test_a_method_a_client_made_up_does_not_become_a_label() -> None:
    metrics = HttpMetrics()
    metrics.observe("BREW", "/", 405, 0.001)
    text = metrics.render()
    assert 'method="other",path="/",status="405"' in text
    assert "BREW" not in text


def test_the_summary_gives_rates_errors_percentiles_and_recent_errors_by_request_id() -> None:
    metrics = HttpMetrics()
    for _ in range(18):
        metrics.observe("POST", "/graphql", 200, 0.004)
    metrics.observe("POST", "/graphql", 400, 0.2, "req-client")
    metrics.observe("GET", "/admin/calls?next=secret-code", 503, 0.03, "req-server")
    summary = metrics.summary()

    graphql = next(g for g in summary["groups"] if g["path"] == "/graphql")
    assert (graphql["requests"], graphql["client_errors"], graphql["server_errors"]) == (19, 1, 0)
    assert graphql["p50_ms"] == 5.0  # the 5 ms bucket holds the median
    assert graphql["p95_ms"] == 250.0  # the 19th of 19 is the slow one
    admin = next(g for g in summary["groups"] if g["path"] == "/admin")
    assert admin["server_errors"] == 1
    newest, oldest = summary["recent_errors"]
    assert (newest["request_id"], newest["status"]) == ("req-server", 503)
    assert (oldest["request_id"], oldest["status"]) == ("req-client", 400)
    assert len(summary["recent_errors"]) == 2  # the 200s are no errors


def test_recent_errors_are_bounded() -> None:
    metrics = HttpMetrics()
    for number in range(RECENT_ERRORS + 10):
        metrics.observe("GET", "/auth/me", 401, 0.001, f"req-{number}")
    errors = metrics.summary()["recent_errors"]
    assert len(errors) == RECENT_ERRORS
    assert errors[0]["request_id"] == f"req-{RECENT_ERRORS + 9}"
