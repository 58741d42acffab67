"""deploy/k8s: every manifest parses, validates against the Kubernetes schemas (kubernetes-validate,
offline) and agrees with the code: ports, commands, env names, probe paths, queue name, grace."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from fazhi import cli
from fazhi.observability.workerhttp import PATHS as WORKER_PATHS
from fazhi.settings import Settings, get_settings
from tests._cli_support import REPO

yaml = pytest.importorskip("yaml")

K8S = REPO / "deploy" / "k8s"
BASE, OVERLAY = K8S / "base", K8S / "overlays" / "example"
K8S_VERSION = "1.30"
SETTINGS_ENV = {f"FAZHI_{f.upper()}" for f in Settings.__struct_fields__}
# Keys of the Secret that are not FAZHI settings, and who reads them.
NON_SETTING_KEYS = {"REDIS_PASSWORD"}  # KEDA's TriggerAuthentication
CRD_KINDS = {"ScaledObject", "TriggerAuthentication"}  # KEDA: no schema in kubernetes-validate


def _docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _kustomization(directory: Path) -> dict:
    return yaml.safe_load((directory / "kustomization.yaml").read_text())


def _resources(directory: Path) -> list[dict]:
    """Full resources a kustomization pulls in (recursively), before patches."""
    found = []
    for entry in _kustomization(directory).get("resources", []):
        target = (directory / entry).resolve()
        found += _resources(target) if target.is_dir() else _docs(target)
    return found


def _patched(directory: Path) -> list[dict]:
    """Resources with the overlay's strategic-merge patches applied (maps merged, named lists by name)."""
    docs = _resources(directory)
    for patch in _kustomization(directory).get("patches", []):
        for p in _docs(directory / patch["path"]):
            (target,) = [d for d in docs if d["kind"] == p["kind"] and d["metadata"]["name"] == p["metadata"]["name"]]
            _merge(target, p)
    return docs


def _merge(into: dict, patch: dict) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        elif isinstance(value, list) and value and all(isinstance(v, dict) and "name" in v for v in value):
            named = {v["name"]: v for v in into.get(key, [])}
            for v in value:
                _merge(named[v["name"]], v) if v["name"] in named else into.setdefault(key, []).append(v)
        else:
            into[key] = value


def _one(docs: list[dict], kind: str, name: str) -> dict:
    (found,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def _container(deployment: dict) -> dict:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


ALL = {"base": BASE, "example": OVERLAY}


@pytest.mark.parametrize("where", ALL)
def test_k8s_kustomization_files_exist(where):
    directory = ALL[where]
    k = _kustomization(directory)
    for entry in k.get("resources", []) + [p["path"] for p in k.get("patches", [])]:
        assert (directory / entry).exists(), f"{where}: {entry} is missing"


def _validatable() -> list[tuple[str, dict]]:
    return [(f"{d['kind']}/{d['metadata']['name']}", d) for d in _resources(OVERLAY) if d["kind"] not in CRD_KINDS]


@pytest.mark.parametrize(("name", "doc"), _validatable(), ids=[n for n, _ in _validatable()])
def test_k8s_manifest_is_schema_valid(name, doc):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)  # raises on unknown or wrong fields


def test_k8s_keda_objects_have_what_keda_needs():
    docs = _resources(BASE)
    scaled = _one(docs, "ScaledObject", "fazhi-worker")
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert scaled["spec"]["scaleTargetRef"]["name"] == "fazhi-worker"
    _one(docs, "Deployment", scaled["spec"]["scaleTargetRef"]["name"])
    assert scaled["spec"]["minReplicaCount"] >= 1  # the API's /readyz needs a live worker
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "redis"
    assert set(trigger["metadata"]) >= {"address", "listName", "listLength"}
    assert all(isinstance(v, str) for v in trigger["metadata"].values())  # KEDA metadata is string-typed
    auth = _one(docs, "TriggerAuthentication", trigger["authenticationRef"]["name"])
    for ref in auth["spec"]["secretTargetRef"]:
        assert ref["key"] in _one(docs, "Secret", ref["name"])["stringData"]


