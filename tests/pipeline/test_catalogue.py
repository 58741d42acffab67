"""Tests for workers/pipeline/catalogue.py and workers/data/indicators_catalogue.toml."""

from __future__ import annotations

import re

import msgspec
import pytest

from workers.data import load_toml
from workers.pipeline import catalogue
from workers.pipeline.catalogue import CatalogueEntry, CatalogueFile, get_entry, load_catalogue

# Every id of domain reference §4 (tables 4.1-4.9).
DOMAIN_IDS = """
rol_meetings leader_law_study rol_training_sessions rol_training_attendance law_exam annual_key_tasks
supervision_rounds assessment_weight leaders_report_on_law
power_list_items gov_service_items license_items items_cancelled_delegated service_cases online_rate
hotline_tickets random_inspections
norm_docs_issued norm_docs_legality_review norm_docs_filing norm_docs_cleanup rules_drafted
major_decisions decision_legality_reviews contracts_reviewed other_legality_reviews legal_advisers
adviser_participation public_participation
penalty_cases penalty_summary penalty_general fines_amount penalty_by_type no_or_light_penalty
transfers_to_justice admin_inspections admin_coercion licenses_granted enforcement_staff
enforcement_training_hours case_file_reviews major_decision_legal_check
emergency_plans emergency_drills safety_inspections hazards_found_fixed
reconsideration_received reconsideration_accepted reconsideration_closed reconsideration_outcomes
reconsideration_correction reconsideration_settlement litigation_cases litigation_losses head_appearance
disputes_resolved mediation_orgs petitions public_legal_service legal_aid
npc_suggestions cppcc_proposals info_proactive info_requests audits judicial_suggestions
platform_cases pufa_events pufa_materials pufa_audience pufa_signage legal_literates model_villages
""".split()

SYSTEMS = {s["id"] for s in load_toml("framework_systems.toml")["system"]}
BASE_UNITS = set(
    "件 起 次 场 场次 期 轮 批 批次 人 名 位 人次 户 家 家次 户次 个 个次 份 册 本 条 项 处 卷 篇 部 所 支 类 套 台 辆 块 幅 张 "
    "学时 课时 小时 天 日 个月 年 元 % 个百分点 倍 平方米 亩 公里 米 吨 座 栋 间".split()
)


def test_catalogue_has_every_domain_id():
    ids = {e.id for e in load_catalogue()}
    assert set(DOMAIN_IDS) <= ids


def test_catalogue_ids_unique_and_snake_case():
    ids = [e.id for e in load_catalogue()]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids)


@pytest.mark.parametrize("entry", load_catalogue(), ids=lambda e: e.id)
def test_catalogue_entry_is_complete(entry: CatalogueEntry):
    assert entry.system in SYSTEMS
    assert entry.name and entry.name_en
    assert entry.units
    assert entry.keywords or entry.rate_keywords
    # Every entry must accept at least one base unit of the quantity policy.
    assert set(entry.units) & BASE_UNITS
    if "%" in entry.units:
        assert entry.rate_keywords or entry.keywords


@pytest.mark.parametrize(
    ("id_", "system", "unit"),
    [
        ("penalty_cases", "law_enforcement", "件"),
        ("fines_amount", "law_enforcement", "元"),
        ("head_appearance", "dispute_resolution", "%"),
        ("pufa_events", "party_leadership", "场次"),
        ("platform_cases", "digital_support", "件"),
        ("info_proactive", "power_oversight", "条"),
    ],
)
def test_catalogue_get_entry(id_, system, unit):
    entry = get_entry(id_)
    assert entry.id == id_ and entry.system == system and unit in entry.units


def test_catalogue_amounts_are_not_counts():
    assert "元" not in get_entry("penalty_cases").units
    assert get_entry("fines_amount").units == ["元"]


def test_catalogue_pufa_group():
    pufa = [e for e in load_catalogue() if e.group == "pufa"]
    assert {"pufa_events", "pufa_materials", "legal_literates"} <= {e.id for e in pufa}
    assert all(e.system == "party_leadership" for e in pufa)


def test_catalogue_get_entry_unknown_raises():
    with pytest.raises(KeyError):
        get_entry("no_such_indicator")


def test_catalogue_version():
    assert catalogue.catalogue_version() == "indicators.v1"


def test_catalogue_rejects_unknown_fields():
    data = dict(load_toml(catalogue.CATALOGUE_FILE))
    bad = dict(data["indicator"][0], colour="red")
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({**data, "indicator": [bad]}, CatalogueFile)


def test_catalogue_rejects_unknown_system():
    data = dict(load_toml(catalogue.CATALOGUE_FILE))
    bad = dict(data["indicator"][0], system="astrology")
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({**data, "indicator": [bad]}, CatalogueFile)


def test_catalogue_missing_file_raises(monkeypatch):
    monkeypatch.setattr(catalogue, "CATALOGUE_FILE", "indicators_nonexistent.toml")
    catalogue._load.cache_clear()
    try:
        with pytest.raises(FileNotFoundError):
            catalogue.load_catalogue()
    finally:
        monkeypatch.undo()
        catalogue._load.cache_clear()


@pytest.mark.parametrize("entry", load_catalogue(), ids=lambda e: e.id)
def test_catalogue_context_words_are_not_own_keywords(entry: CatalogueEntry):
    # A context word equal to the entry's own keyword would count the same hit twice.
    own = set(entry.keywords) | set(entry.rate_keywords) | set(entry.weak_keywords)
    assert not set(entry.context_keywords) & own


def test_catalogue_matching_tables_load():
    cfg = catalogue.load_config()
    assert cfg.weights.min_score > cfg.weights.min_keyword_score > 0
    assert "%" in cfg.matching.rate_units
    assert "办结率" in cfg.matching.generic_rate_keywords
    assert "倍" in cfg.matching.no_id_units


def test_catalogue_unit_equivalents_are_quantity_units():
    # 宗 = 件 etc.: both sides must be units the quantities stage can emit and the target a unit
    # some entry counts in, or the equivalence would silently do nothing.
    equivalents = catalogue.load_config().matching.unit_equivalents
    stage_units = set(load_toml("quantities_units.toml")["units"])
    entry_units = {u for e in load_catalogue() for u in e.units}
    assert {"宗", "件次"} <= set(equivalents)
    for unit, base in equivalents.items():
        assert unit in stage_units and base in stage_units, unit
        assert base in entry_units and unit != base, unit
