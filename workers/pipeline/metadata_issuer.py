"""The reporting body: its name in the title, body type, jurisdiction level, fullest name.

Suffix tables are in ``metadata_patterns.toml`` ([org], [level]); ambiguous "XX市" (县级 or
地级) is settled by the gazetteer (domain reference §6).
"""

from __future__ import annotations

import re

from workers.pipeline import gazetteer
from workers.pipeline.metadata_layout import patterns
from workers.pipeline.model import BodyType, Level, Region

_YEAR = re.compile(r"(\d{4}|[〇零○一二三四五六七八九]{4})\s*年")
_SPLIT = re.compile(r"[\s、，,]+")


def _org() -> dict:
    return patterns()["org"]


def from_title(title: str) -> tuple[int, int] | None:
    """Span (within the title) of the body named before "关于…" / "2022年…"."""
    start = 0
    lead = re.match(r"\s*(\d{4}|[〇零○一二三四五六七八九]{4})\s*年度?", title)
    if lead:
        start = lead.end()
    rest = title[start:]
    cuts = [rest.find(m) for m in patterns()["title"]["issuer_end"] if m in rest]
    year = _YEAR.search(rest)
    if year:
        cuts.append(year.start())
    if not cuts:
        return None
    cut = min(cuts)
    if cut == 0 and rest.startswith("关于"):
        # "关于宾川县2022年法治政府建设情况的报告": the body comes after 关于
        start += 2
        rest = rest[2:]
        cuts = [i for i in (rest.find(m) for m in patterns()["title"]["issuer_end"]) if i > 0]
        year = _YEAR.search(rest)
        if year:
            cuts.append(year.start())
        if not cuts:
            return None
        cut = min(cuts)
    name = rest[:cut].rstrip(" \n，,、")
    lstrip = len(name) - len(name.lstrip(" \n，,、"))
    name = name.strip(" \n，,、")
    if not 2 <= len(name) <= 40 or not is_name(name):
        return None
    s = start + lstrip
    return s, s + len(name)


def names_same_body(short: str, full: str) -> bool:
    """``full`` names the body ``short`` names, with more words: a government suffix added to a
    bare place, or parent places put in front. A department is never the same as its government."""
    a, b = re.sub(r"\s+", "", short), re.sub(r"\s+", "", full)
    if a == b or len(b) <= len(a):
        return False
    if b.startswith(a):
        return b[len(a):] in _org()["government"]
    return b.endswith(a)


def complete_place(name: str, text: str) -> str:
    """A bare place as reporter ("汝城县", "张家窝镇") named with its government suffix when the
    document itself writes it so ("汝城县人民政府副县长…", "张家窝镇人民政府")."""
    o = _org()
    if name.endswith(tuple(o["government"] + o["department"] + o["other"])) or _place_level(name) is None:
        return name
    for suffix in sorted(o["government"], key=len, reverse=True):
        if name + suffix in text:
            return name + suffix
    return name


def publisher_to_government(name: str) -> str:
    """"X人民政府办公室" in a header → "X人民政府": the office publishes the government's report."""
    o = _org()
    for office in o["publisher_offices"]:
        head = name[: -len(office)] if name.endswith(office) else ""
        if head.endswith(tuple(o["government"])):
            return head
    return name


def is_name(text: str) -> bool:
    """A reporting body's name or a bare place name, not a phrase of prose."""
    if any(ch in text for ch in "。；：:《》“”\"") or any(w in text for w in _org()["not_names"]):
        return False
    o = _org()
    suffixes = tuple(o["government"] + o["department"] + o["other"])
    if text.endswith(suffixes):
        return True
    return _place_level(text) is not None


def _place_level(place: str) -> Level | None:
    """Level of a jurisdiction written as a place ("宝坻区", "市中区齐村镇", "义乌市")."""
    if not place:
        return None
    gz = gazetteer.get()
    mentions = gz.find(place, shorts=True)
    if mentions and mentions[-1].end == len(place):
        last = mentions[-1]
        level = gz.level_of(last.name)
        if level is not None:
            return level
    for suffix, level in patterns()["level"]["suffix"]:
        if place.endswith(suffix) and len(place) > len(suffix):
            if suffix == "市":
                return gz.level_of(place) or "city"
            return level
    return None


def _government_part(name: str) -> str:
    gov = tuple(_org()["government"])
    parts = [p for p in _SPLIT.split(name) if p]
    for part in reversed(parts):
        if part.endswith(gov):
            return part
    return parts[-1] if parts else name


def body_type(name: str) -> BodyType:
    o = _org()
    gov = tuple(o["government"])
    has_gov = any(g in name for g in gov)
    is_party = name.startswith(tuple(o["party_prefix"])) or any(m in name for m in o["party_marker"])
    if is_party and has_gov and not name.endswith(tuple(o["department"])):
        return "party_government_joint"
    if name.endswith(tuple(o["other"])):
        return "other"
    if name.endswith(gov):
        return "government"
    if name.endswith(tuple(o["department"])):
        return "department"
    if _place_level(name) is not None:
        return "government"
    return "other"


