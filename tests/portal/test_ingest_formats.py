"""HTML pages and DOCX files read into the same text, indicators and metadata as plain text."""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from portal_formats import HEADER, header_text, to_docx, to_html
from workers.errors import FazhiError, InputError
from workers.ingest import precheck, read_document
from workers.ingest.archive import display_name, read_members
from workers.ingest.docx import DOCX, read_docx
from workers.ingest.html import read_html
from workers.ingest.sniff import HTML, require_supported, sniff

SEEDS = sorted(Path("/work/shared/seeds").glob("*.txt"))
EXTRA = (
    "丽水市某某县人民政府关于2019年度法治政府建设情况的报告\n"
    "一、主要做法和成效\n"
    "（一）推进行政复议规范化。全年收到行政复议申请86件，受理79件，办结75件。\n"
    "（二）行政应诉。全年行政诉讼案件143件，行政机关负责人出庭应诉率100%。\n"
    "（三）政务公开。主动公开政府信息3562条。\n"
    "二、存在的问题\n法治意识有待提高。\n三、下一步工作打算\n深入推进依法行政。\n"
    "某某县人民政府\n2020年2月25日\n"
)


@pytest.fixture(scope="module")
def settings():
    from fazhi.settings import get_settings

    return get_settings(environ={})


def extract_bytes(data: bytes, settings):
    from workers.pipeline.runner import extract

    media_type = sniff(data)
    return media_type, extract(read_document(data, media_type, settings=settings))


def fingerprint(result):
    indicators = Counter((i.id, i.value, i.unit, i.qualifier) for i in result.indicators)
    meta = result.metadata
    return indicators, (meta.title, meta.issuer, meta.level, meta.body_type, meta.region, meta.report_year,
                        meta.signed_date, meta.published_date, meta.framework), sorted(s.kind for s in result.sections)


@pytest.mark.parametrize("text", [p.read_text(encoding="utf-8") for p in SEEDS] + [EXTRA], ids=[p.stem[:3] for p in SEEDS] + ["extra"])
def test_ingest_formats_same_report_as_txt_html_docx_gives_same_result(text, settings):
    _, as_text = extract_bytes((header_text() + text).encode("utf-8"), settings)
    html_type, as_html = extract_bytes(to_html(text), settings)
    docx_type, as_docx = extract_bytes(to_docx(text), settings)
    assert (html_type, docx_type) == (HTML, DOCX)
    assert as_text.indicators, "the report should yield indicators"
    assert fingerprint(as_html) == fingerprint(as_text)
    assert fingerprint(as_docx) == fingerprint(as_text)
    assert as_html.metadata.published_date == "2021-03-05"


def test_ingest_formats_html_keeps_header_drops_furniture():
    text = read_html(to_html(EXTRA)).text
    lines = text.splitlines()
    assert lines[: len(HEADER)] == [f"{k}：{v}" for k, v in HEADER]
    assert lines[len(HEADER) + 1] == EXTRA.splitlines()[0]  # the title once, after the header
    assert text.count(EXTRA.splitlines()[0]) == 1
    for junk in ("首页", "当前位置", "打印本页", "字号", "相关阅读", "版权所有", "alert", "_hmt", "统计代码", "color:#333"):
        assert junk not in text, junk
    assert "（一）推进行政复议规范化。全年收到行政复议申请86件，受理79件，办结75件。" in lines


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ('<html><head><meta charset="gb2312"></head><body><p>主动公开政府信息35条。</p></body></html>'.encode("gb18030"), "主动公开政府信息35条。"),
        ("<html><body><p>一、总体<br>情况</p><div>二、<b>举措</b></div></body></html>".encode(), "一、总体\n情况\n二、举措"),
        ("<!DOCTYPE html><html><body><div class='nav-main'><div id='zoom'>" + "正文段落，内容充实。" * 30 + "</div></div></body></html>", "正文段落"),
        ("<html><body><table><tr><td>项目</td><td>数量</td></tr><tr><td>复议</td><td>12件</td></tr></table></body></html>".encode(), "复议 12件"),
    ],
    ids=["gb2312", "breaks", "content-inside-nav-marker", "table-rows"],
)
def test_ingest_formats_html_decoding_and_blocks(page, expected):
    data = page.encode() if isinstance(page, str) else page
    assert expected in read_html(data).text


def test_ingest_formats_html_keeps_script_text_inert():
    raw = read_html("<html><body><p>报告&lt;script&gt;alert(1)&lt;/script&gt;正文</p><script>evil()</script></body></html>".encode())
    assert "<script>alert(1)</script>" in raw.text  # escaped text in the page is text of the report
    assert "evil" not in raw.text


def test_ingest_formats_docx_paragraphs_and_tables_in_order():
    import docx

    document = docx.Document()
    document.add_paragraph("第一段")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "项目", "件数"
    table.cell(1, 0).text, table.cell(1, 1).text = "行政复议", "12件"
    document.add_paragraph("第二段")
    out = io.BytesIO()
    document.save(out)
    assert read_docx(out.getvalue(), max_bytes=10**7).text.splitlines() == ["第一段", "项目\t件数", "行政复议\t12件", "第二段"]


def _zip(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (_zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"0" * (50 * 1024 * 1024)}), "input.archive_rejected"),
        (_zip({"word/x.xml": b"<x/>"}), "input.malformed_docx"),
        (_zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<not-word/>"}), "input.malformed_docx"),
    ],
    ids=["bomb", "no-main-part", "broken-xml"],
)
def test_ingest_formats_bad_docx_is_an_input_error(data, code, settings):
    with pytest.raises(FazhiError) as caught:
        precheck(data, DOCX, settings)
        read_document(data, DOCX, settings=settings)
    assert caught.value.code == code


