"""Tests for the quantities stage, following the team's quantity policy phrase by phrase."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from workers.pipeline import quantities
from workers.pipeline.model import Doc, RawText
from workers.pipeline.normalise import normalise_text
from workers.pipeline.quantities import find_quantities

SEEDS = sorted(Path("/work/shared/seeds").glob("*.txt")) or sorted(
    (Path(__file__).resolve().parents[1] / "devset").glob("00*.txt")
)


def facts(text: str) -> list[tuple]:
    return [(q.value, q.unit, q.qualifier) for q in find_quantities(text)]


# ------------------------------------------------------------------------------------------
# Positives: value, unit, qualifier
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("全年共动态调整权责清单163条。", [(163, "条", "exact")]),
        ("主动公开政府信息4000余条。", [(4000, "条", "at_least")]),
        ("开展宣讲活动30多场。", [(30, "场", "at_least")]),
        ("覆盖科级以上干部680余人次。", [(680, "人次", "at_least")]),
        ("新建法治文化公园，总面积1.3万平方米。", [(13000, "平方米", "exact")]),
        ("罚没款50万元。", [(500000, "元", "exact")]),
        ("处罚金额111.4万元。", [(1114000, "元", "exact")]),
        ("受众2.3万人次。", [(23000, "人次", "exact")]),
        ("涉案金额1.2亿元。", [(120000000, "元", "exact")]),
        ("涉及资金300余万元。", [(3000000, "元", "at_least")]),
        ("累计办件1万余件。", [(10000, "件", "at_least")]),
        ("受益群众千余人。", [(1000, "人", "at_least")]),
        ("培训干部约300人。", [(300, "人", "about")]),
        ("覆盖居民近5000人次。", [(5000, "人次", "about")]),
        ("开展排查3000人次左右。", [(3000, "人次", "about")]),
        ("办结超过200件。", [(200, "件", "at_least")]),
        ("化解纠纷逾千起。", [(1000, "起", "at_least")]),
        ("检查企业50家以上。", [(50, "家", "at_least")]),
        ("办理时限压缩至3天以内。", [(3, "天", "at_most")]),
        ("部分乡镇法制审核人员不足两名。", [(2, "名", "at_most")]),
        ("召开专题会议三名负责人参加。", [(3, "名", "exact")]),
        ("研究法治政府建设二十余次。", [(20, "次", "at_least")]),
        ("开展普法活动三百余场。", [(300, "场", "at_least")]),
        ("举办讲座两场。", [(2, "场", "exact")]),
        ("受理行政复议案件四十二件。", [(42, "件", "exact")]),
        ("排查化解矛盾纠纷两千余起。", [(2000, "起", "at_least")]),
        ("同比增长15%。", [(15, "%", "exact")]),
        ("败诉率同比下降7.01个百分点。", [(7.01, "个百分点", "exact")]),
        ("人均培训学时增长2倍。", [(2, "倍", "exact")]),
        ("合格率达到百分之九十八。", [(98, "%", "exact")]),
        ("办理依申请公开351件次。", [(351, "件次", "exact")]),
        ("检查企业344家（次）。", [(344, "家次", "exact")]),
        ("平均跑动次数降低至0.7次。", [(0.7, "次", "exact")]),
        ("律师团队均有近10年工作经验。", [(10, "年", "about")]),
        ("实施三年来办件12件。", [(12, "件", "exact")]),
        ("受理12,345件。", [(12345, "件", "exact")]),
        ("执法人员述法1次。", [(1, "次", "exact")]),
        ("调解成功率98%以上。", [(98, "%", "at_least")]),
        ("开展执法检查１２次。", [(12, "次", "exact")]),
    ],
)
def test_quantities_reads_value_unit_qualifier(text, expected):
    text = normalise_text(RawText(text=text, media_type="text/plain"))[0]
    assert facts(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("受理答复8890诉求655件，办结率、满意率均为100%。", [(655, "件"), (100, "%"), (100, "%")]),
        ("121名干部职工参加考试，参考率和通过率均达100%。", [(121, "名"), (100, "%"), (100, "%")]),
        ("报备率、报备及时率、规范率均达100%。", [(100, "%")] * 3),
        ("行政审批事项由494项减到304项。", [(494, "项"), (304, "项")]),
        ("26个部门654项政务服务事项集中进驻。", [(26, "个"), (654, "项")]),
        ("按期办结率、群众满意率分别为99.8%和96.1%。", [(99.8, "%"), (96.1, "%")]),
        ("实地督察2轮，通报问题单位7个，约谈责任人5名。", [(2, "轮"), (7, "个"), (5, "名")]),
    ],
)
def test_quantities_one_fact_per_name_and_value(text, expected):
    assert [(v, u) for v, u, _ in facts(text)] == expected


# ------------------------------------------------------------------------------------------
# Negatives: each exclusion of the policy
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2023年，我区坚持依法行政。",  # calendar year
        "2021年1月3日党委会传达会议精神。",  # date
        "二〇二二年一月十日",  # date in Chinese numerals
        "3月份以来开展工作。",
        "会议于14:30召开。",  # time
        "依据国办发〔2019〕28号文件。",  # 文号
        "根据国务院令第713号。",
        "依照第二十四条规定。",  # article
        "理论学习中心组第12期集中学习。",  # ordinals with 第
        "第5次学习集中学习了法律。",
        "落实第一责任人职责。",
        "拨打12345热线反映问题。",  # hotline
        "受理8890便民热线诉求。",
        "深入实施八五普法规划，谋划十四五发展。",  # plan names
        "严格落实三重一大决策规则和双随机一公开监管。",
        "深化行政执法三项制度改革。",  # slogan with a unit word
        "推行一件事一次办改革。",
        "构建1+1+N工作体系。",
        "实行三色管理，推动两法衔接。",
        "一、主要举措与成效",  # enumerators
        "（二）健全制度",
        "3.加强队伍建设",
        "一是健全机制。",
        "每年法治培训不低于60学时。",  # norms
        "执法人员每人每年不少于60学时。",
        "每季度对工作人员开展一次培训。",
        "每半年对领导班子开展一次培训。",
        "在20个工作日内答复。",
        "学习《民法典》第三编。",  # inside a title
        "印发《关于开展三年行动的通知》。",
        "为70岁以上老年人提供服务。",  # ages
        "根据纲要(2021—2025年)的要求。",  # 纲要 years
        "法治政府建设实施纲要（2021-2025年）",
        "认真落实纲要（20212025年）要求。",  # dash lost in a PDF copy
        "严格落实一次性告知制度，推进一件事一次办。",  # lone 一
        "进一步完善制度，建立一个平台。",
        "今年以来法律顾问共提供法律服务数百次。",  # vague
        "开展上百场活动。",
        "达到每2名执法人员配备1套音像记录设备的标准。",  # ratio norm
        "计划年内开展4次村级调解主任培训。",  # plan
        "开展不少于8次法制教育。",
        "坚定做到两个维护，树牢四个意识。",
        "严格执行中央八项规定精神。",
        "千家万户受益，百家企业参与。",  # bare 千/百 idioms
        "全国第二批枫桥式派出所。",
        "实现市、区、街、社区四级贯通。",
    ],
)
def test_quantities_excludes_non_facts(text):
    text = normalise_text(RawText(text=text, media_type="text/plain"))[0]
    assert facts(text) == []


# ------------------------------------------------------------------------------------------
# Evidence and subject
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, quote, subject",
    [
        ("全年共动态调整权责清单163条。", "163条", "动态调整权责清单"),
        ("行政机关负责人出庭应诉率达100%。", "行政机关负责人出庭应诉率达100%", "行政机关负责人出庭应诉率"),
        ("培训干部约300人。", "约300人", "培训干部"),
        ("检查企业50家以上。", "50家以上", "检查企业"),
        ("开设700余个政务服务代办点。", "700余个", "政务服务代办点"),
        ("2021年共录入案件4042件。", "4042件", "录入案件"),
        ("罚没款1.2亿元。", "1.2亿元", "罚没款"),
    ],
)
def test_quantities_evidence_and_subject(text, quote, subject):
    (q,) = find_quantities(text)
    assert text[q.start : q.end] == quote
    assert q.start <= q.number_start < q.number_end <= q.end
    assert q.subject == subject


def test_quantities_shared_value_spans_cover_own_name_and_number():
    text = "受理诉求655件，办结率、满意率均为100%。"
    _, q2, q3 = find_quantities(text)
    assert [q2.subject, q3.subject] == ["办结率", "满意率"]
    assert q2.number_start == q3.number_start == text.index("100")
    for q in (q2, q3):
        assert q.start <= q.number_start and q.end == text.index("。")
        assert q.is_rate
    assert text[q2.start : q2.end].startswith("办结率") and text[q3.start : q3.end].startswith("满意率")


@pytest.mark.parametrize("text, is_rate", [("办结率达99.5%。", True), ("下降3个百分点。", False), ("受理12件。", False)])
def test_quantities_is_rate(text, is_rate):
    (q,) = find_quantities(text)
    assert q.is_rate is is_rate


def test_quantities_value_types():
    values = [q.value for q in find_quantities("罚款1.5万元，下降7.01个百分点，受理12件。")]
    assert values == [15000, 7.01, 12]
    assert [type(v) for v in values] == [int, float, int]


# ------------------------------------------------------------------------------------------
# Seeds, stage contract, performance
# ------------------------------------------------------------------------------------------


def _seed(prefix: str) -> str:
    seed = next((p for p in SEEDS if p.name.startswith(prefix)), None)
    if seed is None:
        pytest.skip(f"seed {prefix} not available")
    return normalise_text(RawText(text=seed.read_text(encoding="utf-8"), media_type="text/plain"))[0]


@pytest.mark.parametrize(
    "prefix, expected",
    [
        ("000", [(104, "次", "exact"), (46, "次", "exact"), (140, "件", "at_least"), (10, "年", "about"),
                 (66800, "元", "exact"), (502, "人次", "exact"), (251, "家次", "exact"), (100, "%", "exact"), (76, "条", "exact")]),
        ("001", [(163, "条", "exact"), (654, "项", "exact"), (700, "个", "at_least"), (1114000, "元", "exact"),
                 (4000, "条", "at_least"), (351, "件次", "exact"), (1500, "场次", "at_least"), (20, "次", "at_least")]),
        ("003", [(344, "家次", "exact"), (1160, "条", "exact"), (800, "名", "at_least"), (1321, "个次", "exact"),
                 (65, "期", "exact"), (25, "个", "exact")]),
    ],
)
def test_quantities_seed_facts(prefix, expected):
    found = facts(_seed(prefix))
    for fact in expected:
        assert fact in found


@pytest.mark.parametrize("prefix, count", [("000", 36), ("001", 52), ("003", 35)])
def test_quantities_seed_has_no_years_dates_or_ordinals(prefix, count):
    text = _seed(prefix)
    qs = find_quantities(text)
    assert len(qs) == count
    for q in qs:
        quote = text[q.start : q.end]
        assert not (q.unit == "年" and q.value >= 1900), quote
        assert text[q.number_start - 1] != "第", quote
        assert not (q.unit == "日" and text[q.number_start - 1] == "月"), quote
        assert q.start <= q.number_start < q.number_end <= q.end
    values = {(q.value, q.unit) for q in qs}
    assert (60, "学时") not in values and (12, "期") not in values


def test_quantities_stage_contract():
    doc = Doc(raw=RawText(text="", media_type="text/plain"), text="办理案件12件，办结率100%。")
    out = quantities.run(doc)
    assert out is doc and [q.value for q in out.quantities] == [12, 100]
    assert quantities.NAME == "quantities" and "quantities" in quantities.ASSIGNS


def test_quantities_is_linear():
    text = _seed("001")

    def cost(k: int) -> float:
        big = text * k
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            find_quantities(big)
            best = min(best, time.perf_counter() - t)
        return best

    cost(1)
    small, big = cost(2), cost(40)
    assert big / small < 20 * 2.5


@pytest.mark.parametrize(
    "text",
    [
        "开展“四个一”活动，落实“两个规定”。",
        "推行“最多跑一次”和“三张清单”。",
        '严格落实"三重一大"和"两个责任"。',
        "提供7×24小时自助服务。",
        "主要体现在以下三个方面。",
        "上述两项工作均已完成。",
        "合格率不低于百分之九十。",
        "开展几十场活动，成千上万群众受益。",
        "在区十届人大三次会议上作报告。",
        "县委十三届五次全会作出部署。",
        "收到申请后30日内答复，3个月内完成整改。",
    ],
)
def test_quantities_excludes_quoted_slogans_and_discourse_counts(text):
    assert facts(text) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("开办“法润宝坻”栏目10期。", [(10, "期", "exact")]),
        ("选树“法律明白人”3234名。", [(3234, "名", "exact")]),
        ("公开率达到百分之百。", [(100, "%", "exact")]),
        ("化解纠纷近万起。", [(10000, "起", "about")]),
        ("开展线上三场、线下五场宣讲。", [(3, "场", "exact"), (5, "场", "exact")]),
        ("全年召开两次会议，办理时限压缩至3天以内。", [(2, "次", "exact"), (3, "天", "at_most")]),
    ],
)
def test_quantities_counts_next_to_quotes_and_bare_powers_with_approximator(text, expected):
    assert facts(text) == expected


def test_quantities_respective_values_take_names_in_order():
    text = "受理热线工单8615件，按期办结率、群众满意率分别为99.8%和96.1%。"
    qs = find_quantities(text)
    assert [(q.value, q.subject) for q in qs] == [(8615, "受理热线工单"), (99.8, "按期办结率"), (96.1, "群众满意率")]
    assert all(q.start <= q.number_start < q.end for q in qs)


@pytest.mark.parametrize(
    "text, subjects",
    [
        ("街道人民调解委员会和13个社区调委会共调处矛盾纠纷486起。", ["社区调委会", "社区调委会共调处矛盾纠纷"]),
        ("全县设立便民服务中心18个、村级代办点306个。", ["设立便民服务中心", "村级代办点"]),
        ("对13起案件免予处罚。", ["案件免予处罚"]),
        ("26个部门654项政务服务事项集中进驻。", ["部门", "政务服务事项"]),
    ],
)
def test_quantities_subject_reads_the_counted_noun(text, subjects):
    assert [q.subject for q in find_quantities(text)] == subjects


@pytest.mark.parametrize(
    "text, subject",
    [
        ("查处无证办学行为37起。", "查处无证办学行为"),
        ("执法人员培训人均达到72学时。", "执法人员培训人均"),
        ("县政府共收到行政复议申请19件。", "县政府共收到行政复议申请"),
        ("办结率均为100%。", "办结率"),
        ("并联审批事项25项。", "并联审批事项"),
    ],
)
def test_quantities_subject_trimming_keeps_whole_words(text, subject):
    (q,) = find_quantities(text)
    assert q.subject == subject


# ------------------------------------------------------------------------------------------
# Held-out generalisation fixes (tests/heldout)
# ------------------------------------------------------------------------------------------


def test_quantities_reads_table_cells_with_the_unit_in_the_row_label():
    text = "项目 2022年 2023年 同比\n执法检查（次） 1862 2140 +14.9%\n罚款金额（万元） 238.5 312.6 -3.1个百分点\n"
    found = find_quantities(text)
    assert [(q.value, q.unit) for q in found] == [
        (1862, "次"), (2140, "次"), (14.9, "%"), (2385000, "元"), (3126000, "元"), (3.1, "个百分点"),
    ]
    for q in found:  # the evidence runs from the row label to the cell
        assert text[q.start : q.end].startswith(("执法检查（次）", "罚款金额（万元）"))
        assert q.start <= q.number_start < q.number_end <= q.end


@pytest.mark.parametrize(
    "text, expected",
    [
        ("类别 件数\n行政复议 3\n行政诉讼 1\n", [(3, "件"), (1, "件")]),
        ("单位 数量（家）\n餐饮 120\n", [(120, "家")]),
        ("指标 2022 2023\n收案 12 15\n", []),  # no unit anywhere: not a quantity
        ("来源:区司法局 发布时间:2024-04-15 09:30\n", []),
        ("排名 单位 得分\n1 城管局 98\n", []),
    ],
)
def test_quantities_table_cells_need_a_unit_from_label_or_header(text, expected):
    assert [(q.value, q.unit) for q in find_quantities(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "力争年内新培养法律明白人不少于5万名，推动行政复议案件办理平均时限缩短至45日以内。",
        "二是力争全年办结率达到100%，确保群众满意率98%以上。",
        "在17个街道设置24小时自助服务区。",
        "实行24小时值守。",
    ],
)
def test_quantities_targets_in_a_plan_sentence_and_service_hours_are_not_facts(text):
    assert [q for q in find_quantities(text) if q.value in (45, 100, 98, 24)] == []


def test_quantities_a_plan_sentence_ends_at_its_full_stop():
    text = "力争全年办结率达到100%。全年办理行政复议案件45件。"
    assert facts(text) == [(45, "件", "exact")]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("调解成功率百分之九十六点五。", [(96.5, "%", "exact")]),
        ("增长一点五倍。", [(1.5, "倍", "exact")]),
        ("面积三点二万平方米。", [(32000, "平方米", "exact")]),
    ],
)
def test_quantities_reads_chinese_decimals(text, expected):
    assert facts(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("投资3.2个亿建设法治文化广场。", []),  # colloquial 个亿: no unit is said
        ("出动执法车辆620台次，检查车辆300辆次。", [(620, "台次", "exact")]),  # 台次 counts trips; 辆次 is no unit
        ("覆盖3个万人以上社区。", [(3, "个", "exact")]),
        ("全县配备执法记录仪420台。", [(420, "台", "exact")]),
    ],
)
def test_quantities_unit_words_that_are_not_the_counted_unit(text, expected):
    assert facts(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("调解纠纷6 812件，调解成功6 750件。", [(6812, "件", "exact"), (6750, "件", "exact")]),
        ("办理审批服务事项103 526件。", [(103526, "件", "exact")]),
        ("表1  2023年执法情况", []),
    ],
)
def test_quantities_reads_space_grouped_thousands(text, expected):
    assert facts(text) == expected


def test_quantities_table_with_sequence_numbers_and_a_merged_total_row():
    text = "序号 单位 案件数（件） 罚没金额（万元）\n1 市场监管局 120 35.6\n合计 206 48.0\n"
    found = [(q.value, q.unit, q.subject) for q in find_quantities(text)]
    assert found == [(120, "件", "市场监管局"), (356000, "元", "市场监管局"), (206, "件", "合计"), (480000, "元", "合计")]


def test_quantities_table_cells_with_magnitude_and_signed_changes():
    text = "项目 2020年 2021年 同比\n法律咨询（人次） 2.1万 2.6万 +23.8%\n"
    found = find_quantities(text)
    assert [(q.value, q.unit) for q in found] == [(21000, "人次"), (26000, "人次"), (23.8, "%")]
    assert [text[q.number_start : q.number_end] for q in found] == ["2.1万", "2.6万", "23.8"]
