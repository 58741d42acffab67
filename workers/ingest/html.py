"""Read a report saved from a government portal page into ``RawText``.

The article is found by the CMS containers and markers in ``workers/data/ingest_html.toml``;
the 政府信息公开 header table (索引号/发布机构/成文日期/发布日期) becomes "标签：值" lines above the
title so the metadata stage reads it like a text report; navigation, scripts and footers go.
Block elements end lines, so paragraphs stay paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from selectolax.lexbor import LexborHTMLParser, LexborNode

from workers.data import load_toml
from workers.ingest.text import decode_text
from workers.pipeline.model import RawText

HTML = "text/html"
_MAX_DEPTH = 400  # deeper than any real page; guards the recursive walk
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.I)
_SPACES = re.compile(r"[ \t\u00a0\u3000\r\f\v]+")


@dataclass(frozen=True)
class _Rules:
    drop_tags: frozenset[str]
    drop_markers: tuple[str, ...]
    content_selectors: tuple[str, ...]
    title_meta: tuple[str, ...]
    title_selectors: tuple[str, ...]
    title_separators: tuple[str, ...]
    max_title_chars: int
    header_labels: tuple[str, ...]  # longest first, so 信息索引号 wins over 索引号
    strong_labels: tuple[str, ...]
    meta_labels: dict[str, str]
    min_header_labels: int
    max_header_chars: int
    junk_phrases: tuple[str, ...]
    junk_line_chars: int
    max_furniture_share: float
    block_tags: frozenset[str]
    cell_separator: str


@cache
def rules() -> _Rules:
    raw = load_toml("ingest_html.toml")
    return _Rules(
        drop_tags=frozenset(raw["drop_tags"]),
        drop_markers=tuple(raw["drop_markers"]),
        content_selectors=tuple(raw["content_selectors"]),
        title_meta=tuple(raw["title_meta"]),
        title_selectors=tuple(raw["title_selectors"]),
        title_separators=tuple(raw["title_separators"]),
        max_title_chars=int(raw["max_title_chars"]),
        header_labels=tuple(sorted(raw["header_labels"], key=len, reverse=True)),
        strong_labels=tuple(raw["strong_labels"]),
        meta_labels=dict(raw["meta_labels"]),
        min_header_labels=int(raw["min_header_labels"]),
        max_header_chars=int(raw["max_header_chars"]),
        junk_phrases=tuple(raw["junk_phrases"]),
        junk_line_chars=int(raw["junk_line_chars"]),
        max_furniture_share=float(raw["max_furniture_share"]),
        block_tags=frozenset(raw["block_tags"]),
        cell_separator=raw["cell_separator"],
    )


def warm() -> None:
    rules()


def decode_html(data: bytes) -> str:
    """The page as text: the declared ``<meta charset>`` if it decodes, else UTF-8/GB18030."""
    found = _CHARSET.search(data[:4096])
    if found:
        try:
            return data.decode(found.group(1).decode("ascii").lower().replace("gb2312", "gb18030").replace("gbk", "gb18030"))
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(data)


def read_html(data: bytes) -> RawText:
    tree = LexborHTMLParser(decode_html(data))
    r = rules()
    title = _title(tree, r)
    root = tree.body or tree.root
    if root is None:
        return RawText(text="", media_type=HTML)
    header = _header_lines(root, r)
    header += _meta_lines(tree, r, header)
    _drop_furniture(root, r)
    content = _content_root(root, r)
    lines = _lines(content, r)
    if title and not any(_squash(title) == _squash(line) for line in lines[:3]):
        lines.insert(0, title)
    return RawText(text="\n".join([*header, *([""] if header else []), *lines]) + "\n", media_type=HTML)


def _squash(text: str) -> str:
    return _SPACES.sub("", text)


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _title(tree: LexborHTMLParser, r: _Rules) -> str:
    for name in r.title_meta:
        for meta in tree.css(f'meta[name="{name}"], meta[property="{name}"]'):
            value = _clean(meta.attributes.get("content") or "")
            if value:
                return value
    for selector in r.title_selectors:
        node = tree.css_first(selector)
        text = _clean(node.text()) if node is not None else ""
        if 0 < len(text) <= r.max_title_chars:
            return text
    node = tree.css_first("title")
    text = _clean(node.text()) if node is not None else ""
    for sep in r.title_separators:
        text = text.split(sep)[0].strip() if sep in text else text
    return text


def _marker(node: LexborNode) -> str:
    attrs = node.attributes
    return f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower()


def _label_tokens(tokens: list[str], r: _Rules) -> int:
    return sum(1 for t in tokens if match_label(t))


def _tokens(node: LexborNode) -> list[str]:
    return [t for t in (_clean(n.text(deep=False)) for n in node.traverse(include_text=True) if n.tag == "-text") if t]


def _header_lines(root: LexborNode, r: _Rules) -> list[str]:
    """Turn the 政府信息公开 header table into "标签：值" lines and remove it from the page.

    The header is the small container with the most text pieces that *start* with a label (a
    paragraph that merely mentions 发布机构 does not qualify), holding at least one strong label.
    """
    best: tuple[int, int, LexborNode, list[str]] | None = None
    for node in root.css("table, ul, dl, div, section"):
        text = node.text()
        squashed = _squash(text)
        if len(squashed) > r.max_header_chars or not any(label in squashed for label in r.strong_labels):
            continue
        tokens = _tokens(node)
        count = _label_tokens(tokens, r)
        if count >= r.min_header_labels and (best is None or (count, -len(text)) > (best[0], best[1])):
            best = (count, -len(text), node, tokens)
    if best is None:
        return []
    _, _, node, tokens = best
    while tokens and not match_label(tokens[0]):
        tokens.pop(0)
    lines = header_pairs(tokens)
    node.decompose()
    return lines


def _meta_lines(tree: LexborHTMLParser, r: _Rules, have: list[str]) -> list[str]:
    """CMS meta tags (PubDate, ContentSource) as header lines, for pages without a header table."""
    lines = []
    for name, label in r.meta_labels.items():
        if any(line.startswith(label) for line in have):
            continue
        meta = tree.css_first(f'meta[name="{name}"]')
        value = _clean(meta.attributes.get("content") or "") if meta is not None else ""
        if value:
            lines.append(f"{label}：{value}")
    return lines


def match_label(token: str) -> tuple[str, str] | None:
    """(label, rest) when ``token`` starts with a header label, letter-spaced or not: portals
    pad short labels to the width of long ones ("索 引 号：", "发布机构：")."""
    for label in rules().header_labels:
        i = 0
        for ch in label:
            while i < len(token) and token[i] in " \u3000\u00a0\t":
                i += 1
            if i >= len(token) or token[i] != ch:
                break
            i += 1
        else:
            return label, token[i:]
    return None


def header_pairs(tokens: list[str]) -> list[str]:
    """"标签：值" lines from a header table's cell texts in order; [] when the first is no label."""
    if not tokens or not match_label(tokens[0]):
        return []
    lines: list[str] = []
    i = 0
    while i < len(tokens):
        found = match_label(tokens[i])
        i += 1
        if found is None:
            continue
        label, rest = found
        value = rest.lstrip(" \u3000：:").strip()
        if not value and i < len(tokens) and not match_label(tokens[i]):
            value = tokens[i].lstrip("：:").strip()
            i += 1
        if value:
            lines.append(f"{label}：{value}")
    return lines


