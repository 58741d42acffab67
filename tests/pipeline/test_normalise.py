"""Tests for the normalise stage: canonical text policy, line re-joining, chrome, offset map."""

from __future__ import annotations

import time
import unicodedata
from array import array
from itertools import pairwise
from pathlib import Path

import pytest

from workers.pipeline import normalise
from workers.pipeline.model import Doc, PageRaw, RawText
from workers.pipeline.normalise import normalise_text

SEEDS = sorted(Path("/work/shared/seeds").glob("*.txt")) or sorted(
    (Path(__file__).resolve().parents[1] / "devset").glob("00*.txt")
)


def norm(raw: str) -> str:
    return normalise_text(RawText(text=raw, media_type="text/plain"))[0]


def check_map(raw: str, text: str, to_raw: array) -> None:
    """to_raw is exact: right length, non-decreasing, ends at len(raw), chars agree."""
    assert len(to_raw) == len(text) + 1
    assert to_raw[-1] == len(raw)
    assert all(a <= b for a, b in pairwise(to_raw))
    assert all(a < b for a, b in pairwise(to_raw[:-1])), "two canonical chars share a raw char"
    for i, ch in enumerate(text):
        src = raw[to_raw[i]]
        if ch == src:
            continue
        if ch in "\n ":  # a line break / joiner stands on a raw line break or space
            assert src in "\r\n\x0c\u2028\u2029 \t\u3000\u00a0|", (i, ch, src)  # | separates table cells
        else:
            assert (
                unicodedata.normalize("NFKC", src) == ch or (src, ch) in {("．", "."), ("％", "%")} or src == "&"
            ), (i, ch, src)  # an HTML character reference maps to its "&"


# ------------------------------------------------------------------------------------------
# Character folding
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("受理１２３件，办结率１００％。", "受理123件，办结率100%。"),
        ("罚款１．５万元。", "罚款1.5万元。"),
        ("一．主要举措", "一．主要举措"),  # ．as an enumerator stays
        ("ＡＢＣ公司ｘｙｚ。", "ABC公司xyz。"),
        ("依据《条例》（试行）：“三重一大”、审查。", "依据《条例》（试行）：“三重一大”、审查。"),
        ("a\u00a0b\u3000c。", "a b c。"),
        ("零宽\u200b字符\ufeff。", "零宽字符。"),
        ("第一行。\r\n第二行。\r第三行。", "第一行。\n第二行。\n第三行。"),
        ("\u2f00\u2f08管理。", "一人管理。"),  # Kangxi radicals from broken PDF fonts
    ],
)
def test_normalise_folds_width_and_keeps_chinese_punctuation(raw, expected):
    text, to_raw = normalise_text(RawText(text=raw, media_type="text/plain"))
    assert text == expected
    check_map(raw, text, to_raw)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("完善制度 26 项，管理流程 15 项。", "完善制度26项，管理流程15项。"),
        ("张家窝镇 2021 年度报告\n", "张家窝镇2021年度报告"),
        ("事关全局和涉及 群众切身利益。", "事关全局和涉及群众切身利益。"),
        ("开展专题学习, 传达会议精神。", "开展专题学习,传达会议精神。"),
        ("比例 100 %。", "比例100%。"),
        ("使用 Word 文档和 PDF 文件。", "使用 Word 文档和 PDF 文件。"),
        ("来源:区司法局 发布时间:2023-03-22 14:14", "来源:区司法局 发布时间:2023-03-22 14:14"),
        ("　　一是健全机制。", "一是健全机制。"),
        ("汝城县人民政府副县长  李明华", "汝城县人民政府副县长 李明华"),  # a wide gap is kept as one space
        ("受理  23  件。", "受理23件。"),
        ("全 年 受 理 案 件 1 2 3 件 ， 办 结 率 9 8 . 5 % 。", "全年受理案件123件，办结率98.5%。"),  # OCR spacing
    ],
)
def test_normalise_drops_pdf_spaces_inside_cjk_and_digit_runs(raw, expected):
    assert norm(raw) == expected


