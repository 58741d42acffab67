"""Scoring one quantity against the catalogue.

Each keyword hit in the quantity's window (indicators_window) adds to its entry a score that
depends on where it sits (own clause before/after the number, earlier clauses, paragraph) and on
its kind (keyword, verb, role noun, rate name). The rules that decide between entries:

* a count is named in its own clause; a rate needs a rate word; a change (同比增长) or a
  participation count ("1324名执法人员参加") takes its thing from earlier clauses;
* the unit must fit the entry (a 元 value is never ``penalty_cases``); a rate may belong to any
  entry, but one named by its own rate word (出庭应诉率) belongs to that entry;
* ruling-out words (negative keywords) remove an entry; a verb alone names nothing;
* context words and the heading's 纲要 system only tip a tie.

Weights live in ``[weights]`` of ``indicators_catalogue.toml``.
"""

from __future__ import annotations

import bisect
from collections import defaultdict

from msgspec import Struct

from workers.pipeline.catalogue import CatalogueEntry, CatalogueFile
from workers.pipeline.indicators_hits import (
    ACTION,
    CONTEXT,
    KEYWORD,
    NEGATIVE,
    RATE,
    WEAK,
    Hit,
    KeywordIndex,
)
from workers.pipeline.indicators_window import Window, clauses_between


class Candidate(Struct, kw_only=True):
    entry: CatalogueEntry
    score: float  # keyword score plus context and heading priors
    keyword_score: float


class Query(Struct, kw_only=True):
    """What is known about one quantity before its window's hits are read."""

    span: tuple[int, int]
    unit: str
    is_rate: bool
    change: bool = False  # "同比增长15%": a change of something named earlier
    joins: bool = False  # "1324名执法人员参加": participants in something named earlier
    container_end: int = -1  # end of "部门/街镇/村" right after the unit, or -1
    adjacent: bool = False  # a keyword follows the container directly ("13个社区调委会")
    followed: bool = False  # another number follows in the same clause

    @property
    def inherits(self) -> bool:
        return self.is_rate or self.change or self.joins


class _Tally:
    """Evidence per entry (by index) gathered from one window."""

    def __init__(self) -> None:
        self.keyword: dict[int, list[float]] = defaultdict(list)
        self.weak: dict[int, list[float]] = defaultdict(list)
        self.actions: dict[int, list[tuple[float, bool, bool]]] = defaultdict(list)
        self.spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self.context_hits: list[tuple[int, int, int]] = []
        self.context: dict[int, float] = {}
        self.nouns: set[int] = set()  # entries named by a noun or context word in the sentence
        self.local: set[int] = set()  # entries with any hit in the number's own clause
        self.local_nouns: set[int] = set()
        self.local_context: set[int] = set()
        self.local_noun_hits: list[tuple[int, int, int]] = []
        self.local_strong = False  # a keyword or rate name (not a role noun or verb) in the clause
        self.negative: set[int] = set()
        self.named_rate: set[int] = set()  # entries whose own rate word names this rate
        self.rate_signal = False
        self.after_hit = False