def _kustomize(directory: Path) -> list[dict] | None:
    """The real ``kubectl kustomize`` output, or None where kubectl is not installed."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return None
    out = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


@pytest.fixture(scope="module", params=list(ALL))
def docs(request):
    """Cross-checks run on kustomize's own rendering when kubectl is there, else on ours."""
    return _kustomize(ALL[request.param]) or _patched(ALL[request.param])


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with its built-in kustomize) is not installed")
def test_k8s_kustomize_build_is_valid_and_applies_the_overlay():
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    rendered = _kustomize(OVERLAY)
    assert {d["kind"] for d in rendered} >= {"Deployment", "ScaledObject", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                                            "ConfigMap", "Secret", "StatefulSet", "Service", "Namespace"}  # fmt: skip
    for d in rendered:
        if d["kind"] not in CRD_KINDS:
            kubernetes_validate.validate(d, K8S_VERSION, strict=True)
        if d["kind"] != "Namespace":
            assert d["metadata"]["namespace"] == "fazhi"
    (new,) = _kustomization(OVERLAY)["images"]
    for d in rendered:
        if d["kind"] == "Deployment":
            assert _container(d)["image"] == f"{new['newName']}:{new['newTag']}"
    worker = _container(_one(rendered, "Deployment", "fazhi-worker"))
    assert worker["resources"]["limits"]["memory"] == "2Gi"  # the overlay's patch took
    assert _one(rendered, "ConfigMap", "fazhi-config")["data"]["FAZHI_MAX_PAGES"] == "300"


def _config(docs) -> dict[str, str]:
    return {**_one(docs, "ConfigMap", "fazhi-config")["data"], **_one(docs, "Secret", "fazhi-secrets")["stringData"]}


def test_k8s_env_names_are_settings_and_values_are_valid(docs):
    env = _config(docs)
    assert set(env) - NON_SETTING_KEYS <= SETTINGS_ENV
    get_settings(environ={k: v for k, v in env.items() if k.startswith("FAZHI_")})  # raises on a bad value
    for kind in ("Deployment",):
        for d in [d for d in docs if d["kind"] == kind]:
            c = _container(d)
            assert {e["name"] for e in c.get("env", [])} <= SETTINGS_ENV
            refs = {r.get("configMapRef", r.get("secretRef"))["name"] for r in c["envFrom"]}
            assert refs == {"fazhi-config", "fazhi-secrets"}


def test_k8s_commands_are_cli_subcommands_and_ports_match(docs):
    api, worker = _container(_one(docs, "Deployment", "fazhi-api")), _container(_one(docs, "Deployment", "fazhi-worker"))
    for c in (api, worker):
        parsed = cli._parser().parse_args(c["args"])  # the container's entrypoint is `fazhi`
        assert c["args"][0] in cli.COMMANDS
    assert api["args"][0] == "api" and worker["args"][0] == "worker"
    default_port = cli._parser().parse_args(["api"]).port
    api_args = cli._parser().parse_args(api["args"])
    assert api_args.port == default_port == api["ports"][0]["containerPort"]
    assert api_args.host == "0.0.0.0"
    assert worker["ports"][0]["containerPort"] == int(_config(docs)["FAZHI_WORKER_METRICS_PORT"]) > 0
    assert parsed.count == 1  # one process per pod: scale with pods


def _probes(container: dict) -> list[dict]:
    return [container[p]["httpGet"] for p in ("startupProbe", "livenessProbe", "readinessProbe") if p in container]


def test_k8s_probe_paths_exist_in_the_app_and_the_worker(docs, settings_for_app):
    from service.app import create_app

    routes = {route.path for route in create_app(settings_for_app).routes}
    for name, paths in (("fazhi-api", routes), ("fazhi-worker", set(WORKER_PATHS))):
        c = _container(_one(docs, "Deployment", name))
        probes = _probes(c)
        assert {p["path"] for p in probes} == {"/healthz", "/readyz"}
        assert {p["path"] for p in probes} <= paths
        port_names = {p["name"] for p in c["ports"]}
        assert all(p["port"] in port_names for p in probes)
        annotations = _one(docs, "Deployment", name)["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/path"] in paths
        assert int(annotations["prometheus.io/port"]) == c["ports"][0]["containerPort"]


@pytest.fixture(scope="module")
def settings_for_app():
    return get_settings(environ={})


def test_k8s_worker_grace_outlasts_a_job(docs):
    spec = _one(docs, "Deployment", "fazhi-worker")["spec"]["template"]["spec"]
    timeout = int(_config(docs).get("FAZHI_JOB_TIMEOUT_SECONDS", Settings().job_timeout_seconds))
    assert spec["terminationGracePeriodSeconds"] >= timeout


