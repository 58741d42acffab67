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
import re
from collections import defaultdict

from msgspec import Struct

from workers.pipeline.catalogue import CatalogueEntry, CatalogueFile
from workers.pipeline.indicators_hits import (
    ACTION,
    KEYWORD,
    RATE,
    WEAK,
    DocHits,
    Hit,
    KeywordIndex,
    between,
)
from workers.pipeline.indicators_window import Marks, Window


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
    """Evidence per entry (by index) gathered from one window.

    Keywords, verbs and rate words are added hit by hit (``Matcher._collect``); context and
    ruling-out words are looked up per entry when a candidate needs them (``negative``,
    ``context_noun``, ``local_context``, ``context``), from the document's :class:`DocHits`.
    """

    __slots__ = (
        "keyword",
        "weak",
        "actions",
        "spans",
        "nouns",
        "local",
        "local_nouns",
        "local_noun_hits",
        "local_strong",
        "named_rate",
        "rate_signal",
        "after_hit",
        "_doc_hits",
        "_win",
        "_q",
    )

    def __init__(self, doc_hits: DocHits, win: Window, q: Query) -> None:
        self.keyword: dict[int, list[float]] = defaultdict(list)
        self.weak: dict[int, list[float]] = defaultdict(list)
        self.actions: dict[int, list[tuple[float, bool, bool]]] = defaultdict(list)
        self.spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self.nouns: set[int] = set()  # entries named by a noun in the sentence (context words aside)
        self.local: set[int] = set()  # entries with any hit in the number's own clause
        self.local_nouns: set[int] = set()
        self.local_noun_hits: list[tuple[int, int, int]] = []
        self.local_strong = False  # a keyword or rate name (not a role noun or verb) in the clause
        self.named_rate: set[int] = set()  # entries whose own rate word names this rate
        self.rate_signal = False
        self.after_hit = False
        self._doc_hits = doc_hits
        self._win = win
        self._q = q

    def _in_window(self, table: tuple[list[int], list[Hit]], start: int) -> list[Hit]:
        """The hits of ``table`` from ``start`` to the end of the window, less the number and
        its unit."""
        win = self._win
        found = between(table, start, win.after_end)
        if found and found[-1].start >= win.number_start:
            found = [h for h in found if not (win.number_start <= h.start < win.after_start)]
        return found

    def negative(self, idx: int) -> bool:
        """Whether a ruling-out word of the entry is in scope. A rate's (or change's, or
        participants') thing is named in earlier clauses, so its scope is the statement; a
        count's is its own clause ("局长带头学法，党组会议研究法治工作7次"). "案件（含简易程序）": an
        aside rules nothing out."""
        table = self._doc_hits.negative.get(idx)
        if table is None:
            return False
        win = self._win
        scope = win.statement_start if self._q.inherits else max(win.scope_start, win.clause_start)
        return any(not h.aside and h.end <= win.after_end for h in self._in_window(table, scope))

    def context_noun(self, idx: int) -> bool:
        """Whether a context word of the entry is in the number's sentence."""
        table = self._doc_hits.context.get(idx)
        return table is not None and bool(self._in_window(table, self._win.sentence_start))

    def local_context(self, idx: int) -> bool:
        """Whether a context word of the entry is in the number's own clause."""
        table = self._doc_hits.context.get(idx)
        if table is None:
            return False
        win = self._win
        span_start, span_end = self._q.span
        own_start = win.clause_start if self._q.is_rate else win.before_start
        return any(
            (span_start <= h.start and h.end <= span_end)
            or (win.after_start <= h.start and h.end <= win.after_end)
            or (own_start <= h.start and h.end <= win.number_start)
            for h in self._in_window(table, win.paragraph_start)
        )

    def context(self, idx: int) -> bool:
        """Whether the window has a context word of the entry. One inside the entry's own
        keyword ("政务服务" in "政务服务事项") is that keyword again, not independent evidence."""
        table = self._doc_hits.context.get(idx)
        if table is None:
            return False
        spans = self.spans.get(idx, ())
        return any(
            not any(s <= h.start and h.end <= e for s, e in spans)
            for h in self._in_window(table, self._win.paragraph_start)
        )


