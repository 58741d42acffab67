"""Tests for the outline stage: heading tree, 纲要 systems, required sections."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from workers.pipeline import outline
from workers.pipeline.model import Doc, RawText
from workers.pipeline.outline_sections import classify
from workers.pipeline.outline_systems import system_of

SEEDS = Path(__file__).resolve().parents[1] / "devset"
# loaded by path: works whether or not tests/ is a package
_spec = importlib.util.spec_from_file_location("outline_docs", Path(__file__).with_name("outline_docs.py"))
D = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(D)


def run(text: str) -> Doc:
    return outline.run(Doc(raw=RawText(text=text, media_type="text/plain"), text=text))


def seed(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8").replace("\r\n", "\n")


def kinds(doc: Doc) -> list[str]:
    return [s.kind for s in doc.sections]


def top(doc: Doc) -> list[tuple[str, str]]:
    return [(h.label, h.title) for h in doc.outline if h.level == 1]


# ------------------------------------------------------------------------------------ seeds


SEED_CASES = [
    (
        "000_05ee1e95bd58e56e.txt",
        ["measures", "responsibility", "shortcomings", "plans"],
        [
            ("一、", "主要举措与成效"),
            ("二、", "履行第一责任人职责情况"),
            ("三、", "工作中存在的不足和原因"),
            ("四、", "下一年度法治政府建设的重点工作安排"),
        ],
        ["decision_making", "party_leadership", "decision_making", "law_enforcement", "power_oversight"],
    ),
    (
        "001_033957f002b379d8.txt",
        ["measures", "shortcomings", "responsibility", "plans"],
        [
            ("一、", "2022年度推进法治政府建设的主要举措和成效"),
            ("二、", "2022年度推进法治政府建设存在的不足和原因"),
            ("三、", "2022年度党政主要负责人履行推进法治建设第一责任人职责,加强法治政府建设的有关情况"),
            ("四、", "2023年度推进法治政府建设的主要安排"),
        ],
        [
            "gov_functions",
            "rules_system",
            "law_enforcement",
            "emergency_response",
            "dispute_resolution",
            "power_oversight",
            "party_leadership",
        ],
    ),
    (
        "003_402f979c333f0346.txt",
        ["measures", "responsibility", "shortcomings", "plans"],
        [
            ("一、", "推进法治政府建设的主要举措和成效"),
            ("二、", "履行推进法治建设第一责任人职责"),
            ("三、", "存在的不足及原因"),
            ("四、", "下步主要安排"),
        ],
        ["gov_functions", "decision_making", "law_enforcement", "dispute_resolution"],
    ),
]


@pytest.mark.parametrize(("name", "want_kinds", "want_top", "want_systems"), SEED_CASES)
def test_outline_seed_sections_and_headings(name, want_kinds, want_top, want_systems):
    doc = run(seed(name))
    assert kinds(doc) == want_kinds
    assert top(doc) == want_top
    first = doc.outline[0]
    measures_children = [h for h in doc.outline if h.level == 2 and h.start < first.end]
    assert [h.system for h in measures_children] == want_systems


def test_outline_seed_sections_stop_before_signature():
    text = seed("000_05ee1e95bd58e56e.txt")
    doc = run(text)
    last = doc.sections[-1]
    assert text[last.start : last.end].endswith("促进严格规范公正文明执法。")
    assert "张家窝镇人民政府" not in text[last.start : last.end]


# ------------------------------------------------------------------------ synthetic reports


SYNTH_CASES = [
    ("COUNTY_2015", ["measures"] * 7 + ["shortcomings", "plans"]),
    ("DEPARTMENT", ["responsibility", "measures", "shortcomings", "plans", "other"]),
    ("TOWN_THREE_PART", ["measures", "shortcomings", "plans"]),
    ("HALF_WIDTH", ["measures", "shortcomings", "plans"]),
    ("RUN_IN", ["measures", "shortcomings", "plans"]),
    ("NO_HEADINGS", ["measures", "responsibility", "shortcomings", "plans"]),
    ("GENERIC_TOP", ["measures", "shortcomings", "responsibility", "plans"]),
    ("COMBINED", ["measures", "shortcomings", "plans"]),
    ("UNNUMBERED_TAIL", ["measures"] * 3 + ["shortcomings", "plans"]),
    ("NESTED_RESPONSIBILITY", ["measures", "responsibility", "other", "shortcomings", "plans"]),
    ("PROVINCE_ARABIC", ["measures"] * 3 + ["shortcomings", "plans"]),
]


@pytest.mark.parametrize(("name", "want"), SYNTH_CASES)
def test_outline_synthetic_section_kinds(name, want):
    assert kinds(run(getattr(D, name))) == want


def test_outline_2015_area_headings_carry_systems():
    doc = run(D.COUNTY_2015)
    areas = [h.system for h in doc.outline if h.level == 1][:7]
    assert areas == [
        "gov_functions",
        "rules_system",
        "decision_making",
        "law_enforcement",
        "power_oversight",
        "dispute_resolution",
        "capacity_building",
    ]
    assert [s.heading for s in doc.sections][:2] == ["依法全面履行政府职能", "完善依法行政制度体系"]


def test_outline_half_width_levels_and_false_headings():
    text = D.HALF_WIDTH
    doc = run(text)
    got = [(h.level, h.label, h.title) for h in doc.outline]
    assert got[:4] == [
        (1, "一、", "主要举措和成效"),
        (2, "(一)", "健全政府机构职能体系"),
        (3, "1、", "深化放管服改革"),
        (3, "2、", "优化营商环境"),
    ]
    titles = [h.title for h in doc.outline]
    # "1.3万平方米…" is a quantity, "5.全面清理…" is out of sequence and too long
    assert not any(t.startswith(("3万", "全面清理")) for t in titles)
    assert "加强规范性文件管理" in titles  # numbering restarts under (二)
    # the 1、 heading's section runs to the next 1、/2、 or higher heading
    h = next(h for h in doc.outline if h.title == "深化放管服改革")
    assert text[h.start : h.end].endswith("建成投用。")


def test_outline_run_in_heading_spans():
    text = D.RUN_IN
    doc = run(text)
    h = next(h for h in doc.outline if h.label == "（一）")
    assert h.title == "依法全面履行政府职能方面"
    assert text[h.start : h.title_end] == "（一）依法全面履行政府职能方面。"
    assert text[h.start : h.end].endswith("4128项。")
    assert h.system == "gov_functions"


def test_outline_levels_follow_first_appearance():
    text = "报告\n一、主要举措\n1.强化组织领导\n正文。\n2.推进依法决策\n正文。\n二、存在问题\n正文。\n"
    doc = run(text)
    assert [(h.level, h.label) for h in doc.outline] == [(1, "一、"), (2, "1."), (2, "2."), (1, "二、")]


@pytest.mark.parametrize(
    "line",
    [
        "1.3万平方米的办公场所投入使用。",
        "2021年，全区共办理行政复议案件30件。",
        "1、2月份组织开展专项检查。",
        "1.全年共组织开展行政执法人员培训12期，参训人员达2300余人次，培训合格率达到98%，有效提升了执法人员的业务能力和综合素质水平。",
    ],
)
def test_outline_rejects_false_headings(line):
    doc = run(f"报告\n一、主要举措\n{line}\n二、存在问题\n正文。\n")
    assert [h.label for h in doc.outline] == ["一、", "二、"]


def test_outline_out_of_sequence_numbers_are_body():
    doc = run("报告\n一、主要举措\n正文。\n三、这行不是标题\n二、存在问题\n正文。\n")
    assert [h.title for h in doc.outline] == ["主要举措", "存在问题"]


def test_outline_numbering_may_run_on_across_parents():
    text = "报告\n一、甲\n（一）子一\n正文。\n（二）子二\n正文。\n二、乙\n（三）子三\n正文。\n"
    doc = run(text)
    assert [h.label for h in doc.outline] == ["一、", "（一）", "（二）", "二、", "（三）"]


def test_outline_child_inherits_parent_system():
    doc = run(D.RUN_IN.replace("（二）依法决策方面", "（二）其他工作方面"))
    assert doc.outline[0].system is None
    text = "报告\n一、坚持严格规范公正文明执法\n（一）加强队伍建设\n正文。\n"
    doc = run(text)
    assert [h.system for h in doc.outline] == ["law_enforcement", "law_enforcement"]


def test_outline_heading_invariants_hold_on_every_document():
    texts = [getattr(D, n) for n, _ in SYNTH_CASES] + [seed(n) for n, *_ in SEED_CASES]
    for text in texts:
        doc = run(text)
        for h in doc.outline:
            assert text.startswith(h.label, h.start)
            assert h.title in text[h.start : h.title_end]
            assert h.start < h.title_end <= h.end <= len(text)
        for s in doc.sections:
            assert 0 <= s.start < s.end <= len(text)
            assert not text[s.end - 1].isspace()


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("2022年度推进法治政府建设的主要举措和成效", "measures"),
        ("工作开展情况", "measures"),
        ("存在的不足和原因", "shortcomings"),
        ("当前存在的短板和差距", "shortcomings"),
        ("党政主要负责人履行推进法治建设第一责任人职责情况", "responsibility"),
        ("下一年度工作打算", "plans"),
        ("2024年工作思路", "plans"),
        ("其他需要报告的情况", "other"),
        ("存在的问题及下一步打算", "shortcomings+plans"),
        ("强化组织领导，夯实法治基础", None),
    ],
)
def test_outline_classify_heading_titles(title, kind):
    assert classify(title) == kind


@pytest.mark.parametrize(
    ("title", "year", "kind"),
    [
        ("2024年工作重点", 2023, "plans"),
        ("2023年工作", 2023, None),
        ("2021年法治政府建设主要举措和成效", 2019, "measures"),
    ],
)
def test_outline_year_only_heading_uses_report_year(title, year, kind):
    assert classify(title, year) == kind


@pytest.mark.parametrize(
    ("title", "system"),
    [
        ("健全依法行政制度体系，持续推进科学民主决策", "rules_system"),
        ("严格规范公正文明执法，加强规范性文件管理", "law_enforcement"),
        ("健全社会矛盾纠纷行政预防调处化解体系", "dispute_resolution"),
        ("建立法律顾问机制，提供坚实法治保障", "decision_making"),
        ("全面建设数字法治政府", "digital_support"),
        ("加强法治政府建设组织领导落实", "party_leadership"),
        ("主要举措与成效", None),
    ],
)
def test_outline_system_of_title(title, system):
    assert system_of(title) == system


def test_outline_part_headings_and_circled_numbers():
    text = (
        "报告\n第一部分 主要举措和成效\n①强化学法\n正文。\n②规范执法\n正文。\n"
        "第二部分 存在的不足\n正文。\n第三部分 下一步安排\n正文。\n"
    )
    doc = run(text)
    assert [(h.level, h.title) for h in doc.outline] == [
        (1, "主要举措和成效"),
        (2, "强化学法"),
        (2, "规范执法"),
        (1, "存在的不足"),
        (1, "下一步安排"),
    ]
    assert kinds(doc) == ["measures", "shortcomings", "plans"]


def test_outline_signature_and_closing_formula_end_sections():
    text = "报告\n一、主要举措\n正文。\n二、下一步打算\n加强学习。\n特此报告。\n（此件公开发布）\n中共某某区委  某某区人民政府\n2023年2月1日\n"
    doc = run(text)
    assert text[doc.sections[-1].start : doc.sections[-1].end] == "二、下一步打算\n加强学习。"


def test_outline_empty_text_gives_nothing():
    doc = run("")
    assert doc.outline == [] and doc.sections == []


def test_outline_unnumbered_parts_are_split_off_the_last_section():
    text = D.UNNUMBERED_TAIL
    doc = run(text)
    last_area = doc.sections[2]
    assert text[last_area.start : last_area.end].endswith("办结率100%。")
    assert doc.outline[-1].end == last_area.end
    short = doc.sections[3]
    assert (short.heading, text[short.start : short.end].split("\n")[0]) == ("存在的问题和不足", "存在的问题和不足")


def test_outline_nested_responsibility_section_lies_inside_measures():
    doc = run(D.NESTED_RESPONSIBILITY)
    measures, resp = doc.sections[0], doc.sections[1]
    assert measures.start < resp.start < resp.end <= measures.end
    assert resp.heading == "党政主要负责人履行推进法治建设第一责任人职责情况"


def test_outline_plan_paragraph_naming_first_responsibility_is_not_a_part():
    text = (
        "报告\n一、主要举措\n正文。\n二、存在问题\n队伍弱。\n三、下一步打算\n"
        "压实党政主要负责人履行推进法治建设第一责任人职责。\n持续深化普法。\n"
    )
    assert kinds(run(text)) == ["measures", "shortcomings", "plans"]


def test_outline_unnumbered_plans_after_numbered_shortcomings():
    text = "报告\n一、主要举措\n正文。\n二、存在的问题\n队伍弱。\n下一步，我们将加强队伍建设。\n"
    doc = run(text)
    assert kinds(doc) == ["measures", "shortcomings", "plans"]
    assert text[doc.sections[1].start : doc.sections[1].end] == "二、存在的问题\n队伍弱。"


def test_outline_combined_heading_with_part_children():
    text = "报告\n一、主要举措\n正文。\n二、存在的问题和下一步打算\n（一）存在的问题\n队伍弱。\n（二）下一步打算\n加强培训。\n"
    doc = run(text)
    assert [(s.kind, s.heading) for s in doc.sections] == [
        ("measures", "主要举措"),
        ("shortcomings", "存在的问题"),
        ("plans", "下一步打算"),
    ]


def test_outline_inline_list_on_one_line_is_not_a_heading():
    doc = run("报告\n一、存在的问题\n1.队伍弱。2.经费少。\n二、下一步打算\n正文。\n")
    assert [h.label for h in doc.outline] == ["一、", "二、"]


# ------------------------------------------------------------ held-out generalisation fixes


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        # a part's keyword as the object of a measure's verb names a measure
        ("聚焦短板弱项，深化“放管服”改革", None),
        ("补齐基层执法差距，推进严格规范公正文明执法", None),
        ("着眼下一步发展，推进制度建设", None),
        ("解决群众反映的突出问题，提升执法质效", None),
        # ... but not in another clause, and never for responsibility
        ("针对存在的问题，下一步工作打算", "plans"),
        ("坚持党的领导，压实法治建设第一责任人责任", "responsibility"),
        ("存在的不足和原因", "shortcomings"),
        ("存在的困难", "shortcomings"),
        ("存在问题及改进措施", "shortcomings+plans"),
    ],
)
def test_outline_keywords_as_objects_of_measure_verbs(title, kind):
    assert classify(title) == kind


def test_outline_action_headings_with_part_words_stay_measures():
    doc = run(
        "XX县人民政府2022年法治政府建设情况报告\n市政府：\n2022年，我县法治政府建设取得新成效，现报告如下。\n"
        "一、聚焦短板弱项，深化“放管服”改革\n取消审批事项12项。\n"
        "二、着眼长远发展，健全依法行政制度体系\n制发规范性文件5件。\n"
        "三、补齐基层执法差距，推进严格规范公正文明执法\n办理处罚案件120件。\n"
        "四、存在的不足和原因\n执法力量不足。\n五、2023年工作安排\n加强培训。\n"
        "XX县人民政府\n2023年2月1日\n"
    )
    assert kinds(doc) == ["measures", "measures", "measures", "shortcomings", "plans"]


@pytest.mark.parametrize(
    "text",
    [
        "存在的问题" * 20,
        "①" * 60 + "下一步",  # NFKC turns ① into 1
        "e\u0301" * 30 + "问题",  # combining marks compose
        "㍻" * 30 + "中" + "ｱ" * 30,  # expansions before and after an ideograph
        "2023" + " " * 50 + "年工作计划",
        "",
    ],
)
def test_fold_head_is_the_start_of_the_folded_text(text):
    from workers.pipeline.outline_systems import fold, fold_head

    for n in (1, 5, 21, 41, 200):
        assert fold_head(text, n) == fold(text)[:n]
