"""Dockerfile, Compose stacks and the systemd unit, checked without Docker (none on our build
machines): structure, healthchecks, settings that fitbit-sync accepts, provisioning that exists
and is fed every variable it reads, and the unit through ``systemd-analyze verify``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from fitbit_sync.config import Settings, load_settings
from fitbit_sync.errors import ExitCode

ROOT = Path(__file__).resolve().parents[3]
STACKS = {"compose.yml": ("influxdb1", "influxdb"), "compose.influxdb2.yml": ("influxdb2", "influxdb"),
          "compose.influxdb3.yml": ("influxdb3", "influxdb"), "compose.postgres.yml": ("postgres", "postgres")}


def resolve(value: str) -> str:
    """Compose's ${VAR:-default} with an empty environment: the defaults."""
    return re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", str(value))


@pytest.mark.parametrize("name", sorted(STACKS))
def test_compose_stack(name: str, tmp_path: Path) -> None:
    store, database = STACKS[name]
    stack = yaml.safe_load((ROOT / name).read_text())
    services = stack["services"]
    assert set(services) == {database, "fitbit-sync", "grafana"}
    for service in (database, "grafana"):
        assert services[service]["healthcheck"]["test"], service
        assert "ports" not in services[service] or service == "grafana"  # the database stays inside
    assert services["grafana"]["ports"] == ["${GRAFANA_BIND:-127.0.0.1}:${GRAFANA_PORT:-3000}:3000"]
    app = services["fitbit-sync"]
    assert app["build"] == "." and app["command"] == ["daemon"]
    assert app["depends_on"][database]["condition"] == "service_healthy"
    assert app["volumes"] == ["fitbit-sync:/data"] and app["user"].endswith(":0")

    env = {k: resolve(v) for k, v in app["environment"].items()}
    known = {f"FITBIT_SYNC_{name.upper()}" for name in Settings.model_fields}
    assert set(env) <= known, set(env) - known
    settings = load_settings(**{k[len("FITBIT_SYNC_"):].lower(): v for k, v in env.items() if v},
                             data_dir=tmp_path)
    assert settings.store == store

    grafana = services["grafana"]
    [mount] = [v for v in grafana["volumes"] if v.endswith(":/etc/grafana/provisioning:ro")]
    provisioning = ROOT / mount.split(":")[0]
    assert provisioning.name == store and (provisioning / "datasources" / "fitbit-sync.yml").is_file()
    wanted = set(re.findall(r"\$\{([A-Z0-9_]+)\}", (provisioning / "datasources" / "fitbit-sync.yml").read_text()))
    assert wanted <= set(grafana["environment"]), wanted - set(grafana["environment"])
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert (provisioning / "dashboards" / "json" / Path(home).name).is_file()
    assert home.startswith("/etc/grafana/provisioning/dashboards/json/")
    assert set(stack["volumes"]) >= {"grafana", "fitbit-sync"}


def test_dockerfile_is_slim_non_root_and_any_uid() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.findall(r"^FROM (\S+)", text, flags=re.M) == ["python:3.11-slim", "python:3.11-slim"]
    users = re.findall(r"^USER (\S+)", text, flags=re.M)
    assert users == ["10001:0"]  # numeric, non-root, group 0 (writable /data for any uid in group 0)
    assert "chgrp 0 /data && chmod 2775 /data" in text
    assert 'ENTRYPOINT ["fitbit-sync"]' in text and 'CMD ["daemon"]' in text
    assert "HEALTHCHECK" in text and "HOME=/data" in text and "FITBIT_SYNC_DATA_DIR=/data" in text
    ignore = (ROOT / ".dockerignore").read_text().split()
    assert ignore[ignore.index("*") :][:4] == ["*", "!pyproject.toml", "!README.md", "!src/"]


def test_systemd_unit() -> None:
    unit = (ROOT / "deploy" / "systemd" / "fitbit-sync.service").read_text()
    prevent = re.search(r"^RestartPreventExitStatus=(.+)$", unit, flags=re.M)
    assert prevent and set(prevent[1].split()) == {str(ExitCode.USAGE), str(ExitCode.AUTH_REQUIRED),
                                                   str(ExitCode.REAUTH_REQUIRED), str(ExitCode.ACCOUNT_UNUSABLE)}
    assert re.search(r"^ExecStart=/opt/fitbit-sync/bin/fitbit-sync daemon$", unit, flags=re.M)
    assert "User=fitbit-sync" in unit and "NoNewPrivileges=true" in unit


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_unit_verifies(tmp_path: Path) -> None:
    unit = (ROOT / "deploy" / "systemd" / "fitbit-sync.service").read_text()
    target = tmp_path / "fitbit-sync.service"
    target.write_text(unit.replace("/opt/fitbit-sync/bin/fitbit-sync", "/bin/true"))
    result = subprocess.run(["systemd-analyze", "verify", str(target)], capture_output=True, text=True,
                            env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"}, timeout=60)
    problems = [line for line in result.stderr.splitlines()
                if "fitbit-sync.service" in line and "User=fitbit-sync" not in line]
    assert result.returncode == 0 and not problems, result.stderr
