"""Alert rules (promtool), the Grafana dashboard and the collector config name real metrics."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from review_bot.service.metrics import ServiceMetrics
from tests.deploy.conftest import DEPLOY, need

PROM = DEPLOY / "prometheus"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "review-bot.json"
_FUNCTIONS = {
    "sum", "max", "min", "avg", "rate", "increase", "histogram_quantile", "by", "and", "or",
    "on", "le", "count", "without", "humanizePercentage", "humanizeDuration",
}  # fmt: skip


def _exported() -> set[str]:
    """Every sample name our service's registry can expose (with _total, _bucket ...)."""
    names: set[str] = set()
    for family in ServiceMetrics().registry.collect():
        base = family.name
        names.add(base)
        if family.type == "counter":
            names.add(f"{base}_total")
        if family.type == "histogram":
            names.update(f"{base}_{s}" for s in ("bucket", "sum", "count"))
    return names


def _metric_names(expr: str) -> set[str]:
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r"\(([a-z_, ]+)\)", lambda m: "" if m.group(1) in ("le", "outcome", "kind",
                  "result", "dependency") else m.group(0), expr)  # fmt: skip
    words = set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b", expr))
    return {w for w in words if w not in _FUNCTIONS and w.startswith("review_bot")}


def _promtool() -> str:
    return shutil.which("promtool") or need("promtool")


def test_promtool_checks_the_rules() -> None:
    proc = subprocess.run([_promtool(), "check", "rules", str(PROM / "alerts.yml")],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_promtool_unit_tests_of_the_alerts() -> None:
    proc = subprocess.run([_promtool(), "test", "rules", "alerts_test.yml"], cwd=PROM,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


def test_the_alert_tests_can_fail(tmp_path: Path) -> None:
    rules = (PROM / "alerts.yml").read_text().replace("> 50", "> 500")
    (tmp_path / "alerts.yml").write_text(rules)
    shutil.copy(PROM / "alerts_test.yml", tmp_path)
    proc = subprocess.run([_promtool(), "test", "rules", "alerts_test.yml"], cwd=tmp_path,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode != 0


def test_prometheus_config_is_valid(tmp_path: Path) -> None:
    config = (PROM / "prometheus.yml").read_text()
    shutil.copy(PROM / "alerts.yml", tmp_path / "alerts.yml")
    (tmp_path / "prometheus.yml").write_text(
        config.replace("/etc/prometheus/alerts.yml", str(tmp_path / "alerts.yml"))
    )
    proc = subprocess.run([_promtool(), "check", "config", str(tmp_path / "prometheus.yml")],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_alert_names_metrics_we_export() -> None:
    exported = _exported()
    rules = yaml.safe_load((PROM / "alerts.yml").read_text())
    alerts = [r for group in rules["groups"] for r in group["rules"]]
    assert {a["alert"] for a in alerts} >= {
        "ReviewBotQueueBacklog", "ReviewBotQueueStalled", "ReviewBotReviewErrors",
        "ReviewBotModelBreakerOpen", "ReviewBotWebhookAckSlow",
    }  # fmt: skip
    for alert in alerts:
        names = _metric_names(alert["expr"])
        assert names, alert["alert"]
        assert names <= exported, (alert["alert"], names - exported)
        assert alert["annotations"]["runbook"].startswith("docs/operations.md#")


def test_every_alert_has_a_runbook_entry() -> None:
    runbook = (DEPLOY.parent / "docs" / "operations.md").read_text().lower()
    rules = yaml.safe_load((PROM / "alerts.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert f"### {rule['alert'].lower()}" in runbook, rule["alert"]


@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def test_every_panel_queries_metrics_we_export(dashboard: dict) -> None:
    exported = _exported()
    assert len(dashboard["panels"]) >= 8
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "prometheus"
        for target in panel["targets"]:
            names = _metric_names(target["expr"])
            assert names, panel["title"]
            assert names <= exported, (panel["title"], names - exported)


def test_dashboard_shows_reviews_cost_cache_tools_and_models(dashboard: dict) -> None:
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for metric in ("review_bot_jobs_total", "review_bot_model_cost_usd_total",
                   "review_bot_cache_hit_ratio", "review_bot_tool_runs_total",
                   "review_bot_model_tokens_total", "review_bot_breaker_state"):  # fmt: skip
        assert metric in exprs, metric
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_grafana_provisioning_points_at_the_dashboards() -> None:
    prov = DEPLOY / "grafana" / "provisioning"
    sources = yaml.safe_load((prov / "datasources" / "prometheus.yaml").read_text())
    assert "prometheus" in {s["uid"] for s in sources["datasources"]}
    providers = yaml.safe_load((prov / "dashboards" / "review-bot.yaml").read_text())
    assert providers["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"


def test_collector_pipeline_uses_what_it_defines() -> None:
    config = yaml.safe_load((DEPLOY / "otel" / "collector.yaml").read_text())
    for pipeline in config["service"]["pipelines"].values():
        for kind in ("receivers", "processors", "exporters"):
            assert set(pipeline[kind]) <= set(config[kind]), kind