# ------------------------------------------------------------------------------------------
# Lines
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("制定清理机制，清理结果向社会公\n\n布。", "制定清理机制，清理结果向社会公布。"),
        ("学习内容，2021年9月4\n日党委会传达。", "学习内容，2021年9月4日党委会传达。"),
        ("职能科学、权责法定、廉洁诚\n信、人民满意。", "职能科学、权责法定、廉洁诚信、人民满意。"),
        ("落实精神，9月\n\n11日召开培训会。", "落实精神，9月11日召开培训会。"),
        ("张家窝镇2021\n年度法治政府建设情况报告", "张家窝镇2021年度法治政府建设情况报告"),
        ("全旗受理审批服务事项 23\n856 件，办结率 99.6%。", "全旗受理审批服务事项23856件，办结率99.6%。"),
        ("推进决策公开、执行公开、管\n\n理公开。", "推进决策公开、执行公开、管理公开。"),
        ("推广办公软件，包括 Office\nWord 等。", "推广办公软件，包括 Office Word 等。"),
        ("清理结果向社会公布\n。", "清理结果向社会公布。"),
    ],
)
def test_normalise_rejoins_lines_broken_mid_sentence_and_mid_number(raw, expected):
    text, to_raw = normalise_text(RawText(text=raw, media_type="text/plain"))
    assert text == expected
    check_map(raw, text, to_raw)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("（一）健全决策程序\n一是健全依法决策机制。", "（一）健全决策程序\n一是健全依法决策机制。"),
        ("一、主要举措与成效\n\n（一）健全决策程序，提高水平\n\n一是健全机制。", "一、主要举措与成效\n（一）健全决策程序，提高水平\n一是健全机制。"),
        ("一、主要举措与成效\n2021年，全镇推进工作。", "一、主要举措与成效\n2021年，全镇推进工作。"),
        ("张家窝镇2021年度法治政府建设情况报告\n\n2021年是开篇之年。", "张家窝镇2021年度法治政府建设情况报告\n2021年是开篇之年。"),
        ("现将有关情况报告如下：\n一是加强领导。", "现将有关情况报告如下：\n一是加强领导。"),
        ("全面推进工作，主要包括以下方面\n1.建立制度。", "全面推进工作，主要包括以下方面\n1.建立制度。"),
        ("完成各项任务。\n张家窝镇人民政府\n2021年12月15日", "完成各项任务。\n张家窝镇人民政府\n2021年12月15日"),
        ("区政府：\n\n\n\n2022年，我区推进工作。", "区政府：\n2022年，我区推进工作。"),
        ("- 一是队伍建设。\n- 二是普法宣传。", "一是队伍建设。\n二是普法宣传。"),
    ],
)
def test_normalise_never_joins_headings_titles_or_enumerated_lines(raw, expected):
    assert norm(raw) == expected


def test_normalise_rejoins_hard_wrapped_lines_without_punctuation():
    # a PDF copy wrapped at ~20 chars: full lines without commas still continue
    raw = (
        "（一）依法全面履行政府职能。全旗承接自治区下放\n"
        "行政许可事项四十六项取消各类证明事项一百二十\n"
        "七项旗政务服务大厅全年受理各类审批服务事项两\n"
        "万余件按时办结率达到百分之九十九点六以上。\n"
        "（二）完善依法行政制度体系。全年制发旗政府行\n"
        "政规范性文件九件报送备案率百分之一百全面完成\n"
        "清理工作。\n"
    )
    text = norm(raw)
    assert text.count("\n") == 1
    assert "下放行政许可" in text and "一百二十七项" in text and "政府行政规范性" in text


