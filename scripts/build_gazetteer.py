"""Build ``workers/data/gazetteer_regions.tsv`` from the location tree shipped in the jionlp wheel.

Source: ``jionlp/dictionary/china_location.zip`` (a tab-indented tree province / city /
county (+adcode, short name) / town / village; JioNLP, Apache License 2.0). jionlp itself is not
a runtime dependency: this script downloads the wheel with ``pip download --no-deps`` into a
temporary directory, reads the tree and writes a compact table without villages.

Usage: ``uv run python scripts/build_gazetteer.py [--wheel PATH] [--version 1.5.31]``

Output columns (tab-separated, one row per division, header line first):
``level  province  city  county  township  code  short``
* ``level``: province | city | county | township
* ``city`` is empty for a 直辖市 (no prefecture level) and for 省直辖县级行政区划 (仙桃市, 济源市 …);
  ``county`` is empty for towns of cities without districts (东莞市, 中山市, 儋州市 …).
* ``code``: the 6-digit adcode where the source gives one (towns have none).
* ``short``: the source's short form (宝坻区 ↔ 宝坻) for province/city/county rows.
* ``former``: for a name abolished since 2014 (宁乡县 → 宁乡市, 莱芜市 → 济南市), the name that
  replaced it; such rows have no code. Read from ``china_location_change.txt`` in the same wheel.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "workers" / "data" / "gazetteer_regions.tsv"
MEMBER = "jionlp/dictionary/china_location.zip"
CHANGES = "jionlp/dictionary/china_location_change.txt"
# Reports cover 2016 on; names dropped since this year may still appear in them.
FORMER_SINCE = "2014"
MUNICIPALITIES = {"北京市", "天津市", "上海市", "重庆市"}
# Names in the source that stand for "no division at this level".
VIRTUAL = {"省直辖行政区划", "市直辖行政区划", "自治区直辖县级行政区划"}
# Level-4 entries that are real 乡级 divisions; the source also lists parks and zones there.
TOWNSHIP_SUFFIXES = ("镇", "乡", "街道", "苏木", "办事处", "地区")
# Reports come from mainland governments; these add only name clashes (东区, 市中区 …).
SKIP_PROVINCES = {"台湾省", "香港特别行政区", "澳门特别行政区"}


def fetch_wheel(version: str, dest: Path) -> Path:
    # the project venv (uv) has no pip; any pip on PATH can download a wheel
    pip = [sys.executable, "-m", "pip"]
    if subprocess.run([*pip, "--version"], capture_output=True).returncode != 0:
        found = shutil.which("pip3") or shutil.which("pip")
        if found is None:
            sys.exit("no pip found: install one, or pass --wheel PATH")
        pip = [found]
    subprocess.run(
        [*pip, "download", "--no-deps", "--only-binary=:all:", "--quiet", f"jionlp=={version}", "-d", str(dest)],
        check=True,
    )
    return next(dest.glob("jionlp-*.whl"))


def read_tree(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as whl, zipfile.ZipFile(io.BytesIO(whl.read(MEMBER))) as inner:
        name = next(n for n in inner.namelist() if n.endswith(".txt"))
        return inner.read(name).decode("utf-8").splitlines()


def read_changes(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as whl:
        return whl.read(CHANGES).decode("utf-8").splitlines()


def former_rows(changes: list[str], current: set[tuple[str, str, str]]) -> list[tuple[str, ...]]:
    """Rows for city/county names abolished since FORMER_SINCE, under their old parents."""
    rows: list[tuple[str, ...]] = []
    seen: set[tuple[str, ...]] = set()
    current_names = {name for key in current for name in key if name}
    for line in changes:
        fields = line.split("\t")
        if len(fields) < 8 or fields[0] < FORMER_SINCE or "=>" not in fields[7]:
            continue
        province, _, city, city_short, county = fields[2], fields[3], fields[4], fields[5], fields[6]
        county_short, new_province = fields[7].split("=>")
        new_city, new_county = fields[8], fields[9] if len(fields) > 9 else ""
        if province in SKIP_PROVINCES:
            continue
        city_out = "" if city in VIRTUAL or city == province else city
        if city_out and city_out != new_city and city_out not in current_names:
            row = ("city", province, city_out, "", "", "", city_short if len(city_short) >= 2 else "", new_city)
            if row[:4] not in seen:
                seen.add(row[:4])
                rows.append(row)
        if county and county != new_county and (province, city_out, county) not in current:
            short = county_short if len(county_short) >= 2 and county_short != county else ""
            row = ("county", province, city_out, county, "", "", short, new_county)
            if row[:4] not in seen:
                seen.add(row[:4])
                rows.append(row)
    return rows


def build_rows(lines: list[str]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    seen: set[tuple[str, ...]] = set()
    path: list[str] = ["", "", "", ""]
    for line in lines:
        depth = len(line) - len(line.lstrip("\t"))
        fields = line.strip().split("\t")
        if not fields[0] or depth > 3:
            continue  # villages and blank lines
        name = fields[0]
        code = fields[1] if len(fields) > 1 else ""
        short = fields[2] if len(fields) > 2 else ""
        path[depth] = name
        for d in range(depth + 1, 4):
            path[d] = ""
        province, city, county, township = path
        if province in SKIP_PROVINCES:
            continue
        if depth == 1 and (name in VIRTUAL or name == province):
            continue
        if depth == 2 and name in VIRTUAL:
            continue
        if depth == 3 and not name.endswith(TOWNSHIP_SUFFIXES):
            continue
        city = "" if city in VIRTUAL or city == province else city
        county = "" if county in VIRTUAL else county
        level = ("province", "city", "county", "township")[depth]
        if depth == 3:
            code = short = ""
        if len(short) < 2 or short == name:
            short = ""
        row = (level, province, city, county, township, code, short)
        if row not in seen:
            seen.add(row)
            rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", type=Path, help="use this jionlp wheel instead of downloading one")
    ap.add_argument("--version", default="1.5.31")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(args.version, Path(tmp))
        rows = [row + ("",) for row in build_rows(read_tree(wheel))]
        current = {(r[1], r[2], r[3]) for r in rows} | {(r[1], r[2], "") for r in rows}
        rows += former_rows(read_changes(wheel), current)
    with OUT.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(f"# source: jionlp {args.version} {MEMBER} + {CHANGES} (Apache-2.0); "
                 "built by scripts/build_gazetteer.py\n")
        fh.write("level\tprovince\tcity\tcounty\ttownship\tcode\tshort\tformer\n")
        for row in rows:
            fh.write("\t".join(row) + "\n")
    print(f"wrote {len(rows)} rows to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
