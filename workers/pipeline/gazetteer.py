"""Administrative divisions (province / city / county / township) and name matching in text.

The table ``workers/data/gazetteer_regions.tsv`` is built by ``scripts/build_gazetteer.py`` from
the jionlp location tree; ``gazetteer_rules.toml`` says which names are ordinary words and when
short forms count. Names repeat (鼓楼区 ×4, 齐村镇 ×3), so a name maps to a list of places and
:func:`resolve` only answers a field when the evidence leaves one candidate (domain reference §6).
"""

from __future__ import annotations

from functools import cache

import ahocorasick
from msgspec import Struct

from workers.data import load_toml, path
from workers.pipeline.model import Level, Region

LEVELS: tuple[Level, ...] = ("province", "city", "county", "township")
DEPTH = {lvl: i for i, lvl in enumerate(LEVELS)}


class Place(Struct, frozen=True):
    level: Level
    province: str
    city: str | None
    county: str | None
    township: str | None
    code: str | None  # adcode of the place, or of its nearest coded ancestor for towns

    @property
    def name(self) -> str:
        return getattr(self, self.level)

    def lineage(self) -> tuple[str, ...]:
        return tuple(n for n in (self.province, self.city, self.county, self.township) if n)

    def to_region(self) -> Region:
        return Region(
            province=self.province, city=self.city, county=self.county, township=self.township, code=self.code
        )


class Mention(Struct, frozen=True):
    start: int
    end: int
    name: str  # canonical full name the surface form stands for
    short: bool  # matched through a short form (宝坻 for 宝坻区)
    places: tuple[Place, ...]
    prose: bool = False  # found in running text, not a name line (title, header, signature)


class Gazetteer:
    """Loaded once per process (see :func:`get`)."""

    def __init__(self) -> None:
        rules = load_toml("gazetteer_rules.toml")
        self.municipalities = frozenset(rules["municipalities"])
        self.blockers = tuple(rules["short_form_blockers"])
        ignore = set(rules["ignore_names"])
        self.by_name: dict[str, list[Place]] = {}
        self.short_of: dict[str, str] = {}  # full name → short form
        self.by_code: dict[str, Place] = {}
        full_names: dict[str, str] = {}  # surface → full name
        short_names: dict[str, set[str]] = {}
        county_codes: dict[tuple[str, str, str], str] = {}
        with path("gazetteer_regions.tsv").open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(("#", "level\t")):
                    continue
                # the 8th column names a former division's successor; the name still resolves
                level, province, city, county, township, code, short = line.rstrip("\n").split("\t")[:7]
                if level == "township":
                    code = county_codes.get((province, city, county), "")
                elif level != "province":
                    county_codes[(province, city, county)] = code
                else:
                    county_codes[(province, "", "")] = code
                place = Place(level, province, city or None, county or None, township or None, code or None)  # type: ignore[arg-type]
                name = place.name
                self.by_name.setdefault(name, []).append(place)
                if code and level != "township":
                    self.by_code.setdefault(code, place)
                if name not in ignore:
                    full_names[name] = name
                if short and short not in ignore:
                    self.short_of[name] = short
                    short_names.setdefault(short, set()).add(name)
        # The automaton runs over UTF-8 bytes (spelled as latin-1 text, since this pyahocorasick
        # build takes str): pyahocorasick finds a node's child by a linear scan, and over
        # characters the root has ~2,500 children (one per first character of a name), so each
        # character of text cost a scan of thousands. Over bytes no node has more than 64
        # children, which makes the scan ~10x faster. UTF-8 is self-synchronising (lead and
        # continuation bytes differ), so a name's bytes only ever match at character boundaries.
        self.automaton = ahocorasick.Automaton()
        for surface, name in full_names.items():
            self.automaton.add_word(_bytes_as_text(surface), (len(surface), (name,), False))
        for surface, names in short_names.items():
            if surface in full_names:
                continue  # a full name wins over someone's short form
            self.automaton.add_word(_bytes_as_text(surface), (len(surface), tuple(sorted(names)), True))
        self.automaton.make_automaton()

    def places(self, name: str) -> list[Place]:
        return self.by_name.get(name, [])

    def find(self, text: str, *, shorts: bool = False, offset: int = 0) -> list[Mention]:
        """Leftmost-longest, non-overlapping mentions of division names in ``text``."""
        data = text.encode("utf-8", "surrogatepass")
        best: dict[int, tuple[int, tuple]] = {}
        # matches come in order of their end, so byte offsets turn into character offsets by
        # decoding only the stretch since the previous match
        byte_pos = char_pos = 0
        for last_byte, value in self.automaton.iter(data.decode("latin-1")):
            n_chars, names, is_short = value
            if last_byte >= byte_pos:
                char_pos += len(data[byte_pos: last_byte + 1].decode("utf-8", "surrogatepass"))
                byte_pos = last_byte + 1
            end = char_pos  # exclusive, in characters
            if is_short and (not shorts or text.startswith(self.blockers, end)):
                continue
            start = end - n_chars
            if start not in best or best[start][0] < end:
                best[start] = (end, value)
        out: list[Mention] = []
        pos = 0
        for start in sorted(best):
            end, (_, names, is_short) = best[start]
            if start < pos:
                continue
            places = tuple(p for n in names for p in self.places(n))
            out.append(Mention(start + offset, end + offset, names[0], is_short, places))
            pos = end
        return out

    def place_for_code(self, code: str) -> Place | None:
        """The division an adcode / credit-code region prefix names, most specific first."""
        for candidate in (code, code[:4] + "00", code[:2] + "0000"):
            if candidate in self.by_code:
                return self.by_code[candidate]
        return None

    def level_of(self, name: str) -> Level | None:
        """Level of a division name when every place of that name agrees (义乌市 → county)."""
        if name in self.municipalities:
            return "province"
        levels = {p.level for p in self.places(name)}
        return levels.pop() if len(levels) == 1 else None


