"""Tests for the lists stage: citations and the shortcomings/plans items."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from workers.pipeline import lists, outline
from workers.pipeline.lists_citations import classify, find
from workers.pipeline.model import Doc, RawText

SEEDS = Path(__file__).resolve().parents[1] / "devset"
_spec = importlib.util.spec_from_file_location("outline_docs", Path(__file__).with_name("outline_docs.py"))
D = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(D)


def run(text: str) -> Doc:
    doc = Doc(raw=RawText(text=text, media_type="text/plain"), text=text)
    return lists.run(outline.run(doc))


def seed(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8").replace("\r\n", "\n")


def texts(items) -> list[str]:
    return [i.text for i in items]


# ------------------------------------------------------------------------------------ items


ITEM_CASES = [
    (
        "000_05ee1e95bd58e56e.txt",
        ["行政执法队伍专业度有待提高", "普法宣传力度仍需加强", "法治工作体系建设尚未完善"],
        ["分发挥政府法律顾问作用", "强化对法治政府建设的统筹协调", "持续推进落实行政执法体制改革"],
    ),
    (
        "001_033957f002b379d8.txt",
        ["法治政府建设的创新招法偏少", "推进法治政府建设工作用力不均衡", "法治人才队伍建设还需加强"],
        ["严格落实宝坻区法治建设“一规划两纲要”", "不断提高依法行政水平", "切实加强新时代法治人才培养", "持续营造良好法治氛围"],
    ),
    (
        "003_402f979c333f0346.txt",
        ["法治宣传仍存薄弱", "队伍建设有待提高", "调解工作亟需加强"],
        ["深入推进法治宣传教育", "全面优化依法行政队伍", "积极开展村级法律培训"],
    ),
]


@pytest.mark.parametrize(("name", "short", "plans"), ITEM_CASES)
def test_lists_seed_items(name, short, plans):
    doc = run(seed(name))
    assert texts(doc.shortcomings) == short
    assert texts(doc.plans) == plans


SYNTH_ITEMS = [
    # inline 一是 in one paragraph; plans as （一） run-in sub-headings
    (
        "COUNTY_2015",
        ["部分干部依法行政意识还不够强", "基层执法力量薄弱，执法人员素质有待提升", "法治宣传的针对性和实效性还需增强"],
        ["深化“放管服”改革", "加强执法队伍建设", "加大普法力度"],
    ),
    # sub-headings and 1. numbered lines; the 其他 section and signature are not plans
    (
        "DEPARTMENT",
        ["执法监督力度不够", "法治人才储备不足"],
        ["持续深化行政执法监督", "加快公共法律服务体系建设", "提升行政复议办案质效"],
    ),
    # 1、 numbered lines
    (
        "TOWN_THREE_PART",
        ["部分村（社区）干部法治意识不强，运用法治思维解决问题的能力不足", "普法宣传形式单一，针对性不强"],
        ["加强学习培训，提升镇村干部依法办事能力", "创新普法形式，推动法治宣传进村入户", "强化矛盾纠纷排查化解，维护社会和谐稳定"],
    ),
    # headings without body
    ("HALF_WIDTH", ["执法规范化水平有待提高", "法治队伍建设还需加强"], ["持续深化法治政府示范创建", "加快数字法治政府建设"]),
    # run-in sub-headings: the run-in title is the item
    ("RUN_IN", ["依法行政能力有待提升", "执法体制改革还需深化"], ["加强法治教育培训", "深化综合行政执法改革"]),
    # no headings at all: 一是…；二是… after a cue phrase
    (
        "NO_HEADINGS",
        ["法治宣传的覆盖面还不够广", "基层法律服务力量相对薄弱"],
        ["持续深化普法宣传，扩大法治宣传覆盖面", "加强法律服务队伍建设，配齐配强社区法律顾问"],
    ),
    # one paragraph per part: the paragraph's first sentence
    ("GENERIC_TOP", ["部分执法人员业务能力有待提升"], ["深入推进严格规范公正文明执法，加强执法人员培训"]),
    # a combined 问题及下一步 heading split at the 下一步 paragraph
    ("COMBINED", ["干部法治意识有待加强", "普法形式较为单一"], ["加强干部学法用法", "丰富普法宣传形式"]),
    # unnumbered part headings after numbered area headings
    (
        "UNNUMBERED_TAIL",
        ["部分部门依法行政意识有待增强", "行政执法队伍专业化水平不高"],
        ["加强法治宣传教育", "提升行政执法水平", "强化行政权力监督"],
    ),
    # arabic top level, parts as unnumbered paragraphs (one opened by the next year)
    ("PROVINCE_ARABIC", ["发展不平衡", "基层执法能力不强"], ["深化简政放权", "加强执法监督"]),
    ("NESTED_RESPONSIBILITY", ["执法人员数量不足，专业素质有待提高"], ["进一步加强执法队伍建设，严格落实行政执法三项制度"]),
]


@pytest.mark.parametrize(("name", "short", "plans"), SYNTH_ITEMS)
def test_lists_synthetic_items(name, short, plans):
    doc = run(getattr(D, name))
    assert texts(doc.shortcomings) == short
    assert texts(doc.plans) == plans


def test_lists_item_spans_are_exact_everywhere():
    docs = [getattr(D, n) for n, *_ in SYNTH_ITEMS] + [seed(n) for n, *_ in ITEM_CASES]
    for text in docs:
        doc = run(text)
        for item in doc.shortcomings + doc.plans:
            assert text[item.start : item.end] == item.text
        for c in doc.citations:
            assert text[c.start] in "《〈<" and text[c.end - 1] in "》〉>"


def test_lists_inline_enumeration_needs_boundary_and_sequence():
    text = (
        "报告\n一、主要举措\n正文。\n二、存在的问题\n"
        "思想认识统一是前提。一是学习不够深入；三是跳号不算；二是制度执行不严格。\n三、下一步打算\n加强学习。\n"
    )
    doc = run(text)
    assert texts(doc.shortcomings) == ["学习不够深入", "制度执行不严格"]
    assert texts(doc.plans) == ["加强学习"]


def test_lists_paragraph_items_skip_lead_in():
    text = "报告\n一、主要举措\n正文。\n二、存在的问题\n主要表现在以下方面：\n执法力量不足。人员少。\n普法形式单一。\n"
    doc = run(text)
    assert texts(doc.shortcomings) == ["执法力量不足", "普法形式单一"]


def test_lists_di_yi_enumeration():
    text = "报告\n一、举措\n正文。\n二、下一步工作安排\n第一，加强组织领导。第二，强化队伍建设。\n"
    assert texts(run(text).plans) == ["加强组织领导", "强化队伍建设"]


# -------------------------------------------------------------------------------- citations


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("中华人民共和国行政处罚法", "national_law"),
        ("行政复议法", "national_law"),
        ("民法典", "national_law"),
        ("中华人民共和国政府信息公开条例", "regulation"),
        ("重大行政决策程序暂行条例", "regulation"),
        ("党政主要负责人履行推进法治建设第一责任人职责规定", "regulation"),
        ("国务院关于加强法治政府建设的意见", "regulation"),
        ("国务院办公厅关于印发全面推行行政执法三项制度指导意见的通知", "regulation"),
        ("国家“八五”普法规划", "plan"),
        ("法治政府建设实施纲要(2021-2025年)", "plan"),
        ("法治中国建设规划(2020—2025年)", "plan"),
        ("天津市法治政府建设实施纲要(2021-2025年)", "local_document"),
        ("西青区学习宣传贯彻习近平法治思想工作方案", "local_document"),
        ("市中区人民政府规范性文件制定程序规定", "local_document"),
        ("2022年宝坻区政务公开工作要点", "local_document"),
        ("区委全面依法治区委员会2020年工作要点", "local_document"),
        ("社区矫正法", "national_law"),
        ("城市管理执法办法", "regulation"),
        ("关于加强乡镇法治建设的实施方案", "plan"),
        ("论坚持全面依法治国", "other"),
        ("免罚清单", "other"),
    ],
)
def test_lists_citation_types(title, kind):
    assert classify(title) == kind


def test_lists_citations_nested_and_broken():
    text = "落实《宝坻区贯彻落实<法治社会建设\n指标体系(试行)>任务分工台账》和《关于印发〈永宁县法治政府建设实施方案〉的通知》。学习《中华人民共和国公职人 员政务处分法》。"
    got = [(c.title, c.type, text[c.start : c.end]) for c in find(text)]
    assert got == [
        (
            "宝坻区贯彻落实《法治社会建设指标体系(试行)》任务分工台账",
            "local_document",
            "《宝坻区贯彻落实<法治社会建设\n指标体系(试行)>任务分工台账》",
        ),
        ("法治社会建设指标体系(试行)", "other", "<法治社会建设\n指标体系(试行)>"),
        ("关于印发《永宁县法治政府建设实施方案》的通知", "regulation", "《关于印发〈永宁县法治政府建设实施方案〉的通知》"),
        ("永宁县法治政府建设实施方案", "local_document", "〈永宁县法治政府建设实施方案〉"),
        ("中华人民共和国公职人员政务处分法", "national_law", "《中华人民共和国公职人 员政务处分法》"),
    ]


def test_lists_unclosed_title_is_skipped():
    text = "学习《行政处罚法。然后开展培训。再学习《行政强制法》。"
    assert [c.title for c in find(text)] == ["行政强制法"]


def test_lists_seed_citations():
    doc = run(seed("001_033957f002b379d8.txt"))
    by_title = {c.title: c.type for c in doc.citations}
    assert by_title["宝坻区法治政府建设实施纲要(2021—2025年)"] == "local_document"
    assert by_title["行政复议法"] == "national_law"
    assert by_title["关于进一步规范行政执法行为减少行政败诉的意见"] == "plan"
    assert len(doc.citations) == 24  # 22 《》 + 2 nested <>


def test_lists_bare_heading_line_is_not_an_item():
    text = "报告\n一、主要举措\n正文。\n存在的问题\n执法力量不足。\n普法形式单一。\n"
    doc = run(text)
    assert [s.kind for s in doc.sections] == ["measures", "shortcomings"]
    assert texts(doc.shortcomings) == ["执法力量不足", "普法形式单一"]


@pytest.mark.parametrize(
    ("body", "want"),
    [
        ("1.执法人员知识结构不相适应。2.执法办案信息化水平不高。", ["执法人员知识结构不相适应", "执法办案信息化水平不高"]),
        ("（一）宣传不够深入；（二）队伍力量薄弱。", ["宣传不够深入", "队伍力量薄弱"]),
        ("受理投诉3.9万件。1、队伍弱；2、经费少。", ["队伍弱", "经费少"]),
    ],
)
def test_lists_inline_numbered_items_in_one_paragraph(body, want):
    text = f"报告\n一、主要举措\n正文。\n二、存在的问题\n{body}\n"
    assert texts(run(text).shortcomings) == want


def test_lists_spans_hold_on_random_fragments():
    import random

    rng = random.Random(7)
    alphabet = list("一二三十、（）()12.。，；：《》〈〉<>\n 是区市法条例") + ["一、", "（一）", "1.", "下一步", "存在的问题", "一是", "二是"]
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        doc = run(text)
        for item in doc.shortcomings + doc.plans:
            assert text[item.start : item.end] == item.text
        for s in doc.sections:
            assert 0 <= s.start < s.end <= len(text)
        for h in doc.outline:
            assert text.startswith(h.label, h.start) and h.start < h.title_end <= h.end <= len(text)
