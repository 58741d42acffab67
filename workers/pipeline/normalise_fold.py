"""Character-level folding for the normalise stage: width, spaces, line ends, invisibles.

``fold(raw)`` returns the folded string and, for each of its characters, the index of the raw
character it came from. Every mapping is one raw character to zero or one folded character,
so the index list is strictly increasing. See ``workers/data/normalise_text.toml`` for the
canonical-text policy.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from functools import cache

# Tabs survive folding: normalise_lines reads them as table-cell separators and turns them
# into single spaces there.
# Characters removed outright: zero-width marks, BOM, soft hyphen, word joiner.
_DROP = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
# Line separators other than \n.
_LINE_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_DOT_BETWEEN_DIGITS = re.compile(r"(?<=\d)．(?=\d)")
# HTML character references left by scrapers in "plain" text ("12&nbsp;件", "&ldquo;…&rdquo;"):
# each becomes the one character it stands for, mapped to its "&".
_ENTITY = r"&(?:[a-zA-Z]{2,8}|#\d{2,6}|#[xX][0-9a-fA-F]{2,5});"
# Deletions and entities in one alternation whose every branch starts with a literal, so that
# ``re`` skips ahead to those few characters instead of trying each branch at every position.
_EDITS = re.compile("|".join(_DROP) + "|\r(?=\n)|" + _ENTITY)


@cache
def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0xFF10, 0xFF1A):  # ０-９
        table[cp] = chr(cp - 0xFEE0)
    for cp in list(range(0xFF21, 0xFF3B)) + list(range(0xFF41, 0xFF5B)):  # Ａ-Ｚ ａ-ｚ
        table[cp] = chr(cp - 0xFEE0)
    table[0xFF05] = "%"  # ％
    # Kangxi radicals and compatibility ideographs come from broken PDF font maps.
    for cp in list(range(0x2F00, 0x2FD6)) + list(range(0xF900, 0xFADA)):
        folded = unicodedata.normalize("NFKC", chr(cp))
        if len(folded) == 1:
            table[cp] = folded
    for ch in "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000":
        table[ord(ch)] = " "
    for ch in _LINE_BREAKS + "\r":
        table[ord(ch)] = "\n"
    return table


@cache
def _foldable() -> re.Pattern[str]:
    """The characters ``_table`` changes: str.translate looks up every character in a dict, and
    a report has only a few to change, so a regex finds them instead (same result)."""
    return re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_table())) + "]")


def _translate(text: str) -> str:
    table = _table()
    return _foldable().sub(lambda m: table[ord(m.group())], text)


def fold(raw: str) -> tuple[str, Sequence[int]]:
    """Fold ``raw``; return (folded text, raw index of each folded character).

    The index is ``range(len(raw))`` when nothing was deleted (the usual case)."""
    # Deletions first, on the raw string, so the index map is built in one pass.
    pieces: list[str] = []
    index: list[int] = []
    pos = 0
    for m in _EDITS.finditer(raw):
        found = m.group()
        decoded = ""
        if found[0] == "&":
            decoded = html.unescape(found)
            if len(decoded) != 1:
                continue  # not a reference to one character: plain text
        if m.start() > pos:
            pieces.append(raw[pos : m.start()])
            index.extend(range(pos, m.start()))
        if decoded:
            pieces.append(decoded)
            index.append(m.start())
        pos = m.end()
    if pos == 0:
        kept = raw
        mapping: Sequence[int] = range(len(raw))
    else:
        pieces.append(raw[pos:])
        index.extend(range(pos, len(raw)))
        kept = "".join(pieces)
        mapping = index
    # Every remaining change is one character for one character, so `index` stays valid.
    text = _translate(kept)
    if "．" in text:  # the lookbehind keeps ``re`` from skipping ahead to "．"
        text = _DOT_BETWEEN_DIGITS.sub(".", text)
    return text, mapping