# ------------------------------------------------------------------------------------------
# Chrome
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("chrome", ["— 3 —", "- 3 -", "－ 12 －", "第3页 共9页", "第 3 页", "共9页 第3页", "3 / 9", "3/9", "Page 3 of 9", "7"])
def test_normalise_removes_page_number_lines(chrome):
    raw = f"全年受理行政复议申请，\n\n{chrome}\n\n审结案件二十件。"
    assert norm(raw) == "全年受理行政复议申请，审结案件二十件。"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("开展普法活动。\n本文档由文库网用户上传，仅供参考下载\n审结案件。", "开展普法活动。\n审结案件。"),
        ("开展普法活动。\n【打印本页】【关闭窗口】\n审结案件。", "开展普法活动。\n审结案件。"),
        ("开展普法秘书之家—全网资源每日更新www.mishuzj.com活动。", "开展普法活动。"),
        ("完成审查。详见www.abcd-wenku.com/doc/1.html 的说明。", "完成审查。详见的说明。"),
        ("在区政府网站 www.bd.gov.cn 公开。", "在区政府网站 www.bd.gov.cn 公开。"),
        ("开展打击非法彩票专项行动。", "开展打击非法彩票专项行动。"),
        ("今天是：2019年10月31日 星期四\n报告。", "报告。"),
        ("首页 > 政务公开 > 年度报告\n当前位置：首页\n报告。", "报告。"),
        ("报告。\n分享到：\n上一篇：关于2023年度法治政府建设情况的报告\n下一篇：无", "报告。"),
        ("报告。\n版权所有：XX区人民政府 京ICP备05012345号", "报告。"),
        (
            "信息来源：遵义市教育局    发布时间：2024-04-15 09:30    【字体：大 中 小】",
            "信息来源：遵义市教育局 发布时间：2024-04-15 09:30",
        ),
        ("发布时间：2025-03-20 09:30  来源：平江街道\n报告。", "发布时间：2025-03-20 09:30 来源：平江街道\n报告。"),
        ("开展普法澳门威尼斯人官网注册送彩金活动。", "开展普法活动。"),
    ],
)
def test_normalise_removes_watermark_and_spam(raw, expected):
    assert norm(raw) == expected


def test_normalise_drops_repeated_running_header_but_keeps_first():
    header = "宝坻区人民政府2022年法治政府建设情况报告"
    body = [f"第{n}段内容，全年办理案件{n}件。" for n in range(1, 7)]
    raw = header + "\n" + "\n".join(f"{b}\n{header}" for b in body)
    text = norm(raw)
    assert text.count(header) == 1 and text.startswith(header)
    assert all(b in text for b in body)


def test_normalise_pdf_pages_and_edge_headers():
    pages_txt = [
        "XX县司法局\n关于2022年度法治政府建设情况的报告\n一、主要举措。全年办理行政复议案件\n- 1 -",
        "XX县司法局\n12件，审结10件。\n二、存在不足。队伍建设不足。\n- 2 -",
        "XX县司法局\n三、工作安排。加强队伍建设。\n- 3 -",
    ]
    raw_text = ""
    pages, char_page = [], array("H")
    for n, t in enumerate(pages_txt):
        start = len(raw_text)
        raw_text += t + "\n"
        pages.append(PageRaw(number=n + 1, raw_start=start, raw_end=len(raw_text), width=595, height=842))
        char_page.extend([n] * (len(t) + 1))
    raw = RawText(text=raw_text, media_type="application/pdf", pages=pages, char_page=char_page)
    doc = normalise.run(Doc(raw=raw))
    assert doc.text.count("XX县司法局") == 1
    assert "- 2 -" not in doc.text
    assert "全年办理行政复议案件12件，审结10件。" in doc.text  # sentence crosses the page break
    check_map(raw_text, doc.text, doc.to_raw)
    assert [p.page for p in doc.pages] == [1, 2, 3]
    assert doc.pages[0].start == 0 and doc.pages[-1].end == len(doc.text)
    assert all(a.end <= b.start for a, b in zip(doc.pages, doc.pages[1:]))
    assert doc.text[doc.pages[2].start : doc.pages[2].end].startswith("三、工作安排")


def test_normalise_text_input_has_no_pages():
    doc = normalise.run(Doc(raw=RawText(text="报告。", media_type="text/plain")))
    assert doc.pages is None and doc.text == "报告。"


