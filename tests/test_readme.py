"""The README stays true: its tables match the code, and its curl examples run."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import tomllib

import pytest

from fazhi.settings import Settings
from tests._cli_support import REPO, SEED, clean_env, write_pdf

README = (REPO / "README.md").read_text("utf-8")


def _section(title: str) -> str:
    match = re.search(rf"^##+ {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match, f"README has no '{title}' section"
    return match.group(1)


def _table(title: str) -> dict[str, list[str]]:
    """Rows of the first table in a section, keyed by the first cell without backticks."""
    rows = {}
    for line in _section(title).splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"```(?:bash)?\n(.*?)```", text, re.S)


def test_readme_opens_with_the_two_commands():
    first = _code_blocks(README)[0]
    commands = [line.split("#")[0].strip() for line in first.splitlines() if line.strip()]
    assert commands == ["uv run fazhi serve", "uv run pytest"]


def test_readme_ci_runs_exactly_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text()
    last = [line.strip() for line in ci.splitlines() if line.strip() and not line.strip().startswith("#")][-1]
    assert last == "exec uv run pytest"


def _field_docs() -> dict[str, str]:
    """Each Settings field's docstring (the string right after it in the class body)."""
    tree = ast.parse((REPO / "fazhi" / "settings.py").read_text("utf-8"))
    body = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings").body
    docs = {}
    for node, after in zip(body, body[1:] + [None], strict=True):
        if isinstance(node, ast.AnnAssign) and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant):
            docs[node.target.id] = " ".join(after.value.value.split())
    return docs


