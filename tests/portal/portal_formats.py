"""Build the same report as an HTML portal page and as a DOCX, the way real ones look."""

from __future__ import annotations

import html
import io

HEADER = [("索引号", "11370402/2021-00087"), ("发布机构", "市中区人民政府"), ("成文日期", "2021-03-02"), ("发布日期", "2021-03-05")]


def header_text(header=HEADER) -> str:
    return "".join(f"{k}：{v}\n" for k, v in header) + "\n"


def split(text: str) -> tuple[str, list[str]]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0], lines[1:]


def to_html(text: str, header=HEADER) -> bytes:
    title, paras = split(text)
    cells = "".join(f"<tr><td class='t'>{html.escape(k)}：</td><td>{html.escape(v)}</td></tr>" for k, v in header)
    body = "\n".join(f"<p style='text-indent:2em'>{html.escape(p)}</p>" for p in paras)
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="ArticleTitle" content="{html.escape(title)}"><title>{html.escape(title)}_政府信息公开</title>
<style>.t{{color:#333}}</style><script>var _hmt = _hmt || []; document.write('统计代码');</script></head>
<body><div class="header-nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk">政务公开</a></li><li>互动交流</li></ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; 法治政府建设</div>
<div class="xxgk-info"><table class="suoyin">{cells}</table></div>
<div class="article"><h1 class="title">{html.escape(title)}</h1>
<div class="fontsize">字号：【大】【中】【小】</div>
<div id="zoom" class="TRS_Editor">{body}</div>
<div class="print">【打印本页】【关闭窗口】</div></div>
<div class="related"><h3>相关阅读</h3><ul><li>2020年行政复议案件统计100件</li></ul></div>
<footer>主办：某某区人民政府办公室 网站标识码3704020001 版权所有</footer>
<script>alert('page script')</script></body></html>"""
    return page.encode("utf-8")


def to_docx(text: str, header=HEADER) -> bytes:
    import docx

    title, paras = split(text)
    document = docx.Document()
    table = document.add_table(rows=0, cols=2)
    for k, v in header:
        row = table.add_row().cells
        row[0].text, row[1].text = k, v
    document.add_heading(title, level=1)
    for p in paras:
        document.add_paragraph(p)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


NUMBERING_XML = """<w:abstractNum xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:abstractNumId="90">
<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>
<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>
<w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%3."/></w:lvl>
</w:abstractNum>"""


def to_docx_autonumbered(lines: list[tuple[int | None, str]]) -> bytes:
    """A DOCX whose headings are numbered by Word list numbering; ``lines`` = (level or None, text)."""
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(NUMBERING_XML))
    numbering.append(parse_xml('<w:num xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:numId="90">'
                               '<w:abstractNumId w:val="90"/></w:num>'))
    for level, text in lines:
        paragraph = document.add_paragraph(text)
        if level is not None:
            ppr = paragraph._p.get_or_add_pPr()
            ppr.append(parse_xml('<w:numPr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                                 f'<w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