# ------------------------------------------------------------------------------------------
# Seeds and performance
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_normalise_seed_is_clean_and_mapped(seed):
    raw = seed.read_text(encoding="utf-8")
    text, to_raw = normalise_text(RawText(text=raw, media_type="text/plain"))
    check_map(raw, text, to_raw)
    assert "\n\n" not in text and "\r" not in text
    assert not any(line != line.strip() or not line for line in text.split("\n"))
    for artefact in (" 年", " 项", " 件", " 人次", " 名"):
        assert artefact not in text


def test_normalise_seed_000_rejoins_its_broken_sentences():
    seed = next((p for p in SEEDS if p.name.startswith("000")), None)
    if seed is None:
        pytest.skip("seed 000 not available")
    text = norm(seed.read_text(encoding="utf-8"))
    for joined in ("向社会公布。", "2021年9月4日党委会", "9月11日召开", "治理能力现代化", "管理公开", "镇长担任组长", "消防安全"):
        assert joined in text
    lines = text.split("\n")
    assert lines[0] == "张家窝镇2021年度法治政府建设情况报告"
    assert "一、主要举措与成效" in lines and "(一)健全决策程序,提高行政决策法治水平" in lines


def test_normalise_is_linear():
    raw = SEEDS[0].read_text(encoding="utf-8")

    def cost(k: int) -> float:
        doc = RawText(text=raw * k, media_type="text/plain")
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            normalise_text(doc)
            best = min(best, time.perf_counter() - t)
        return best

    cost(1)
    small, big = cost(3), cost(60)
    assert big / small < 20 * 2.5  # 20× the text: linear, with room for a noisy shared machine
    assert small / 3 < 0.05  # one seed well under 50 ms


def test_normalise_rejoins_a_wrapped_heading_but_not_its_body():
    raw = (
        "二、健全依法行政制度体系，加快推进政府治理规范化程序化\n"
        "法治化\n"
        "全年制发行政规范性文件十二件，全部报送备案，备案率达到百\n"
        "分之百。清理规范性文件八十六件，其中继续有效四十九件。废\n"
        "止二十八件，失效九件，全部向社会公布。全面推行合法性审查\n"
        "机制，实现审查全覆盖。\n"
        "三、推进行政决策科学化民主化法治化\n"
        "对三项重大行政决策事项开展合法性审查，召开听证会两场。\n"
    )
    lines = norm(raw).split("\n")
    assert lines[0] == "二、健全依法行政制度体系，加快推进政府治理规范化程序化法治化"
    assert lines[1].startswith("全年制发") and lines[1].endswith("实现审查全覆盖。")
    assert lines[2] == "三、推进行政决策科学化民主化法治化"


def test_normalise_keeps_title_and_signature_alone_in_a_short_line_document():
    # one sentence per line, so the typical line is short: the title still stands alone
    raw = (
        "XX市XX区人民政府关于2023年度法治政府建设情况的报告\n"
        "区人大常委会：\n"
        "2023年，我区全面推进法治政府建设，取得明显成效。\n"
        "一是加强组织领导，召开常务会议研究法治工作5次。\n"
        "二是规范行政决策，审查重大行政决策事项12件。\n"
        "三是严格执法监督，评查行政执法案卷200卷。\n"
        "四是化解矛盾纠纷，办理行政复议案件36件。\n"
        "XX市XX区人民政府\n"
        "2024年2月20日\n"
    )
    lines = norm(raw).split("\n")
    assert lines[0] == "XX市XX区人民政府关于2023年度法治政府建设情况的报告"
    assert lines[1] == "区人大常委会："
    assert lines[-2:] == ["XX市XX区人民政府", "2024年2月20日"]
    assert len(lines) == 9


def test_normalise_keeps_bare_numbers_that_are_not_page_numbers():
    # a table copied cell by cell: lone numbers between text lines are data
    raw = "行政复议收案\n12\n行政诉讼收案\n5\n\n3\n\n以上为全年数据。"
    assert norm(raw).split("\n") == ["行政复议收案", "12", "行政诉讼收案", "5", "以上为全年数据。"]


