"""deploy/kubernetes/ against the Kubernetes API schemas (kubernetes-validate, strict)."""

from __future__ import annotations

import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.deploy.conftest import DEPLOY

K8S = DEPLOY / "kubernetes"
VERSION = "1.31.0"
MANIFESTS = sorted(K8S.glob("*.yaml"))


def _docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _all() -> list[dict]:
    return [doc for path in MANIFESTS for doc in _docs(path)]


def _kind(kind: str, name: str) -> dict:
    return next(d for d in _all() if d["kind"] == kind and d["metadata"]["name"] == name)


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_valid_against_the_api_schemas(path: Path) -> None:
    for doc in _docs(path):
        kubernetes_validate.validate(doc, VERSION, strict=True)


def test_validation_can_fail() -> None:
    deployment = _kind("Deployment", "review-bot-api")
    broken = {**deployment, "spec": {**deployment["spec"], "replicas": "two"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSION, strict=True)


@pytest.mark.parametrize("name", ["review-bot-api", "review-bot-worker"])
def test_probes_resources_and_hardening(name: str) -> None:
    pod = _kind("Deployment", name)["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    for probe in ("startupProbe", "livenessProbe"):
        assert probe in container, probe
    for part in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][part])
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]


def test_api_probes_are_wired_to_health_and_ready() -> None:
    (api,) = _kind("Deployment", "review-bot-api")["spec"]["template"]["spec"]["containers"]
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    assert api["startupProbe"]["httpGet"]["path"] == "/health"
    assert api["readinessProbe"]["httpGet"]["path"] == "/ready"


def test_every_deployment_has_a_disruption_budget() -> None:
    budgets = {
        d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
        for d in _all()
        if d["kind"] == "PodDisruptionBudget"
    }
    deployments = {d["metadata"]["name"] for d in _all() if d["kind"] == "Deployment"}
    assert deployments <= budgets


def test_workers_scale_on_the_queue_depth_we_export() -> None:
    from review_bot.service.metrics import ServiceMetrics

    hpa = _kind("HorizontalPodAutoscaler", "review-bot-worker")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "review-bot-worker"
    (metric,) = hpa["spec"]["metrics"]
    exported = {m.name for m in ServiceMetrics().registry.collect()}
    assert metric["external"]["metric"]["name"] in exported
    keda = yaml.safe_load((K8S / "keda" / "scaledobject.yaml").read_text())
    assert keda["spec"]["scaleTargetRef"]["name"] == "review-bot-worker"
    assert "review_bot_queue_depth" in keda["spec"]["triggers"][0]["metadata"]["query"]


def test_no_secret_in_any_manifest() -> None:
    for doc in _all():
        assert doc["kind"] != "Secret"
    config = _kind("ConfigMap", "review-bot-config")["data"]
    for key, value in config.items():
        if re.search(r"SECRET|TOKEN|PASSWORD|PRIVATE_KEY|API_KEY|AUDIT_KEY|REDIS_URL", key):
            assert key.endswith("_FILE"), key
            assert value.startswith("/run/secrets/"), key


def test_network_policy_covers_every_pod() -> None:
    policy = _kind("NetworkPolicy", "review-bot")
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    selector = policy["spec"]["podSelector"]["matchLabels"]
    for d in _all():
        if d["kind"] == "Deployment":
            labels = d["spec"]["template"]["metadata"]["labels"]
            assert selector.items() <= labels.items()


def test_retention_runs_daily_with_the_shared_config() -> None:
    job = _kind("CronJob", "review-bot-retention")
    assert job["spec"]["concurrencyPolicy"] == "Forbid"
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == ["retention", "run"]
    assert container["envFrom"] == [{"configMapRef": {"name": "review-bot-config"}}]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    labels = job["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    selector = _kind("NetworkPolicy", "review-bot")["spec"]["podSelector"]["matchLabels"]
    assert selector.items() <= labels.items()  # it reaches Redis and PostgreSQL like the rest
    from review_bot.cli import _parser

    assert _parser(container["args"]).parse_args(container["args"]).action == "run"