def _drop_furniture(root: LexborNode, r: _Rules) -> None:
    for node in list(root.traverse()):
        if node.tag in r.drop_tags:
            node.decompose()
    # A marker like "nav" or "position" can sit on a wrapper of the whole page: a container
    # holding most of the text, or the article, is never furniture.
    page_chars = max(len(_squash(root.text())), 1)
    for node in list(root.css("[class], [id]")):
        marker = _marker(node)
        if not marker.strip() or not any(m in marker for m in r.drop_markers) or _is_content(node, r):
            continue
        if len(_squash(node.text())) <= r.max_furniture_share * page_chars:
            node.decompose()


def _is_content(node: LexborNode, r: _Rules) -> bool:
    """A furniture-looking container that holds the article (e.g. class="main-nav-content")."""
    return any(node.css_first(sel) is not None or node.css_matches(sel) for sel in r.content_selectors[:5])


def _content_root(root: LexborNode, r: _Rules) -> LexborNode:
    for selector in r.content_selectors:
        candidates = [n for n in root.css(selector) if len(_squash(n.text())) > 200]
        if candidates:
            return max(candidates, key=lambda n: len(_squash(n.text())))
    return root


def _lines(root: LexborNode, r: _Rules) -> list[str]:
    parts: list[str] = []
    _walk(root, r, parts, 0)
    out = []
    for line in "".join(parts).split("\n"):
        line = _clean(line.replace("\x00", ""))
        if not line:
            continue
        if len(line) <= r.junk_line_chars and any(p in line for p in r.junk_phrases) and not _looks_like_prose(line):
            continue
        out.append(line)
    return out


def _looks_like_prose(line: str) -> bool:
    return line.endswith(("。", "；", "：")) or "，" in line


def _walk(node: LexborNode, r: _Rules, out: list[str], depth: int) -> None:
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            out.append(child.text(deep=False) .replace("\n", " "))
            continue
        if depth >= _MAX_DEPTH:
            out.append(child.text().replace("\n", " "))
            continue
        if tag in ("td", "th"):
            out.append(r.cell_separator)
        block = tag in r.block_tags
        if block:
            out.append("\n")
        _walk(child, r, out, depth + 1)
        if block:
            out.append("\n")