def _strip_suffix(name: str, suffixes: list[str]) -> str:
    for s in sorted(suffixes, key=len, reverse=True):
        if name.endswith(s):
            return name[: -len(s)]
    return name


def _department_place(name: str) -> tuple[str, Level | None]:
    """Place prefix of a department name: "天津市司法局" → 天津市, "县司法局" → 县 (generic)."""
    gz = gazetteer.get()
    pos = 0
    last = None
    for m in gz.find(name, shorts=True):
        if m.start != pos:
            break
        pos, last = m.end, m
    if last is not None:
        level = gz.level_of(last.name) or _place_level(name[:pos])
        return name[:pos], level
    for prefix, level in patterns()["level"]["generic_prefix"]:
        if name.startswith(prefix):
            return prefix, level
    cut = min((name.find(ch) for ch in "省市县区旗州盟镇乡" if ch in name[1:]), default=-1)
    if cut > 0:
        return name[: cut + 1], _place_level(name[: cut + 1])
    return "", None


def level(name: str, kind: BodyType, region: Region) -> Level | None:
    """Level of the jurisdiction the body belongs to (a 直辖市's bureaus are province level)."""
    gz = gazetteer.get()
    if kind == "party_government_joint":
        name = _government_part(name)
        kind = "government"
    if kind == "government":
        place = _strip_suffix(name, _org()["government_strip"])
        lvl = _place_level(place)
        if lvl is None and place in ("", "区", "县", "市", "镇", "乡", "省"):
            lvl = _generic_level(place, region) if place else None
        return lvl
    place, lvl = _department_place(_strip_suffix(name, _org()["department"]) or name)
    if place and place in dict(patterns()["level"]["generic_prefix"]):
        return _generic_level(place, region)
    if lvl == "city" and place in gz.municipalities:
        return "province"
    return lvl


def township_of(name: str, kind: BodyType) -> str | None:
    """The township a township government names ("金牛乡人民政府" → 金牛乡), for towns the
    gazetteer lacks: the document itself determines the name, though not its parents."""
    if kind == "party_government_joint":
        name = _government_part(name)
    elif kind != "government":
        return None
    place = _strip_suffix(name, _org()["government_strip"])
    for suffix, lvl in patterns()["level"]["suffix"]:
        if lvl == "township" and place.endswith(suffix) and 2 <= len(place) - len(suffix) <= 8:
            return place
    return None


def _generic_level(prefix: str, region: Region) -> Level | None:
    gz = gazetteer.get()
    if prefix == "市":
        if region.province in gz.municipalities and region.county is None:
            return "province"
        if region.county and region.county.endswith("市"):
            return "county"
        return "city"
    return dict(patterns()["level"]["generic_prefix"]).get(prefix)


def official_chain(lvl: Level, region: Region) -> list[str]:
    """Place names an official full name carries: a 市辖区 is named with its city (佛山市顺德区,
    天津市宝坻区), a 县/旗/县级市 and a 地级市 stand alone (望奎县, 绵阳市); a town adds itself to
    its county's chain (天津市西青区张家窝镇). Provinces are never put in front."""
    gz = gazetteer.get()
    if lvl == "province":
        return [region.province] if region.province else []
    if lvl == "city":
        return [region.city] if region.city else []
    chain: list[str] = []
    if region.county:
        parent = region.province if region.province in gz.municipalities else region.city
        if parent and region.county.endswith("区"):
            chain.append(parent)
        chain.append(region.county)
    if lvl == "township" and region.township:
        chain.append(region.township)
    return chain


def fullest(name: str, kind: BodyType, lvl: Level | None, region: Region, named: set[str]) -> str:
    """The name with its official parent places put in front (宝坻区人民政府 → 天津市宝坻区人民政府).

    Only parents the document itself names (``named``: full names found in its text) are used,
    nearest first, so the name stays one the document supports; the gazetteer only says which
    named places are parents.
    """
    if kind == "party_government_joint" or lvl is None:
        return name
    gz = gazetteer.get()
    full = official_chain(lvl, region)
    if not full:
        return name
    chain = [full[-1]]
    for parent in reversed(full[:-1]):
        if parent not in named:
            break
        chain.insert(0, parent)
    for k, part in enumerate(chain):
        short = gz.short_of.get(part)
        if name.startswith(part) or (short and name.startswith(short)):
            return "".join(chain[:k]) + name
    # generic prefix: "县司法局" in a county resolved as 武义县 → 武义县司法局
    last = chain[-1]
    for prefix, _ in patterns()["level"]["generic_prefix"]:
        if name.startswith(prefix) and last.endswith(prefix) and not name.startswith(last):
            return "".join(chain) + name[len(prefix):]
    return name
