"""The shipped Prometheus config, alert rules and Grafana dashboard are valid for promtool."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

DEPLOY = REPO / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "jobintel.json"

# The metric names jobintel exports (issue 6, OB-1). Histograms also expose _bucket/_sum/_count.
COUNTERS_AND_GAUGES = frozenset(
    {
        "jobintel_external_calls_total",
        "jobintel_external_tokens_total",
        "jobintel_external_cost_usd_total",
        "jobintel_external_calls_in_flight",
        "jobintel_budget_spent_usd",
        "jobintel_budget_limit_usd",
        "jobintel_breaker_state",
        "jobintel_ratelimit_waits_total",
        "jobintel_ratelimit_headroom_ratio",
        "jobintel_guard_events_total",
        "jobintel_stage_outcomes_total",
        "jobintel_runs_total",
        "jobintel_runs_running",
        "jobintel_run_oldest_running_seconds",
        "jobintel_service_queue_depth",
    }
)
HISTOGRAMS = frozenset(
    {
        "jobintel_external_call_duration_seconds",
        "jobintel_ratelimit_wait_seconds",
        "jobintel_stage_duration_seconds",
    }
)
KNOWN_SERIES = (
    COUNTERS_AND_GAUGES
    | HISTOGRAMS
    | {f"{h}_{suffix}" for h in HISTOGRAMS for suffix in ("bucket", "sum", "count")}
)
EXPECTED_ALERTS = {
    "JobintelRunTooLong",
    "JobintelStageFailureRateHigh",
    "JobintelExternalApiFailureRateHigh",
    "JobintelBreakerOpen",
    "JobintelBudgetNearlySpent",
    "JobintelBudgetExhausted",
    "JobintelPricedModelReportsZeroCost",
}
# Grafana's built-in interval variables, replaced by fixed durations so promtool can parse.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}
METRIC_NAME = re.compile(r"\bjobintel_[a-z0-9_]+\b")


@pytest.fixture
def promtool() -> str:
    """Path to promtool; its absence is a broken CI machine, never a reason to skip."""
    found = shutil.which("promtool")
    if found is None:
        pytest.fail(
            "promtool not found on PATH: .ci/run installs Debian's `prometheus` package, "
            "which provides it (or run `apt-get install -y prometheus`)"
        )
    return found


def run_promtool(promtool: str, *args: str | Path) -> str:
    """Run promtool and fail the test with its full output unless it exits 0."""
    done = subprocess.run(
        [promtool, *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )
    output = f"$ promtool {' '.join(map(str, args))}\n{done.stdout}{done.stderr}"
    assert done.returncode == 0, output
    return output


def load_rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load((PROMETHEUS / "rules" / "jobintel.rules.yml").read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def dashboard_panels() -> list[dict[str, Any]]:
    dashboard = json.loads(DASHBOARD.read_text())
    panels: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))  # panels folded inside collapsed rows
    return [p for p in panels if p["type"] != "row"]


def grafana_to_promql(expr: str) -> str:
    for variable, duration in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, duration)
    return expr


def test_scrape_config_is_valid(promtool: str, tmp_path: Path) -> None:
    """`promtool check config` accepts prometheus.yml, with its rule file, once the token exists."""
    deployed = tmp_path / "prometheus"
    shutil.copytree(PROMETHEUS, deployed)
    (deployed / "jobintel-metrics.token").write_text("example-token\n")
    output = run_promtool(promtool, "check", "config", deployed / "prometheus.yml")
    assert "1 rule files found" in output, output


def test_scrape_config_targets_service_with_bearer_token_and_cli_port() -> None:
    """The service job sends a bearer token from a file; the CLI job scrapes --metrics-port."""
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    service = jobs["jobintel-service"]
    assert service["metrics_path"] == "/metrics"
    assert service["authorization"]["type"] == "Bearer"
    assert service["authorization"]["credentials_file"]
    assert "credentials" not in service["authorization"]  # never a token inline in the config
    assert jobs["jobintel-cli"]["metrics_path"] == "/metrics"
    assert config["rule_files"] == ["rules/jobintel.rules.yml"]


def test_alert_rules_are_valid(promtool: str) -> None:
    """`promtool check rules` accepts the shipped alert rules."""
    run_promtool(promtool, "check", "rules", PROMETHEUS / "rules" / "jobintel.rules.yml")


def test_alert_rules_unit_tests_pass(promtool: str) -> None:
    """`promtool test rules` passes: each alert fires on its input series and stays silent otherwise."""
    output = run_promtool(
        promtool, "test", "rules", PROMETHEUS / "tests" / "jobintel.rules.test.yml"
    )
    assert "SUCCESS" in output, output


def test_every_alert_is_labelled_documented_and_unit_tested() -> None:
    """Each issue-6 alert exists with a severity, summary and description, and has a firing and a silent case."""
    rules = load_rules()
    assert {rule["alert"] for rule in rules} == EXPECTED_ALERTS
    for rule in rules:
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["annotations"]["description"], rule["alert"]
    unit_tests = yaml.safe_load((PROMETHEUS / "tests" / "jobintel.rules.test.yml").read_text())
    fired: set[str] = set()
    silent: set[str] = set()
    for case in unit_tests["tests"]:
        for check in case["alert_rule_test"]:
            (fired if check["exp_alerts"] else silent).add(check["alertname"])
    assert fired == EXPECTED_ALERTS
    assert silent == EXPECTED_ALERTS


def test_alert_rules_use_only_exported_metrics() -> None:
    """Alert expressions reference only metric names jobintel actually exports."""
    for rule in load_rules():
        names = set(METRIC_NAME.findall(rule["expr"]))
        assert names, rule["alert"]
        assert names <= KNOWN_SERIES, (rule["alert"], names - KNOWN_SERIES)


def test_dashboard_panels_query_only_exported_metrics() -> None:
    """Every dashboard panel has a PromQL query on the templated datasource using only exported metrics."""
    dashboard = json.loads(DASHBOARD.read_text())
    assert 36 <= dashboard["schemaVersion"] <= 41
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["DS_PROMETHEUS"]["type"] == "datasource"
    used: set[str] = set()
    for panel in dashboard_panels():
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            names = set(METRIC_NAME.findall(target["expr"]))
            assert names, (panel["title"], target["expr"])
            assert names <= KNOWN_SERIES, (panel["title"], names - KNOWN_SERIES)
            used |= names
    # Every exported metric is on the dashboard (histograms through their buckets).
    shown = {name.removesuffix("_bucket") for name in used}
    missing = (COUNTERS_AND_GAUGES | HISTOGRAMS) - shown
    assert not missing, missing


def test_dashboard_queries_are_valid_promql(promtool: str, tmp_path: Path) -> None:
    """Every panel query parses as PromQL: loaded as recording rules, `promtool check rules` accepts them."""
    rules = [
        {"record": f"jobintel_dashboard:panel_{panel['id']}_{target['refId']}", "expr": expr}
        for panel in dashboard_panels()
        for target in panel["targets"]
        if (expr := grafana_to_promql(target["expr"]))
    ]
    rule_file = tmp_path / "dashboard.rules.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    output = run_promtool(promtool, "check", "rules", rule_file)
    assert f"{len(rules)} rules found" in output, output


def test_grafana_provisioning_points_at_a_dashboard_folder() -> None:
    """The provisioning file declares a file provider and the datasource example is Prometheus."""
    grafana = DEPLOY / "grafana" / "provisioning"
    provider = yaml.safe_load((grafana / "dashboards" / "jobintel.yml").read_text())
    assert provider["providers"][0]["type"] == "file"
    assert provider["providers"][0]["options"]["path"]
    datasource = yaml.safe_load((grafana / "datasources" / "prometheus.example.yml").read_text())
    assert datasource["datasources"][0]["type"] == "prometheus"


def test_external_failure_rule_leaves_out_the_same_refusals_as_the_in_process_rule() -> None:
    """The Prometheus rule and the in-process alert both ignore calls the guard refused before
    sending (budget, price, rate-limit wait, no provider), and both count answered calls (a
    success, a declined task) as no failure, so they fire on the same thing."""
    from jobintel.observability.alerts.rules import ANSWERED, NOT_SENT

    rules = yaml.safe_load((PROMETHEUS / "rules" / "jobintel.rules.yml").read_text())
    (rule,) = [
        r
        for group in rules["groups"]
        for r in group["rules"]
        if r.get("alert") == "JobintelExternalApiFailureRateHigh"
    ]
    numerator, *denominators = re.findall(r'outcome!~"([^"]+)"', rule["expr"])
    assert set(numerator.split("|")) == NOT_SENT | ANSWERED
    assert [set(pattern.split("|")) for pattern in denominators] == [NOT_SENT, NOT_SENT]


def test_dashboard_failure_ratio_counts_as_the_alert_and_shows_refusals_apart() -> None:
    """The dashboard's failure ratio leaves out the guard's refusals exactly as the alert
    does (so a line above 20% is what fires it); its second line is the refused share."""
    from jobintel.observability.alerts.rules import ANSWERED, NOT_SENT

    (panel,) = [p for p in dashboard_panels() if p["title"].startswith("Failure and refusal")]
    failed, refused = (target["expr"] for target in panel["targets"])
    numerator, denominator = re.findall(r'outcome!~"([^"]+)"', failed)
    assert set(numerator.split("|")) == NOT_SENT | ANSWERED  # failures only
    assert set(denominator.split("|")) == NOT_SENT
    (included,) = re.findall(r'outcome=~"([^"]+)"', refused)
    assert set(included.split("|")) == NOT_SENT
