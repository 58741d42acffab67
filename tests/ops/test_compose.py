"""The compose file's rq-dashboard is password-protected and local; workers expose their metrics port."""

from __future__ import annotations

import re

import pytest

from tests._cli_support import REPO

yaml = pytest.importorskip("yaml")

COMPOSE = yaml.safe_load((REPO / "deploy" / "docker-compose.yml").read_text())
DOCKERFILE = re.sub(r"\\\n\s*", " ", (REPO / "Dockerfile").read_text())


def test_compose_rq_dashboard_needs_a_password_and_stays_local():
    dash = COMPOSE["services"]["rq-dashboard"]
    env = dash["environment"]
    # ${VAR:?message}: compose refuses to start without it; there is no default password.
    assert re.fullmatch(r"\$\{RQ_DASHBOARD_PASSWORD:\?[^}]+\}", env["RQ_DASHBOARD_PASSWORD"])
    assert env["RQ_DASHBOARD_USERNAME"]
    assert env["RQ_DASHBOARD_REDIS_URL"].startswith("redis://redis:")
    assert all(str(p).startswith("127.0.0.1:") for p in dash["ports"])


def test_compose_worker_metrics_port_is_exposed_by_the_image():
    port = int(COMPOSE["services"]["worker"]["environment"]["FAZHI_WORKER_METRICS_PORT"])
    exposed = {int(p) for line in re.findall(r"^EXPOSE\s+(.*)$", DOCKERFILE, re.M) for p in line.split()}
    assert port in exposed


def test_compose_image_runtime_stage_is_lean():
    runtime = DOCKERFILE[DOCKERFILE.rindex("\nFROM ") :]
    assert "--no-install-recommends" in runtime and "rm -rf /var/lib/apt/lists/*" in runtime
    assert "uv sync" not in runtime and "pip install" not in runtime  # build tools stay in the builder
    assert "COPY --from=builder" in runtime


def test_compose_worker_healthcheck_uses_the_worker_port():
    worker = COMPOSE["services"]["worker"]
    port = worker["environment"]["FAZHI_WORKER_METRICS_PORT"]
    test = " ".join(worker["healthcheck"]["test"])
    assert f"127.0.0.1:{port}/healthz" in test
    from fazhi.observability.workerhttp import PATHS

    assert "/healthz" in PATHS