class Matcher:
    """The catalogue compiled for matching; built once per process."""

    def __init__(self, config: CatalogueFile) -> None:
        self.config = config
        self.entries = config.indicator
        self.w = config.weights
        self.m = config.matching
        self.index = KeywordIndex(self.entries, self.m.generic_rate_keywords, self.w.specificity)
        self.rate_units = frozenset(self.m.rate_units)
        self.no_id_units = frozenset(self.m.no_id_units)
        self.unit_equivalents = dict(self.m.unit_equivalents)
        self.container_units = frozenset(self.m.container_units)
        self.change_words = tuple(self.m.change_words)
        # One search instead of a substring test per word ("N名X参加").
        self.participation = re.compile("|".join(map(re.escape, self.m.participation_words)) or "(?!)")
        self.containers = tuple(sorted(self.m.container_nouns, key=len, reverse=True))
        self.own_unit_entries: dict[str, tuple[int, ...]] = {}
        for idx, entry in enumerate(self.entries):
            for u in entry.own_units:
                self.own_unit_entries[u] = self.own_unit_entries.get(u, ()) + (idx,)

    def hits(self, text: str) -> list[Hit]:
        return self.index.hits(text)

    def hits_near(self, text: str, ranges: list[tuple[int, int]]) -> DocHits:
        return DocHits(self.index.hits_near(text, ranges))

    # -- the shape of the quantity ----------------------------------------------------------

    def is_change(self, text: str, win: Window) -> bool:
        """A change of something named earlier ("同比增长15%", "较上年提高两倍").

        The change word must end right before the number (fillers such as 了/为/达 aside), so
        "减少申请材料1183件" is a count, not a change.
        """
        seg = text[max(win.before_start, win.number_start - 12) : win.number_start]
        seg = seg.rstrip(self.m.change_fillers)
        return seg.endswith(self.change_words)

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
        change: bool | None = None,
    ) -> Query:
        """The quantity's shape: change, participation count, container count.

        ``change`` is :meth:`is_change` when the caller already has it.
        """
        # A regional or finer-grained unit counts what its base unit counts (378宗 = 378件).
        unit = self.unit_equivalents.get(unit, unit)
        if change is None:
            change = self.is_change(text, win)
        q = Query(span=span, unit=unit, is_rate=is_rate, change=change, followed=followed)
        q.joins = not is_rate and self.participation.search(text, win.after_start, win.after_end) is not None
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
        near = head[:5]  # a noun found at 0..4 starts with one of these
        for noun in self.containers:
            if noun[:1] not in near:
                continue
            pos = head.find(noun)
            if 0 <= pos <= 4:
                return win.after_start + pos + len(noun)
        return -1

    # -- scoring -------------------------------------------------------------------------------

    def score(
        self,
        text: str,
        doc_hits: DocHits,
        win: Window,
        q: Query,
        *,
        subject: str,
        heading_system: str | None,
        marks: Marks | None = None,
    ) -> list[Candidate]:
        """Candidates for one quantity, best first (empty when nothing fits).

        ``marks`` is the document's :class:`Marks` (built here when not given).
        """
        if q.unit in self.no_id_units and not q.change:
            return []
        if q.container_end >= 0 and q.followed and not q.adjacent:
            return []  # "46个执法部门共办理…案件1234件": the places scope the next figure
        if marks is None:
            marks = Marks(text, self.m)
        # A hit that starts at or after ``after_end`` adds nothing (it is later in the sentence:
        # no region weight, no context, no ruling-out), so the window stops there.
        lo = bisect.bisect_left(doc_hits.positive_starts, win.paragraph_start)
        hi = bisect.bisect_left(doc_hits.positive_starts, win.after_end, lo)
        window_hits = doc_hits.positive[lo:hi]
        rate_words = (
            [h.start for h in window_hits if h.generic_rate and win.clause_start <= h.start < win.number_start]
            if q.is_rate
            else []
        )
        tally = _Tally(doc_hits, win, q)
        self._collect(tally, window_hits, win, q, rate_words, marks)
        if q.is_rate and not q.change and not tally.rate_signal and not tally.after_hit:
            return []
        self._resolve(tally, q)
        if q.is_rate and not q.change and not tally.named_rate and self._listed(text, tally.local_noun_hits):
            return []  # "人大代表建议、政协提案办结率均为100%": one rate of two things
        return self._rank(tally, q, subject, heading_system)

    def _listed(self, text: str, noun_hits: list[tuple[int, int, int]]) -> bool:
        """Whether two different entries are named side by side as a list (A、B / A和B)."""
        noun_hits = sorted(noun_hits)
        for (_, end, a), (start, _, b) in zip(noun_hits, noun_hits[1:]):
            gap = text[end:start]
            if a != b and len(gap) <= 2 and any(mark in gap for mark in self.m.list_joiners):
                return True
        return False

    def _collect(
        self, t: _Tally, hits: list[Hit], win: Window, q: Query, rate_words: list[int], marks: Marks
    ) -> None:
        """Add the evidence of the window's keywords, verbs and rate words to the tally.

        This is the stage's inner loop (a dozen hits per quantity), so what depends only on the
        quantity is read into locals once, before it.
        """
        w = self.w
        span_start, span_end = q.span
        number_start = win.number_start
        after_start = win.after_start
        after_end = win.after_end
        before_start = win.before_start
        sentence_start = win.sentence_start
        own_start = win.clause_start if q.is_rate else win.before_start
        container_end = q.container_end
        is_rate = q.is_rate
        sentence_base = w.rate_entity if q.inherits else w.sentence_before
        verb_reach = number_start - self.m.max_verb_gap
        nouns, spans, keyword = t.nouns, t.spans, t.keyword
        for hit in hits:
            start = hit.start
            end = hit.end
            if (
                start < sentence_start
                and start < span_start
                and end <= number_start
                and container_end < 0
                and not rate_words
            ):
                # Earlier in the paragraph (half the hits): never local, and one weight, so the
                # general steps below reduce to this.
                region = w.paragraph * w.aside if hit.aside else w.paragraph
                if region <= 0.0:
                    continue
                for idx, kind in hit.refs:
                    if kind == WEAK:
                        nouns.add(idx)
                        spans[idx].append((start, end))
                        t.weak[idx].append(region * w.weak)
                    elif kind == ACTION:
                        t.actions[idx].append((region * w.action * hit.specific, False, end >= verb_reach))
                    elif kind == KEYWORD or is_rate:  # a rate word counts for rates only
                        nouns.add(idx)
                        spans[idx].append((start, end))
                        keyword[idx].append(region * hit.specific)
                continue
            if number_start <= start < after_start:
                continue  # the number and its unit
            in_span = span_start <= start and end <= span_end
            in_after = after_start <= start and end <= after_end
            local = in_span or in_after or (own_start <= start and end <= number_start)
            if local and hit.generic_rate:
                t.rate_signal = True
            # The weight of the hit's region; rates, changes and participation counts take
            # their thing from earlier clauses ("受理信访事项326件，按期办结率100%"), so those
            # clauses weigh more for them.
            if container_end >= 0:
                # The number counts departments/places: only what follows them can name it, and
                # less surely ("2个村（社区）创建为民主法治示范村"; "26个部门654项…" names nothing).
                if start == container_end and end <= after_end:
                    region = w.clause_after
                elif container_end < start and end <= after_end and not q.adjacent:
                    region = w.clause_after * w.container * self._proximity(start - container_end)
                else:
                    region = 0.0
            elif in_after:
                region = w.clause_after * self._proximity(start - after_start)
            elif in_span:
                region = w.span * self._proximity(number_start - end)
            elif end > number_start:
                region = 0.0  # later in the sentence: belongs to a later number
            elif before_start <= start:
                region = w.clause_before * self._proximity(number_start - end)
            elif sentence_start <= start:
                k = marks.clauses_between(end, number_start)
                region = sentence_base if k == 0 else sentence_base * (w.clause_decay ** (k - 1))
            else:
                region = w.paragraph
            if hit.aside:
                region *= w.aside
            if rate_words and any(0 <= r - end <= 2 for r in rate_words):
                # A keyword just before a rate word names the rate ("“全程网办”比例达91.4%").
                region = max(region, w.span * self._proximity(number_start - end))
            for idx, kind in hit.refs:
                if kind == RATE:
                    if not is_rate:
                        continue
                    if local:
                        t.rate_signal = True
                        t.named_rate.add(idx)
                        region = max(region, w.span)  # "出庭应诉率达100%": the rate's own name
                if region <= 0.0:
                    continue
                if local:
                    t.local.add(idx)
                    t.local_strong = t.local_strong or kind == KEYWORD or kind == RATE
                    t.after_hit = t.after_hit or in_after
                if kind == WEAK:
                    nouns.add(idx)
                    spans[idx].append((start, end))
                    t.weak[idx].append(region * w.weak)
                elif kind == ACTION:
                    # The verb's own object when nothing stands between it and the number
                    # ("受理89件"); "发放调查问卷1200份" counts questionnaires, not materials.
                    t.actions[idx].append((region * w.action * hit.specific, local, end >= verb_reach))
                else:
                    nouns.add(idx)
                    spans[idx].append((start, end))
                    if local:
                        t.local_nouns.add(idx)
                        t.local_noun_hits.append((start, end, idx))
                    keyword[idx].append(region * hit.specific)

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
            own_noun = idx in t.local_nouns or t.local_context(idx)
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

    def _rank(self, t: _Tally, q: Query, subject: str, heading_system: str | None) -> list[Candidate]:
        w = self.w
        subject_ids: set[int] | None = None
        out: list[Candidate] = []
        for idx, scores in t.keyword.items():
            # The cheap tests first; the context and ruling-out words are looked up last.
            if not q.inherits and idx not in t.local:
                continue  # a count is named in its own clause, not only in earlier ones
            if t.named_rate and idx not in t.named_rate:
                continue  # a rate named by its own word (网上可办率) belongs to that entry
            entry = self.entries[idx]
            if not self._eligible(entry, q):
                continue
            if not (idx in t.nouns or t.context_noun(idx)) or t.negative(idx):
                continue  # only a verb (受理, 办理) that names nothing by itself, or ruled out
            if subject_ids is None:
                subject_ids = self._named(subject)  # only once a candidate needs it
            scores.sort(reverse=True)
            kw_score = scores[0] + (0.3 * scores[1] if len(scores) > 1 else 0.0)
            if idx in subject_ids:
                kw_score += w.subject
            total = kw_score + (w.context if t.context(idx) else 0.0)
            if heading_system is not None and entry.system == heading_system:
                total += w.heading_system
            out.append(Candidate(entry=entry, score=total, keyword_score=kw_score))
        out.sort(key=lambda c: c.score, reverse=True)
        return out

    def _named(self, text: str) -> set[int]:
        """Entries named (by a keyword or their own rate word) in ``text``."""
        return self.index.named(text) if text else set()

    def _eligible(self, entry: CatalogueEntry, q: Query) -> bool:
        """Unit fit. A rate may belong to any entry (办结率 of 人大建议, 优秀率 of 案卷评查): the
        rate word decides; a change in 个百分点 is a change of a rate."""
        if q.change:
            return q.unit != "个百分点" or "%" in entry.units
        return q.is_rate or q.unit in entry.units

    def _proximity(self, distance: int) -> float:
        return 1.0 / (1.0 + max(distance, 0) / self.w.proximity_chars)


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
