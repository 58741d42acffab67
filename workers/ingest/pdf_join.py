"""What separates two consecutive visual lines in the raw text: nothing, a space or a break.

A line that runs to its block's right margin mid-sentence is soft-wrapped: the next line follows
with nothing in between (so "1⏎28件" reads "128件"), also across a page break. A break stays
where geometry or wording says a paragraph ends: a short line, a larger gap than the page's
usual line gap, an indented next line, a different font size, a table row, a heading pattern,
or a sentence end (unless this document indents its paragraphs, so an unindented line after a
full one continues the paragraph).
"""

from __future__ import annotations

from workers.ingest.pdf_layout import Config, Line, PageLayout, config, is_latin


def joiner(prev: Line, prev_page: PageLayout, nxt: Line, next_page: PageLayout, cfg: Config | None = None) -> str:
    """What separates two consecutive emitted lines: "" (soft wrap), " " or "\\n"."""
    cfg = cfg or config()
    last, first = prev.last, nxt.first
    if last is None or first is None:
        return "\n"
    if prev.parts > 1 or nxt.parts > 1:
        return "\n"
    if not (0.8 <= nxt.h / prev.h <= 1.25):
        return "\n"
    _, right = prev_page.edges.get(prev.block, (prev.x0, prev.x1))
    if last[3] < right - cfg.soft_wrap_slack * prev.h:
        return "\n"
    left, _ = next_page.edges.get(nxt.block, (nxt.x0, nxt.x1))
    if first[1] > left + cfg.indent * nxt.h:
        return "\n"
    same_page = prev_page is next_page
    if same_page and prev.block == nxt.block:
        typical = prev_page.line_gap if prev_page.line_gap is not None else 0.2 * prev.h
        if prev.y0 - nxt.y1 > typical + cfg.paragraph_gap * prev.h:
            return "\n"
    if cfg.paragraph_start.match(nxt.text.lstrip(" \u3000")):
        return "\n"
    if _sentence_end(prev, cfg) and not next_page.indented:
        # A full line ending a sentence: a paragraph end unless this document marks paragraph
        # starts by indenting them (then an unindented next line continues the paragraph).
        return "\n"
    if is_latin(last[0]) and last[0].isalpha() and is_latin(first[0]) and first[0].isalpha():
        return " "
    return ""


def _sentence_end(ln: Line, cfg: Config) -> bool:
    tail = ln.text.rstrip()
    if not tail:
        return False
    if tail[-1] in cfg.hard_end:
        return True
    return tail[-1] in cfg.closers and len(tail) >= 2 and tail[-2] in cfg.hard_end