def _default_cell(field: str, value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    cell = f"`{value}`"
    if isinstance(value, int) and field.endswith("_seconds") and value >= 86400 and value % 86400 == 0:
        cell += f" ({value // 86400} days)"
    elif isinstance(value, int) and field.endswith("_bytes") and value % (1024 * 1024) == 0:
        cell += f" ({value // (1024 * 1024)} MiB)"
    return cell


def _settings_rows() -> list[str]:
    docs, defaults = _field_docs(), Settings()
    return [
        f"| `FAZHI_{f.upper()}` | {_default_cell(f, getattr(defaults, f))} | {docs.get(f, '').replace('``', '`')} |"
        for f in Settings.__struct_fields__
    ]


@pytest.mark.parametrize("field", Settings.__struct_fields__)
def test_readme_settings_table_lists_every_field(field):
    rows = _table("Settings")
    env = f"FAZHI_{field.upper()}"
    assert env in rows, f"{env} is missing from the README's settings table: run `uv run python -m tests.test_readme`"
    assert _field_docs().get(field), f"Settings.{field} has no docstring to document it with"


def test_readme_settings_table_matches_the_code():
    actual = [line for line in _section("Settings").splitlines() if line.startswith("| `FAZHI_")]
    expected = _settings_rows()
    hint = "run `uv run python -m tests.test_readme` to rewrite the README's settings table"
    assert [_cells(r) for r in actual] == [_cells(r) for r in expected], hint


DATA_NAME = re.compile(r'"([a-z0-9_]+\.(?:toml|tsv|json))"')
PIPELINE_IMPORT = re.compile(r"from workers\.pipeline(?:\.(\w+))? import ([\w, ]+)")


def _stage_data_files(name: str) -> list[str]:
    """Data files named in a stage's modules (``name.py``, ``name_*.py``) and the helpers they import."""
    pipeline = REPO / "workers" / "pipeline"
    modules = {p.stem for p in pipeline.glob(f"{name}*.py") if p.stem == name or p.stem.startswith(name + "_")}
    for module in list(modules):
        for sub, names in PIPELINE_IMPORT.findall((pipeline / f"{module}.py").read_text()):
            modules |= {sub} if sub else {n.strip() for n in names.split(",")}
    found: list[str] = []
    for module in sorted(modules - {"model", "runner"}):
        path = pipeline / f"{module}.py"
        if path.exists():
            for data_file in DATA_NAME.findall(path.read_text()):
                if data_file not in found:
                    found.append(data_file)
    return found


def _stage_rows() -> list[str]:
    from workers.pipeline.runner import STAGES

    return [
        f"| {i} | `{s.NAME}` | {', '.join(s.REQUIRES)} | {', '.join(s.ASSIGNS)} | "
        + ", ".join(f"`{f}`" for f in _stage_data_files(s.NAME)) + " |"
        for i, s in enumerate(STAGES, 1)
    ]


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def test_readme_stage_table_matches_the_pipeline():
    expected = _stage_rows()
    actual = [line for line in _section("Architecture").splitlines() if re.match(r"\| \d+ \|", line)]
    hint = "run `uv run python -m tests.test_readme` to rewrite the README's stage table as:\n" + "\n".join(expected)
    assert [_cells(r) for r in actual] == [_cells(r) for r in expected], hint


def test_readme_names_every_data_file_and_only_real_ones():
    data = REPO / "workers" / "data"
    files = {p.name for p in data.iterdir() if p.suffix in {".toml", ".tsv", ".json"}}
    named = set(re.findall(r"`([a-z0-9_]+\.(?:toml|tsv|json))`", README)) - {"openapi.json"}
    assert files - named == set(), "data files the README does not mention"
    assert named - files == set(), "README mentions data files that do not exist"


def test_readme_explains_every_dependency():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    specs = project["project"]["dependencies"] + [d for g in project["dependency-groups"].values() for d in g]
    names = {re.match(r"[A-Za-z0-9_.-]+", spec).group(0).lower() for spec in specs}
    assert names - set(_table("Dependencies")) == set()


ERROR_CLASS = re.compile(r'^    code = "([a-z_.]+)"\n(?:    status = (\d+)\n)?', re.M)


def test_readme_error_table_has_every_code_with_its_status():
    table = _table("Error codes")
    assert {"input.empty", "input.too_large", "job.not_found", "backend.unavailable"} <= set(table)
    for source in ("workers/errors.py", "service/errors.py"):
        path = REPO / source
        if not path.exists():
            continue
        for code, status in ERROR_CLASS.findall(path.read_text()):
            if code in {"parse.failed", "input.invalid"} and source == "workers/errors.py":
                continue  # abstract bases: every raised error has a more specific code
            assert code in table, f"{code} ({source}) is missing from the README's error table"
            if status:
                assert table[code][0] == status, f"{code}: README says {table[code][0]}, {source} says {status}"


def test_readme_has_the_worker_model_section_for_the_lead():
    assert _section("Worker model").strip()


def _curl_script(base: str, pdf: str) -> str:
    (block,) = [b for b in _code_blocks(_section("Using the API with curl")) if "curl" in b]
    script = re.sub(r"^BASE=.*$", f"BASE={base}", block, flags=re.M)
    script = re.sub(r"^SEED=.*$", f"SEED={SEED}", script, flags=re.M)
    return re.sub(r"^PDF=.*$", f"PDF={pdf}", script, flags=re.M)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_curl_examples_run_against_fazhi_serve(tmp_path):
    from tests.test_serve_e2e import Served

    if not SEED.is_file():
        pytest.skip("seed report not available")
    pdf = write_pdf(SEED.read_text("utf-8"), tmp_path / "report.pdf")
    served = Served(tmp_path, clean_env(), workers=1)
    try:
        base = served.wait_ready()
        script = _curl_script(base, str(pdf))
        proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, timeout=90)
        assert proc.returncode == 0, f"{proc.stderr.decode()}\n{served.stderr}"
        assert b'"status":"succeeded"' in proc.stdout
        assert (tmp_path / "result.json").read_bytes().startswith(b'{"schema_version":"1"')
        assert served.terminate() == 0
    finally:
        served.kill()


def _replace_rows(lines: list[str], pattern: str, rows: list[str]) -> list[str]:
    found = [i for i, line in enumerate(lines) if re.match(pattern, line)]
    lines[found[0] : found[-1] + 1] = rows
    return lines


def _refresh_tables() -> None:
    """``uv run python -m tests.test_readme``: rewrite the README's stage and settings tables."""
    path = REPO / "README.md"
    lines = path.read_text("utf-8").split("\n")
    lines = _replace_rows(lines, r"\| \d+ \|", _stage_rows())
    lines = _replace_rows(lines, r"\| `FAZHI_", _settings_rows())
    path.write_text("\n".join(lines), "utf-8")


if __name__ == "__main__":
    _refresh_tables()
