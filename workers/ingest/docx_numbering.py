"""Word's automatic list numbering, written back into the text.

Reports typed in Word often number their headings with list numbering ("一、", "（一）", "1."
from numbering.xml), which is not in the paragraph text. The outline stage needs those
enumerators, so each numbered paragraph gets its label as Word would display it: counters per
abstract list and level, ``lvlText`` templates such as "（%2）", and the level's number format.
"""

from __future__ import annotations

from collections.abc import Callable

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_MAX_LEVELS = 9


def _chinese(n: int) -> str:
    import cn2an

    return cn2an.an2cn(n, "low")


def _letters(n: int) -> str:
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(ord("a") + rem) + out
    return out


def _roman(n: int) -> str:
    out = ""
    for value, digits in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                          (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        count, n = divmod(n, value)
        out += digits * count
    return out


# ST_NumberFormat values seen in Chinese documents; anything else prints as decimal.
FORMATS: dict[str, Callable[[int], str]] = {
    "decimal": str,
    "decimalZero": lambda n: f"{n:02d}",
    "chineseCounting": _chinese,
    "chineseCountingThousand": _chinese,
    "chineseLegalSimplified": _chinese,
    "ideographTraditional": lambda n: "甲乙丙丁戊己庚辛壬癸"[(n - 1) % 10],
    "japaneseCounting": _chinese,
    "taiwaneseCounting": _chinese,
    "decimalEnclosedCircle": lambda n: _CIRCLED[n - 1] if 0 < n <= len(_CIRCLED) else str(n),
    "decimalEnclosedCircleChinese": lambda n: _CIRCLED[n - 1] if 0 < n <= len(_CIRCLED) else str(n),
    "decimalFullWidth": lambda n: "".join(chr(ord(c) + 0xFEE0) for c in str(n)),
    "lowerLetter": _letters,
    "upperLetter": lambda n: _letters(n).upper(),
    "lowerRoman": _roman,
    "upperRoman": lambda n: _roman(n).upper(),
    "none": lambda n: "",
}


def _val(element, tag: str, default: str | None = None) -> str | None:
    child = element.find(f"{W}{tag}") if element is not None else None
    return child.get(f"{W}val") if child is not None else default


class Numbering:
    """Counters over one document; ``label(paragraph_element)`` in document order."""

    def __init__(self, document):
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # abstractNumId -> ilvl -> (fmt, text, start)
        self.nums: dict[str, str] = {}  # numId -> abstractNumId
        self.style_num: dict[str, tuple[str, int]] = {}  # styleId -> (numId, ilvl)
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return
        for abstract in root.iterfind(f"{W}abstractNum"):
            levels = {}
            for lvl in abstract.iterfind(f"{W}lvl"):
                ilvl = int(lvl.get(f"{W}ilvl", "0"))
                start = int(_val(lvl, "start", "1") or 1)
                levels[ilvl] = (_val(lvl, "numFmt", "decimal") or "decimal", _val(lvl, "lvlText", "") or "", start)
            self.levels[abstract.get(f"{W}abstractNumId")] = levels
        for num in root.iterfind(f"{W}num"):
            self.nums[num.get(f"{W}numId")] = _val(num, "abstractNumId") or ""
        for style in document.styles.element.iterfind(f"{W}style"):
            ppr = style.find(f"{W}pPr")
            numpr = ppr.find(f"{W}numPr") if ppr is not None else None
            if numpr is not None and _val(numpr, "numId"):
                self.style_num[style.get(f"{W}styleId")] = (_val(numpr, "numId"), int(_val(numpr, "ilvl", "0") or 0))

    def _num_of(self, p) -> tuple[str, int] | None:
        ppr = p.find(f"{W}pPr")
        numpr = ppr.find(f"{W}numPr") if ppr is not None else None
        if numpr is not None and _val(numpr, "numId"):
            return _val(numpr, "numId"), int(_val(numpr, "ilvl", "0") or 0)
        style = _val(ppr, "pStyle") if ppr is not None else None
        return self.style_num.get(style) if style else None

    def label(self, p) -> str:
        """The enumerator Word shows before paragraph ``p`` ("" when it is not numbered)."""
        found = self._num_of(p)
        if found is None or found[0] == "0":  # numId 0 switches numbering off
            return ""
        num_id, ilvl = found
        abstract = self.nums.get(num_id)
        levels = self.levels.get(abstract or "")
        if not levels or ilvl not in levels or not 0 <= ilvl < _MAX_LEVELS:
            return ""
        counters = self.counters.setdefault(abstract, [0] * _MAX_LEVELS)
        fmt, text, start = levels[ilvl]
        counters[ilvl] = counters[ilvl] + 1 if counters[ilvl] else start
        for deeper in range(ilvl + 1, _MAX_LEVELS):
            counters[deeper] = 0
        if fmt == "bullet":
            return ""
        for level in range(_MAX_LEVELS):
            token = f"%{level + 1}"
            if token in text:
                lfmt, _, lstart = levels.get(level, ("decimal", "", 1))
                text = text.replace(token, FORMATS.get(lfmt, str)(counters[level] or lstart))
        return text