def test_k8s_every_container_has_requests_and_limits_and_runs_as_non_root(docs):
    for d in [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")]:
        pod = d["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for c in pod["containers"]:
            assert {"cpu", "memory"} <= set(c["resources"]["requests"]), d["metadata"]["name"]
            assert "memory" in c["resources"]["limits"], d["metadata"]["name"]


def test_k8s_selectors_hpa_pdb_and_service_point_at_real_pods(docs):
    pods = {d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"] for d in docs if d["kind"] == "Deployment"}
    for d in docs:
        if d["kind"] == "Deployment":
            assert d["spec"]["selector"]["matchLabels"].items() <= d["spec"]["template"]["metadata"]["labels"].items()
        if d["kind"] == "PodDisruptionBudget":
            assert any(d["spec"]["selector"]["matchLabels"].items() <= labels.items() for labels in pods.values())
    hpa = _one(docs, "HorizontalPodAutoscaler", "fazhi-api")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "fazhi-api"
    service = _one(docs, "Service", "fazhi-api")
    assert service["spec"]["selector"].items() <= pods["fazhi-api"].items()
    assert service["spec"]["ports"][0]["targetPort"] in {p["name"] for p in _container(_one(docs, "Deployment", "fazhi-api"))["ports"]}


def test_k8s_keda_watches_the_queue_fazhi_uses(docs):
    env = _config(docs)
    queue = env.get("FAZHI_QUEUE_NAME", Settings().queue_name)
    (trigger,) = _one(docs, "ScaledObject", "fazhi-worker")["spec"]["triggers"]
    assert trigger["metadata"]["listName"] == f"rq:queue:{queue}"
    url = urlsplit(env["FAZHI_REDIS_URL"])
    assert trigger["metadata"]["address"] == f"{url.hostname}:{url.port or 6379}"
    assert trigger["metadata"]["databaseIndex"] == (url.path.strip("/") or "0")


def test_k8s_example_redis_is_durable_and_never_evicts():
    docs = _patched(OVERLAY)
    redis = _one(docs, "StatefulSet", "fazhi-redis")
    args = " ".join(_container(redis)["args"])
    assert "--appendonly yes" in args and "--maxmemory-policy noeviction" in args
    assert redis["spec"]["volumeClaimTemplates"]
    host = urlsplit(_config(docs)["FAZHI_REDIS_URL"]).hostname
    _one(docs, "Service", host)


def test_k8s_overlay_image_replaces_the_base_image():
    k = _kustomization(OVERLAY)
    names = {i["name"] for i in k["images"]}
    for d in _resources(BASE):
        if d["kind"] == "Deployment":
            assert _container(d)["image"].split(":")[0] in names


MONITORING = K8S / "components" / "monitoring"


def test_k8s_monitoring_alerts_use_exported_metrics_and_real_ports():
    import re

    from tests.ops.test_readme_metrics import _exported

    docs = [d for entry in yaml.safe_load((MONITORING / "kustomization.yaml").read_text())["resources"]
            for d in _docs(MONITORING / entry)]  # fmt: skip
    rules = [r for d in docs if d["kind"] == "PrometheusRule" for g in d["spec"]["groups"] for r in g["rules"]]
    assert len({r["alert"] for r in rules}) == len(rules) >= 4
    exported = _exported()
    for rule in rules:
        used = set(re.findall(r"\bfazhi_[a-z_]+", rule["expr"]))
        assert used and {re.sub(r"_(bucket|count|sum)$", "", m) for m in used} <= exported, rule["alert"]
    (monitor,) = [d for d in docs if d["kind"] == "PodMonitor"]
    ports = {p["name"] for d in _resources(BASE) if d["kind"] == "Deployment" for p in _container(d)["ports"]}
    assert {e["port"] for e in monitor["spec"]["podMetricsEndpoints"]} == ports
    assert all(e["path"] == "/metrics" for e in monitor["spec"]["podMetricsEndpoints"])


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with its built-in kustomize) is not installed")
def test_k8s_monitoring_component_builds_into_an_overlay(tmp_path):
    import os

    rel = lambda p: os.path.relpath(p, tmp_path)  # noqa: E731 - kustomize refuses absolute paths
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        f"resources:\n  - {rel(BASE)}\ncomponents:\n  - {rel(MONITORING)}\n"
    )
    kinds = [d["kind"] for d in _kustomize(tmp_path)]
    assert {"PodMonitor", "PrometheusRule", "Deployment"} <= set(kinds)
