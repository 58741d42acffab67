"""The indicator catalogue: canonical ids for quantities (domain reference §4).

Loaded once per process from ``workers/data/indicators_catalogue.toml`` into strict Structs, so a
typo in the data file fails at load time rather than silently dropping a keyword. The API serves
:func:`load_catalogue` at ``GET /v1/indicators``; the ``indicators`` stage uses the matching
fields and :func:`load_config` for weights.
"""

from __future__ import annotations

from functools import cache

import msgspec
from msgspec import Struct

from workers.data import load_toml

CATALOGUE_FILE = "indicators_catalogue.toml"

SYSTEMS = frozenset(
    {
        "party_leadership",
        "gov_functions",
        "rules_system",
        "decision_making",
        "law_enforcement",
        "emergency_response",
        "dispute_resolution",
        "power_oversight",
        "digital_support",
        "capacity_building",
    }
)


class CatalogueEntry(Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """One canonical indicator. ``id, name, system, units`` are the public part."""

    id: str
    name: str
    name_en: str
    system: str
    units: list[str]
    group: str | None = None
    keywords: list[str] = []
    action_keywords: list[str] = []
    weak_keywords: list[str] = []
    rate_keywords: list[str] = []
    context_keywords: list[str] = []
    negative_keywords: list[str] = []
    own_units: list[str] = []

    def __post_init__(self) -> None:
        if self.system not in SYSTEMS:
            raise ValueError(f"indicator {self.id!r}: unknown system {self.system!r}")
        if not self.units:
            raise ValueError(f"indicator {self.id!r}: no units")


class Weights(Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Scoring weights; meanings are documented beside the values in the data file."""

    span: float
    clause_before: float
    clause_after: float
    sentence_before: float
    rate_entity: float
    clause_decay: float
    paragraph: float
    subject: float
    context: float
    heading_system: float
    action: float
    weak: float
    lone_action: float
    aside: float
    container: float
    proximity_chars: float
    specificity: float
    min_score: float
    min_keyword_score: float
    margin: float


class Matching(Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    generic_rate_keywords: list[str]
    no_id_units: list[str]
    rate_units: list[str]
    container_nouns: list[str]
    clause_marks: str
    range_links: list[str]
    sentence_marks: str
    list_marks: str
    scope_marks: str
    change_words: list[str]
    change_fillers: str
    after_stops: list[str]
    participation_words: list[str]
    max_verb_gap: int
    list_joiners: list[str]
    container_units: list[str]
    max_sentence_chars: int
    max_paragraph_chars: int
    unit_equivalents: dict[str, str] = {}


class CatalogueFile(Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    version: str
    weights: Weights
    matching: Matching
    indicator: list[CatalogueEntry]


@cache
def _load() -> CatalogueFile:
    data = msgspec.convert(load_toml(CATALOGUE_FILE), CatalogueFile)
    seen: set[str] = set()
    for entry in data.indicator:
        if entry.id in seen:
            raise ValueError(f"duplicate indicator id {entry.id!r} in {CATALOGUE_FILE}")
        seen.add(entry.id)
    return data


def load_catalogue() -> list[CatalogueEntry]:
    """All catalogue entries in file order (raises if the data file is missing or invalid)."""
    return list(_load().indicator)


def load_config() -> CatalogueFile:
    """The whole parsed file: version, weights, matching tables and entries."""
    return _load()


def catalogue_version() -> str:
    return _load().version


@cache
def _by_id() -> dict[str, CatalogueEntry]:
    return {entry.id: entry for entry in _load().indicator}


def get_entry(id: str) -> CatalogueEntry:  # noqa: A002 - the catalogue's own word
    """The entry with this id; KeyError when the catalogue has none."""
    return _by_id()[id]
