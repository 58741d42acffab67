"""Score a page's text layer: is it text a reader would recognise, or encoding garbage?

Two tests, thresholds in ``workers/data/pdf_quality.toml``: the share of characters in the ranges
real reports use (catches private-use code points, U+FFFD, controls, mojibake), and, for pages
with enough ideographs, the share drawn from the most common ideographs of report prose (catches
CID fonts read without their ToUnicode map, which decode to real but random ideographs).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from functools import cache

from workers.data import load_toml


_SPACE = re.compile(r"\s+")
_NON_CJK = re.compile("[^\u4e00-\u9fff]")


def _ranges_without(lo: int, hi: int, holes: list[int]) -> str:
    """A regex class body for the code points lo..hi except ``holes`` (sorted, within lo..hi)."""
    parts = []
    start = lo
    for h in holes:
        if h > start:
            parts.append(f"{chr(start)}-{chr(h - 1)}")
        start = max(start, h + 1)
    if start <= hi:
        parts.append(f"{chr(start)}-{chr(hi)}")
    return "".join(parts)


class Quality:
    def __init__(self, raw: dict):
        ranges = sorted((int(a), int(b)) for a, b in raw["good"])
        self._starts = [a for a, _ in ranges]
        self._ends = [b for _, b in ranges]
        self.min_score = float(raw["min_score"])
        self.min_chars = int(raw["min_chars"])
        self.common = frozenset("".join(raw["common"].split()))
        self.common_min_cjk = int(raw["common_min_cjk"])
        self.min_common = float(raw["min_common"])
        self.common_full = float(raw["common_full"])
        # score() runs on every page: the counts come from regexes (C loops), not a Python loop
        # per character. The classes say exactly what good() and the CJK test say. Each regex
        # matches the *rare* side (bad characters, non-ideographs, ideographs outside the common
        # set), so findall builds short lists; the counts wanted are the complements.
        cls = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
        self._bad_re = re.compile(f"[^ -~\u4e00-\u9fff{cls}]")
        common_cjk = sorted(ord(c) for c in self.common if "\u4e00" <= c <= "\u9fff")
        self._has_common = bool(common_cjk)
        uncommon = _ranges_without(0x4E00, 0x9FFF, common_cjk)
        self._uncommon_re = re.compile(f"[{uncommon}]" if uncommon else "(?!)")

    def good(self, ch: str) -> bool:
        if " " <= ch <= "~" or "\u4e00" <= ch <= "\u9fff":
            return True  # the bulk of any report: skip the range search
        cp = ord(ch)
        i = bisect.bisect_right(self._starts, cp) - 1
        return i >= 0 and cp <= self._ends[i]

    def score(self, chars: str) -> tuple[float, int]:
        """(quality 0..1, number of good characters) of a page's non-space characters."""
        ink = _SPACE.sub("", chars)  # \s is str.isspace() for str patterns
        total = len(ink)
        if total == 0:
            return 1.0, 0
        good = total - len(self._bad_re.findall(ink))
        cjk = total - len(_NON_CJK.findall(ink))
        score = good / total
        if cjk >= self.common_min_cjk:
            common = cjk - len(self._uncommon_re.findall(ink)) if self._has_common else 0
            share = common / cjk
            if share < self.min_common:
                good = 0  # real-looking ideographs, but not a text anyone wrote
            score *= min(1.0, share / self.common_full)
        return score, good

    def usable(self, score: float, good_chars: int, *, has_images: Callable[[], bool]) -> bool:
        """Is the text layer worth reading? ``has_images`` is only asked about near-empty pages."""
        if score < self.min_score or (good_chars == 0 and score < 1.0):
            return False
        return good_chars >= self.min_chars or not has_images()


@cache
def quality() -> Quality:
    return Quality(load_toml("pdf_quality.toml"))