# ------------------------------------------------------------------------------------------
# Held-out generalisation fixes (tests/heldout)
# ------------------------------------------------------------------------------------------


def test_normalise_keeps_one_space_per_tab_between_table_cells():
    raw = "项目\t2022年\t2023年\t同比\n执法检查（次）\t1862\t2140\t+14.9%\n类别\t\t件数\n行政复议\t3"
    text, to_raw = normalise_text(RawText(text=raw, media_type="text/plain"))
    assert text.split("\n") == ["项目 2022年 2023年 同比", "执法检查（次） 1862 2140 +14.9%", "类别 件数", "行政复议 3"]
    check_map(raw, text, to_raw)


def test_normalise_drops_a_running_header_repeated_once_at_a_page_break():
    # a two-page Word export: the title comes back as the page-2 header right after "- 1 -",
    # and the number it interrupts ("38⏎…⏎6件") is whole again
    head = "万年县人民政府关于2018年度法治政府建设情况的报告"
    body = "全年办理法律援助案件，为受援人挽回经济损失，受理行政复议申请共计案件38"
    raw = f"{head}\n上饶市人民政府：\n{body}\n\n- 1 -\n\n{head}\n6件，均已办结。\n"
    lines = norm(raw).split("\n")
    assert lines == [head, "上饶市人民政府：", body + "6件，均已办结。"]


def test_normalise_keeps_a_repeated_line_that_is_not_at_a_page_break():
    raw = "一、工作情况\n加强组织领导\n开展专题学习。\n二、下步打算\n加强组织领导\n完善制度。"
    assert norm(raw).count("加强组织领导") == 2


def test_normalise_reads_markdown_headings_bold_and_pipe_tables():
    raw = (
        "XX县人民政府2023年度法治政府建设情况报告\n"
        "## 一、主要举措和成效\n"
        "**（一）加强组织领导。**全年研究法治工作5次。\n"
        "| 项目 | 2022年 | 2023年 |\n|---|:---:|---:|\n| 执法检查（次） | 1862 | 2140 |\n"
        "**二、存在的不足**\n执法力量不足。\n"
    )
    text, to_raw = normalise_text(RawText(text=raw, media_type="text/plain"))
    assert text.split("\n") == [
        "XX县人民政府2023年度法治政府建设情况报告",
        "一、主要举措和成效",
        "（一）加强组织领导。全年研究法治工作5次。",
        "项目 2022年 2023年",
        "执法检查（次） 1862 2140",
        "二、存在的不足",
        "执法力量不足。",
    ]
    check_map(raw, text, to_raw)


def test_normalise_table_rows_are_never_joined_in_a_short_line_document():
    raw = "全年情况如下。\n项目\t2022年\t2023年\n收案（件）\t12\t15\n结案（件）\t11\t14\n以上为全年数据。\n"
    assert norm(raw).split("\n") == ["全年情况如下。", "项目 2022年 2023年", "收案（件） 12 15", "结案（件） 11 14", "以上为全年数据。"]


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("全年办理案件12&nbsp;件，&ldquo;一网通办&rdquo;率达90%。", "全年办理案件12件，“一网通办”率达90%。"),
        ("受理&#20108;十件&amp;次", "受理二十件&次"),
        ("A&B公司 &foo; 共5件", "A&B公司&foo;共5件"),  # not a character reference: kept
    ],
)
def test_normalise_decodes_html_character_references(raw, want):
    text, to_raw = normalise_text(RawText(text=raw, media_type="text/plain"))
    assert text == want
    check_map(raw, text, to_raw)


def test_normalise_keeps_a_signature_that_repeats_the_first_line_before_the_last_page_number():
    raw = "XX县人民政府\n关于2023年度法治政府建设情况的报告\n全年开展学法5次。\nXX县人民政府\n\n- 2 -\n"
    assert norm(raw).split("\n")[-1] == "XX县人民政府"
