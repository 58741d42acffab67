"""Dockerfile, compose file and .ci/run agree with the CLI and Settings (Docker is not run here)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from fazhi import cli
from fazhi.settings import Settings
from tests._cli_support import REPO

# Continuation lines joined, so each instruction is one line.
DOCKERFILE = re.sub(r"\\\n\s*", " ", (REPO / "Dockerfile").read_text())
SUBCOMMANDS = set(cli.COMMANDS)
SETTINGS_ENV = {f"FAZHI_{f.upper()}" for f in Settings.__struct_fields__}


def _instructions(name: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(rf"^{name}\s+(.*?)$", DOCKERFILE, re.M)]


@pytest.fixture(scope="module")
def compose():
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((REPO / "deploy" / "docker-compose.yml").read_text())


def _argv(cmd: str | list[str]) -> list[str]:
    return shlex.split(cmd) if isinstance(cmd, str) else list(cmd)


def _port_option(argv: list[str]) -> int | None:
    return int(argv[argv.index("--port") + 1]) if "--port" in argv else None


def test_deploy_dockerfile_is_multi_stage_non_root_with_init_and_healthcheck():
    stages = _instructions("FROM")
    assert len(stages) >= 2 and " AS builder" in stages[0]
    assert "uv sync --frozen --no-dev" in DOCKERFILE
    users = _instructions("USER")
    assert users and users[-1] not in {"root", "0"}
    entry = json.loads(_instructions("ENTRYPOINT")[-1])
    assert entry[0] == "tini" and entry[-1] == "fazhi"
    (health,) = _instructions("HEALTHCHECK")
    assert "/healthz" in health
    runtime = DOCKERFILE[DOCKERFILE.rindex("FROM ") :]
    assert re.search(r"apt-get install[^\n]*tesseract-ocr tesseract-ocr-chi-sim", runtime)


def test_deploy_dockerfile_command_matches_the_cli():
    cmd = json.loads(_instructions("CMD")[-1])
    assert cmd[0] in SUBCOMMANDS
    expose = {int(p) for p in _instructions("EXPOSE")}
    assert _port_option(cmd) in expose
    assert f"127.0.0.1:{_port_option(cmd)}/healthz" in DOCKERFILE
    for env in re.findall(r"\b(FAZHI_[A-Z_]+)=", DOCKERFILE):
        assert env in SETTINGS_ENV


def test_deploy_dockerignore_keeps_what_the_build_copies():
    lines = (REPO / ".dockerignore").read_text().splitlines()
    ignored = {line.strip() for line in lines if line and not line.startswith("#")}
    copied = {Path(src).name for args in _instructions("COPY") if "--from" not in args for src in args.split()[:-1]}
    assert copied & ignored == set()


def test_deploy_compose_services_and_redis_durability(compose):
    services = compose["services"]
    assert {"redis", "api", "worker"} <= set(services)
    redis_cmd = " ".join(_argv(services["redis"]["command"]))
    assert "--appendonly yes" in redis_cmd
    assert "--maxmemory-policy noeviction" in redis_cmd
    assert any(v.endswith(":/data") for v in services["redis"]["volumes"])
    assert services["worker"]["deploy"]["replicas"] == 2


def test_deploy_compose_commands_env_and_ports_match_cli_and_settings(compose):
    services = compose["services"]
    api, worker = _argv(services["api"]["command"]), _argv(services["worker"]["command"])
    assert api[0] == "api" and worker[0] == "worker"
    for argv in (api, worker):
        # argparse accepts it: the same parser the container's `fazhi` uses.
        cli._parser().parse_args(argv)
    published = [str(p).split(":")[-1] for p in services["api"]["ports"]]
    assert str(_port_option(api)) in published
    for name in ("api", "worker"):
        env = services[name]["environment"]
        assert set(env) <= SETTINGS_ENV
        assert env["FAZHI_REDIS_URL"].startswith("redis://redis:")


STUB = """#!/bin/sh
echo "$(basename "$0") $*" >> "$CI_LOG"
case "$(basename "$0") $1" in
  "uv --version") echo "uv 0.0.0-stub" ;;
  "id -u") echo 0 ;;
  "dpkg-query -W") case "$*" in *redis-server*|*poppler-utils*) printf 'install ok installed' ;; *) exit 1 ;; esac ;;
esac
exit 0
"""


def test_deploy_ci_run_installs_only_missing_packages_then_runs_readme_command(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("uv", "apt-get", "dpkg-query", "id"):  # a stub `id` makes it take the root branch
        (bin_dir / tool).write_text(STUB)
        (bin_dir / tool).chmod(0o755)
    log = tmp_path / "log"
    env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin", "CI_LOG": str(log)}
    proc = subprocess.run([str(REPO / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    calls = [c for c in log.read_text().splitlines() if not c.startswith("id ")]
    installs = [c for c in calls if c.startswith("apt-get install")]
    assert len(installs) == 1
    wanted = {"fonts-wqy-zenhei", "tesseract-ocr", "tesseract-ocr-chi-sim", "libreoffice-writer-nogui"}
    assert set(installs[0].split()) & (wanted | {"redis-server", "poppler-utils"}) == wanted
    assert "--no-install-recommends" in installs[0]
    assert calls.count("apt-get update -qq") == 1
    assert calls[-1] == "uv run pytest"
    assert "installing: " in proc.stdout