class Matcher:
    """The catalogue compiled for matching; built once per process."""

    def __init__(self, config: CatalogueFile) -> None:
        self.config = config
        self.entries = config.indicator
        self.w = config.weights
        self.m = config.matching
        self.index = KeywordIndex(self.entries, self.m.generic_rate_keywords)
        self.rate_units = frozenset(self.m.rate_units)
        self.no_id_units = frozenset(self.m.no_id_units)
        self.unit_equivalents = dict(self.m.unit_equivalents)
        self.container_units = frozenset(self.m.container_units)
        self.containers = tuple(sorted(self.m.container_nouns, key=len, reverse=True))
        self.own_unit_entries: dict[str, tuple[int, ...]] = {}
        for idx, entry in enumerate(self.entries):
            for u in entry.own_units:
                self.own_unit_entries[u] = self.own_unit_entries.get(u, ()) + (idx,)

    def hits(self, text: str) -> list[Hit]:
        return self.index.hits(text)

    # -- the shape of the quantity ----------------------------------------------------------

    def is_change(self, text: str, win: Window) -> bool:
        """A change of something named earlier ("同比增长15%", "较上年提高两倍").

        The change word must end right before the number (fillers such as 了/为/达 aside), so
        "减少申请材料1183件" is a count, not a change.
        """
        seg = text[max(win.before_start, win.number_start - 12) : win.number_start]
        seg = seg.rstrip(self.m.change_fillers)
        return any(seg.endswith(word) for word in self.m.change_words)

    def query(
        self,
        text: str,
        hits: list[Hit],
        hit_starts: list[int],
        win: Window,
        *,
        span: tuple[int, int],
        unit: str,
        is_rate: bool,
        followed: bool = False,
    ) -> Query:
        """The quantity's shape: change, participation count, container count."""
        # A regional or finer-grained unit counts what its base unit counts (378宗 = 378件).
        unit = self.unit_equivalents.get(unit, unit)
        q = Query(span=span, unit=unit, is_rate=is_rate, change=self.is_change(text, win), followed=followed)
        after = text[win.after_start : win.after_end]
        q.joins = not is_rate and any(word in after for word in self.m.participation_words)
        if not (is_rate or q.change) and unit in self.container_units:
            q.container_end = self._after_container(text, win)
        if q.container_end >= 0:
            lo = bisect.bisect_left(hit_starts, q.container_end)
            q.adjacent = any(
                h.start == q.container_end and any(kind in (KEYWORD, WEAK) for _, kind in h.refs)
                for h in hits[lo : lo + 4]
            )
        return q

    def _after_container(self, text: str, win: Window) -> int:
        """Where the counted noun ends when the number counts organisations/places, else -1."""
        head = text[win.after_start : min(win.after_end, win.after_start + 8)]
        for noun in self.containers:
            pos = head.find(noun)
            if 0 <= pos <= 4:
                return win.after_start + pos + len(noun)
        return -1

    # -- scoring -------------------------------------------------------------------------------

    def score(
        self,
        text: str,
        hits: list[Hit],
        hit_starts: list[int],
        win: Window,
        q: Query,
        *,
        subject_hits: list[Hit],
        heading_system: str | None,
    ) -> list[Candidate]:
        """Candidates for one quantity, best first (empty when nothing fits)."""
        if q.unit in self.no_id_units and not q.change:
            return []
        if q.container_end >= 0 and q.followed and not q.adjacent:
            return []  # "46个执法部门共办理…案件1234件": the places scope the next figure
        lo = bisect.bisect_left(hit_starts, win.paragraph_start)
        hi = bisect.bisect_left(hit_starts, win.sentence_end)
        window_hits = hits[lo:hi]
        rate_words = [
            h.start for h in window_hits if h.generic_rate and win.clause_start <= h.start < win.number_start
        ]
        tally = _Tally()
        for hit in window_hits:
            if not (win.number_start <= hit.start < win.after_start):  # not the number/unit itself
                self._collect(tally, text, hit, win, q, rate_words if q.is_rate else [])
        if q.is_rate and not q.change and not tally.rate_signal and not tally.after_hit:
            return []
        self._resolve(tally, q)
        if q.is_rate and not q.change and not tally.named_rate and self._listed(text, tally.local_noun_hits):
            return []  # "人大代表建议、政协提案办结率均为100%": one rate of two things
        return self._rank(tally, q, subject_hits, heading_system)

    def _listed(self, text: str, noun_hits: list[tuple[int, int, int]]) -> bool:
        """Whether two different entries are named side by side as a list (A、B / A和B)."""
        noun_hits = sorted(noun_hits)
        for (_, end, a), (start, _, b) in zip(noun_hits, noun_hits[1:]):
            gap = text[end:start]
            if a != b and len(gap) <= 2 and any(mark in gap for mark in self.m.list_joiners):
                return True
        return False

    def _collect(
        self, t: _Tally, text: str, hit: Hit, win: Window, q: Query, rate_words: list[int]
    ) -> None:
        """Add one hit's evidence to the tally."""
        w = self.w
        in_span = q.span[0] <= hit.start and hit.end <= q.span[1]
        in_after = win.after_start <= hit.start and hit.end <= win.after_end
        own_start = win.clause_start if q.is_rate else win.before_start
        local = in_span or in_after or (own_start <= hit.start and hit.end <= win.number_start)
        if local and hit.generic_rate:
            t.rate_signal = True
        region = self._region_weight(text, hit, win, in_span, q)
        if hit.aside:
            region *= w.aside
        if any(0 <= r - hit.end <= 2 for r in rate_words):
            # A keyword just before a rate word names the rate ("“全程网办”比例达91.4%").
            region = max(region, w.span * self._proximity(win.number_start - hit.end))
        for idx, kind in hit.refs:
            if kind == NEGATIVE:
                if hit.aside:
                    continue  # "案件（含简易程序）": an aside rules nothing out
                # A rate's (or change's, or participants') thing is named in earlier clauses,
                # so its scope is the statement; a count's is its own clause
                # ("局长带头学法，党组会议研究法治工作7次").
                scope = win.statement_start if q.inherits else max(win.scope_start, win.clause_start)
                if scope <= hit.start and hit.end <= win.after_end:
                    t.negative.add(idx)
                continue
            if kind == CONTEXT:
                if hit.start < win.after_end:
                    t.context_hits.append((idx, hit.start, hit.end))
                    if local:
                        t.local_context.add(idx)
                    if hit.start >= win.sentence_start:
                        t.nouns.add(idx)
                continue
            if kind == RATE:
                if not q.is_rate:
                    continue
                if local:
                    t.rate_signal = True
                    t.named_rate.add(idx)
                    region = max(region, w.span)  # "出庭应诉率达100%": the rate's own name
            if region <= 0.0:
                continue
            if local:
                t.local.add(idx)
                t.local_strong = t.local_strong or kind in (KEYWORD, RATE)
                t.after_hit = t.after_hit or in_after
            if kind != ACTION:
                t.nouns.add(idx)
                t.spans[idx].append((hit.start, hit.end))
            if kind == WEAK:
                t.weak[idx].append(region * w.weak)
            elif kind == ACTION:
                # The verb's own object when nothing stands between it and the number
                # ("受理89件"); "发放调查问卷1200份" counts questionnaires, not materials.
                governs = hit.end >= win.number_start - self.m.max_verb_gap
                t.actions[idx].append((region * w.action * self._specific(hit), local, governs))
            else:
                if local:
                    t.local_nouns.add(idx)
                    t.local_noun_hits.append((hit.start, hit.end, idx))
                t.keyword[idx].append(region * self._specific(hit))

    def _resolve(self, t: _Tally, q: Query) -> None:
        """Fold role nouns, verbs, own units and context into the per-entry keyword scores."""
        w = self.w
        if not t.local_strong and not q.joins and not q.change:
            # Role nouns (执法人员, 案件) name the count only when no activity (考试, 培训) does,
            # never when the people take part in something ("1324名执法人员参加"), and never
            # name what a change is a change of ("受理案件数量增长2倍").
            for idx, scores in t.weak.items():
                t.keyword[idx].extend(scores)
                t.local_nouns.add(idx)
        for idx, scores in t.actions.items():
            # A verb goes with its own entry's noun; when the clause names another entry's
            # noun instead ("审核县政府文件41件"), the verb is that noun's. Without a noun of its
            # own in the clause, a verb counts only when it governs the number directly.
            own_noun = idx in t.local_nouns or idx in t.local_context
            lone = not own_noun and bool(t.local_nouns)
            for s, local, governs in scores:
                if local and not own_noun and not governs:
                    continue
                t.keyword[idx].append(s * w.lone_action if lone and local else s)
        for idx in self.own_unit_entries.get(q.unit, ()):
            # The unit alone names the entry ("人均达到72学时").
            t.keyword[idx].append(w.clause_before * 0.5)
            t.nouns.add(idx)
            t.local.add(idx)
        for idx, start, end in t.context_hits:
            # A context word inside the entry's own keyword ("政务服务" in "政务服务事项") is
            # that keyword again, not independent evidence.
            if not any(s <= start and end <= e for s, e in t.spans.get(idx, ())):
                t.context[idx] = w.context

    def _rank(
        self, t: _Tally, q: Query, subject_hits: list[Hit], heading_system: str | None
    ) -> list[Candidate]:
        w = self.w
        subject_ids = {idx for h in subject_hits for idx, kind in h.refs if kind in (KEYWORD, RATE)}
        out: list[Candidate] = []
        for idx, scores in t.keyword.items():
            entry = self.entries[idx]
            if idx in t.negative or idx not in t.nouns:
                continue  # ruled out, or only a verb (受理, 办理) that names nothing by itself
            if not self._eligible(entry, q):
                continue
            if t.named_rate and idx not in t.named_rate:
                continue  # a rate named by its own word (网上可办率) belongs to that entry
            if not q.inherits and idx not in t.local:
                continue  # a count is named in its own clause, not only in earlier ones
            scores.sort(reverse=True)
            kw_score = scores[0] + (0.3 * scores[1] if len(scores) > 1 else 0.0)
            if idx in subject_ids:
                kw_score += w.subject
            total = kw_score + t.context.get(idx, 0.0)
            if heading_system is not None and entry.system == heading_system:
                total += w.heading_system
            out.append(Candidate(entry=entry, score=total, keyword_score=kw_score))
        out.sort(key=lambda c: c.score, reverse=True)
        return out

    def _eligible(self, entry: CatalogueEntry, q: Query) -> bool:
        """Unit fit. A rate may belong to any entry (办结率 of 人大建议, 优秀率 of 案卷评查): the
        rate word decides; a change in 个百分点 is a change of a rate."""
        if q.change:
            return q.unit != "个百分点" or "%" in entry.units
        return q.is_rate or q.unit in entry.units

    def _proximity(self, distance: int) -> float:
        return 1.0 / (1.0 + max(distance, 0) / self.w.proximity_chars)

    def _specific(self, hit: Hit) -> float:
        return 1.0 + self.w.specificity * max(hit.end - hit.start - 2, 0)

    def _region_weight(self, text: str, hit: Hit, win: Window, in_span: bool, q: Query) -> float:
        """Weight of a keyword by where it sits; rates, changes and participation counts take
        their thing from earlier clauses ("受理信访事项326件，按期办结率100%"), so those
        clauses weigh more for them."""
        w = self.w
        if q.container_end >= 0:
            # The number counts departments/places: only what follows them can name it, and
            # less surely ("2个村（社区）创建为民主法治示范村"; "26个部门654项…" names nothing).
            if hit.start == q.container_end and hit.end <= win.after_end:
                return w.clause_after
            if q.container_end < hit.start and hit.end <= win.after_end and not q.adjacent:
                return w.clause_after * w.container * self._proximity(hit.start - q.container_end)
            return 0.0
        if win.after_start <= hit.start and hit.end <= win.after_end:
            return w.clause_after * self._proximity(hit.start - win.after_start)
        if in_span:
            return w.span * self._proximity(win.number_start - hit.end)
        if hit.end > win.number_start:
            return 0.0  # later in the sentence: belongs to a later number
        if win.before_start <= hit.start:
            return w.clause_before * self._proximity(win.number_start - hit.end)
        if win.sentence_start <= hit.start:
            base = w.rate_entity if q.inherits else w.sentence_before
            k = clauses_between(text, hit.end, win.number_start, self.m.clause_marks)
            return base if k == 0 else base * (w.clause_decay ** (k - 1))
        return w.paragraph


def decide(
    candidates: list[Candidate], min_score: float, min_keyword_score: float, margin: float
) -> CatalogueEntry | None:
    """The best candidate if it is trustworthy, else None (a wrong id is worse than none).

    Only a runner-up with keyword evidence of its own can make the best one ambiguous.
    """
    if not candidates:
        return None
    best = candidates[0]
    if best.score < min_score or best.keyword_score < min_keyword_score:
        return None
    rivals = [c for c in candidates[1:] if c.keyword_score >= min_keyword_score]
    if rivals and best.score - rivals[0].score < margin:
        return None
    return best.entry