def _bytes_as_text(s: str) -> str:
    """``s`` as UTF-8 bytes, one character per byte (the alphabet the automaton runs over)."""
    return s.encode("utf-8", "surrogatepass").decode("latin-1")


@cache
def get() -> Gazetteer:
    return Gazetteer()


def _names(place: Place, gz: Gazetteer) -> set[str]:
    names = set(place.lineage())
    names |= {gz.short_of[n] for n in names if n in gz.short_of}
    return names


def _code_support(place: Place, code: str) -> float:
    """How well a credit-code region agrees with a place: same division 1, same city 0.5.

    The code is the registering authority's region and may predate a merger (330103 下城区 →
    拱墅区), so agreement on the city still counts for something."""
    if not place.code:
        return 0.0
    if code.endswith("0000"):
        return 1.0 if place.code[:2] == code[:2] else 0.0
    if code.endswith("00"):
        return 1.0 if place.code[:4] == code[:4] else 0.0
    if place.code == code:
        return 1.0
    return 0.5 if place.code[:4] == code[:4] and not place.code.endswith("00") else 0.0


def resolve(strong: list[Mention], hints: list[Mention] = (), code: str | None = None) -> Region:
    """Region named by the mentions, filling only the fields all surviving candidates agree on.

    Candidates are the places of the ``strong`` mentions (title, header, signature). Each is
    scored by how many strong mentions (and the credit-code region) lie on its lineage; the
    best-supported, deepest candidates survive. ``hints`` (body text) may break a tie but never
    add a candidate. Without any strong mention the credit code alone may locate the body.
    """
    gz = get()
    candidates = {p for m in strong for p in m.places}
    if not candidates:
        place = gz.place_for_code(code) if code else None
        return place.to_region() if place else Region()

    def support(place: Place, mentions: list[Mention]) -> float:
        # a short form (宝坻, 共和 in 共和国) is weaker evidence than a full name, and so is a
        # name read in prose, where words run together ("市委、市政府和县委" holds 和县)
        names = _names(place, gz)
        weights: dict[str, float] = {}
        for m in mentions:
            if m.name in names:
                weights[m.name] = max(weights.get(m.name, 0.0), 0.5 if m.short or m.prose else 1.0)
        return sum(weights.values())

    scored = [(support(p, strong) + (_code_support(p, code) if code else 0.0), DEPTH[p.level], p) for p in candidates]
    top = max(s for s, _, _ in scored)
    survivors = [p for s, _, p in scored if s == top]
    deepest = max(DEPTH[p.level] for p in survivors)
    survivors = [p for p in survivors if DEPTH[p.level] == deepest]
    if len(survivors) > 1 and hints:
        ranked = [(support(p, list(hints)), p) for p in survivors]
        best = max(s for s, _ in ranked)
        if best > 0:
            survivors = [p for s, p in ranked if s == best]
    return agreed_region(survivors)


def agreed_region(places: list[Place]) -> Region:
    """Fields every place agrees on; code only when one place is left."""
    if not places:
        return Region()
    if len(places) == 1:
        return places[0].to_region()
    fields = {}
    for field in LEVELS:
        values = {getattr(p, field) for p in places}
        fields[field] = values.pop() if len(values) == 1 else None
    return Region(**fields)


def truncate(region: Region, level: Level) -> Region:
    """Region cut to ``level`` (a county report that also names one of its towns)."""
    keep = LEVELS[: DEPTH[level] + 1]
    fields = {f: getattr(region, f) if f in keep else None for f in LEVELS}
    code = region.code  # town rows already carry their county's code
    if level == "city" and code:
        code = code[:4] + "00"
    elif level == "province" and code:
        code = code[:2] + "0000"
    return Region(**fields, code=code)
