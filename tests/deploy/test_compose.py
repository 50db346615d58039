"""deploy/compose.yaml against the Compose specification, and its references resolved."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.deploy.conftest import DEPLOY, need

COMPOSE = DEPLOY / "compose.yaml"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _compose_schema() -> dict:
    # the Compose specification's schema as vendored by check-jsonschema (a dev dependency)
    path = resources.files("check_jsonschema") / "builtin_schemas" / "vendor" / "compose-spec.json"
    return json.loads(path.read_text())


def test_valid_against_the_compose_specification(compose: dict) -> None:
    jsonschema.validate(compose, _compose_schema())


def test_the_schema_check_can_fail(compose: dict) -> None:
    broken = {**compose, "services": {**compose["services"], "api": {"image": 5, "replicas": "x"}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, _compose_schema())


def test_every_role_is_there(compose: dict) -> None:
    services = compose["services"]
    for name in ("lb", "api", "worker", "redis", "postgres", "otel-collector", "jaeger",
                 "prometheus", "grafana"):  # fmt: skip
        assert name in services, name
    assert services["api"]["deploy"]["replicas"] >= 2
    assert services["worker"]["command"][0] == "worker"
    assert services["retention"]["command"][:2] == ["retention", "run"]  # the daily sweep
    for name, service in services.items():
        assert service.get("restart") == "unless-stopped", name


def test_secrets_are_files_never_values(compose: dict) -> None:
    declared = set(compose["secrets"])
    for name, service in compose["services"].items():
        for item in service.get("secrets", []):
            source = item["source"] if isinstance(item, dict) else item
            assert source in declared, f"{name} uses undeclared secret {source}"
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"SECRET|TOKEN|PASSWORD|PRIVATE_KEY|API_KEY|AUDIT_KEY", key):
                assert key.endswith("_FILE"), f"{name}: {key} must come from a secret file"
                assert str(value).startswith("/run/secrets/"), (name, key)
    for secret in compose["secrets"].values():
        assert secret["file"].startswith("./secrets/")


def test_mounted_config_files_exist(compose: dict) -> None:
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), f"{name} mounts missing {source}"
    env_example = DEPLOY / "review-bot.env.example"
    assert env_example.exists()


def test_health_checks_on_every_stateful_service(compose: dict) -> None:
    for name in ("lb", "api", "worker", "redis", "postgres", "prometheus"):
        assert "healthcheck" in compose["services"][name], name


@pytest.fixture
def nginx_conf(tmp_path: Path) -> Path:
    """Our nginx.conf with the compose host names and certificate paths made local."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "review-bot.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    (tmp_path / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "tls.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    text = (DEPLOY / "nginx" / "nginx.conf").read_text()
    text = text.replace("server api:8080", "server 127.0.0.1:8080")
    text = text.replace(" /tmp/", f" {tmp_path}/")
    text = text.replace("/etc/nginx/tls/", f"{tmp_path}/")
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    return conf


def test_nginx_accepts_the_load_balancer_config(nginx_conf: Path) -> None:
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if nginx is None:
        need("nginx")
    proc = subprocess.run(
        [nginx, "-t", "-q", "-c", str(nginx_conf), "-p", str(nginx_conf.parent),
         "-g", "user root;"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


def test_load_balancer_passes_live_sessions_through() -> None:
    text = (DEPLOY / "nginx" / "nginx.conf").read_text()
    assert "client_max_body_size 50m;" in text
    assert "ip_hash;" in text  # affinity
    assert "proxy_set_header Upgrade $http_upgrade;" in text  # WebSocket
    assert "proxy_buffering off;" in text  # SSE
    assert "ssl_certificate " in text


def test_nginx_check_can_fail(nginx_conf: Path) -> None:
    nginx_conf.write_text(nginx_conf.read_text().replace("ip_hash;", "ip_hash"))
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin") or need("nginx")
    proc = subprocess.run(
        [nginx, "-t", "-q", "-c", str(nginx_conf), "-p", str(nginx_conf.parent)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