def test_ingest_formats_sniff_accepts_html_and_docx_refuses_zip():
    assert sniff(to_docx(EXTRA)) == DOCX
    assert sniff(to_html(EXTRA)) == HTML
    require_supported(HTML)
    require_supported(DOCX)
    with pytest.raises(InputError) as caught:
        require_supported(sniff(_zip({"a.txt": b"x"})))
    assert "POST /v1/batches" in caught.value.message


def test_ingest_formats_archive_names_and_litter():
    data = _zip({"../../etc/passwd.txt": b"a", "dir/": b"", "__MACOSX/._a.txt": b"b", ".DS_Store": b"c", "子目录/报告.txt": b"d"})
    members = read_members(data, max_member_bytes=1000)
    assert [(m.name, m.data) for m in members] == [("passwd.txt", b"a"), ("报告.txt", b"d")]
    # A Chinese Windows archiver writes GBK names without the UTF-8 flag; zipfile reads them as CP437.
    info = zipfile.ZipInfo("2022年报告.docx".encode("gbk").decode("cp437"))
    info.flag_bits = 0
    assert display_name(info) == "2022年报告.docx"


def test_ingest_formats_archive_refuses_lying_header():
    data = bytearray(_zip({"a.txt": b"x" * 5000}, zipfile.ZIP_STORED))
    # Shrink the declared size in the central directory: the capped read must still stop.
    import struct

    cd = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, 10)
    with pytest.raises(InputError):
        read_members(bytes(data), max_member_bytes=100)


HANWEB_STYLE = """<html><head><meta charset="utf-8"><meta name="PubDate" content="2023-03-28 16:20">
<meta name="ContentSource" content="某某县司法局"><title>某某县司法局</title></head>
<body><div class="nav-wrap page"><div class="nav"><a>首页</a><a>信息公开</a></div>
<div class="xxgk-head"><ul><li><label>索 引 号：</label><span>000014349/2023-00031</span></li>
<li><label>发布机构：</label><span>某某县司法局</span></li><li><label>成文日期：</label><span>2023-03-27</span></li></ul></div>
<div class="art"><h2>某某县司法局2022年度法治政府建设工作报告</h2>
<div class="art-con"><p>一、主要举措</p><p>（三）关闭整治非法企业</p>
<p>本报告的发布机构为县司法局，来源为年度统计，全年办理行政复议案件12件。</p>
<p>二、存在的不足</p><p>基层执法力量薄弱。</p></div>
<div class="bottom-tools">【打印本页】 【关闭窗口】</div></div></div></body></html>"""


def test_ingest_formats_html_list_header_meta_tags_and_page_wrappers():
    lines = read_html(HANWEB_STYLE.encode()).text.splitlines()
    assert lines[:5] == ["索引号：000014349/2023-00031", "发布机构：某某县司法局", "成文日期：2023-03-27",
                         "发布日期：2023-03-28 16:20", "来源：某某县司法局"]
    body = lines[6:]
    assert body[0] == "某某县司法局2022年度法治政府建设工作报告"  # the heading, not the site-name <title>
    assert "（三）关闭整治非法企业" in body  # a short heading with a furniture word is kept
    assert "本报告的发布机构为县司法局，来源为年度统计，全年办理行政复议案件12件。" in body
    assert "基层执法力量薄弱。" in body  # the "nav-wrap" page wrapper is not furniture
    assert not any("打印本页" in line or line == "首页 信息公开" for line in body)


def test_ingest_formats_docx_word_list_numbering_is_written_into_text(settings):
    from portal_formats import to_docx_autonumbered

    plain = EXTRA.splitlines()
    numbered = [(None, plain[0]), (0, "主要做法和成效"), (1, plain[2][3:]), (1, plain[3][3:]), (1, plain[4][3:]),
                (0, "存在的问题"), (None, plain[6]), (0, "下一步工作打算"), (None, plain[8]), (None, plain[9]), (None, plain[10])]
    data = to_docx_autonumbered(numbered)
    assert read_docx(data, max_bytes=10**7).text.splitlines() == plain
    _, as_docx = extract_bytes(data, settings)
    _, as_text = extract_bytes(EXTRA.encode(), settings)
    assert [(h.label, h.title) for h in as_docx.outline] == [(h.label, h.title) for h in as_text.outline]
    assert fingerprint(as_docx) == fingerprint(as_text)


def test_ingest_formats_docx_numbering_restarts_deeper_levels_and_formats():
    from portal_formats import to_docx_autonumbered

    data = to_docx_autonumbered([(0, "甲"), (1, "a"), (2, "x"), (2, "y"), (1, "b"), (0, "乙"), (1, "c"), (None, ""), (0, "丙")])
    assert read_docx(data, max_bytes=10**7).text.splitlines() == [
        "一、甲", "（一）a", "1.x", "2.y", "（二）b", "二、乙", "（一）c", "", "三、丙"]


@pytest.mark.skipif(not __import__("shutil").which("soffice"), reason="needs LibreOffice (Debian libreoffice-writer-nogui)")
def test_ingest_formats_libreoffice_docx_reads_like_the_text(tmp_path, settings):
    import subprocess

    source = tmp_path / "report.txt"
    source.write_text(header_text() + SEEDS[1].read_text(encoding="utf-8"), encoding="utf-8")
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path / 'lo'}", "--convert-to",
                    "docx:MS Word 2007 XML", "--outdir", str(tmp_path), str(source)],
                   check=True, timeout=120, capture_output=True)
    docx_type, as_docx = extract_bytes((tmp_path / "report.docx").read_bytes(), settings)
    _, as_text = extract_bytes(source.read_bytes(), settings)
    assert docx_type == DOCX
    assert fingerprint(as_docx) == fingerprint(as_text)
