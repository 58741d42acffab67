"""Scores the extraction pipeline against the hand-labelled dev set (``fazhi eval DIR``).

Each document ``NAME.txt`` (or ``.pdf``) in DIR has hand-made labels in ``NAME.labels.json``
(schema: ``tests/devset/README.md``). The pipeline runs in-process on every document; labels are
aligned to the result and scored:

* quantities: a label matches a predicted indicator when the label's number (found through its
  anchor in the canonical ``result.text``, ignoring whitespace and width so that normalisation
  may drop spaces and line breaks) lies inside the indicator's evidence span and value and unit
  agree. Matching is one-to-one, so a shared rate ("办结率、满意率均为100%") needs two indicators.
* id and qualifier accuracy over matched quantities (a null label id must be predicted null);
* accuracy per metadata field, present/absent precision and recall per section kind;
* the share of evidence spans with ``text[start:end] == quote`` (must be 1.0).

Labels are written by reading the documents, never copied from the extractor: the eval is only
worth something while the two stay independent.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tomllib
import unicodedata
from pathlib import Path

import msgspec
from msgspec import Struct

from workers.pipeline.model import Indicator, RawText, Result

MEDIA_TYPES = {".txt": "text/plain", ".pdf": "application/pdf"}
LABEL_SUFFIX = ".labels.json"
SECTION_KINDS = ("measures", "shortcomings", "responsibility", "plans", "other")
METADATA_FIELDS = (
    "title",
    "issuer",
    "body_type",
    "level",
    "region.province",
    "region.city",
    "region.county",
    "region.township",
    "report_year",
    "signed_date",
    "published_date",
    "recipient",
    "framework",
)
# Characters that carry no meaning for alignment: normalisation may drop or insert them.
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\ufeff", "\u00ad"}


# --------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------


class LabelRegion(Struct, forbid_unknown_fields=True):
    province: str | None
    city: str | None
    county: str | None
    township: str | None


# A text field may list several acceptable answers where the document supports more than one
# (e.g. 宝坻区人民政府 / 天津市宝坻区人民政府 as the issuer).
Answer = str | list[str] | None


class LabelMetadata(Struct, forbid_unknown_fields=True):
    title: Answer
    issuer: Answer
    body_type: str | None
    level: str | None
    region: LabelRegion
    report_year: int | None
    signed_date: str | None
    published_date: str | None
    recipient: Answer
    framework: str | None


class LabelSection(Struct, forbid_unknown_fields=True):
    kind: str
    heading: str


class LabelQuantity(Struct, forbid_unknown_fields=True):
    anchor: str
    number: str
    value: int | float
    unit: str
    qualifier: str
    id: str | None


class Labels(Struct, forbid_unknown_fields=True):
    metadata: LabelMetadata
    sections: list[LabelSection]
    quantities: list[LabelQuantity]
    notes: str = ""


def load_labels(path: Path) -> Labels:
    return msgspec.json.decode(path.read_bytes(), type=Labels)


# --------------------------------------------------------------------------------------------
# Alignment of labels to the canonical text
# --------------------------------------------------------------------------------------------


def squash(text: str) -> tuple[str, list[int]]:
    """Width-folded text without whitespace, and for each of its characters the source index."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace() or ch in _INVISIBLE:
            continue
        for folded in unicodedata.normalize("NFKC", ch):
            if folded.isspace():
                continue
            out.append(folded)
            where.append(i)
    return "".join(out), where


def _fold(s: str) -> str:
    return squash(s)[0]


class Located(Struct):
    position: int | None  # index of the number's first character in the canonical text
    ambiguous: bool = False


def locate(squashed: tuple[str, list[int]], label: LabelQuantity) -> Located:
    """Where the label's number sits in the text the squash was built from."""
    flat, where = squashed
    anchor = _fold(label.anchor)
    inner = anchor.find(_fold(label.number))
    at = flat.find(anchor) if anchor else -1
    if at < 0 or inner < 0:
        return Located(None)
    ambiguous = flat.find(anchor, at + 1) >= 0
    return Located(where[at + inner], ambiguous)


def _same_value(a: float, b: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def _same_unit(a: str, b: str) -> bool:
    return _fold(a) == _fold(b)


class Match(Struct):
    label: int
    prediction: int


class Alignment(Struct):
    matches: list[Match]
    missed: list[int]  # label indices without a prediction
    false_positives: list[int]  # prediction indices without a label
    unlocated: list[int]  # label indices whose anchor is not in the text (also in ``missed``)
    ambiguous: list[int]  # label indices whose anchor occurs more than once in the text


def align(text: str, labels: list[LabelQuantity], predictions: list[Indicator]) -> Alignment:
    """One-to-one matching of labelled quantities to predicted indicators.

    Candidates must cover the label's number and agree on value and unit; among them a
    prediction with the labelled id is preferred, so a shared rate with two different ids is
    not scored as a wrong id just because of the order of the predictions.
    """
    squashed = squash(text)
    located = [locate(squashed, q) for q in labels]
    candidates: list[list[int]] = []
    for q, loc in zip(labels, located):
        row = []
        if loc.position is not None:
            for j, p in enumerate(predictions):
                ev = p.evidence
                if (
                    ev.start <= loc.position < ev.end
                    and _same_value(p.value, q.value)
                    and _same_unit(p.unit, q.unit)
                ):
                    row.append(j)
        candidates.append(row)
    taken: set[int] = set()
    chosen: dict[int, int] = {}
    for prefer_id in (True, False):
        for i, row in enumerate(candidates):
            if i in chosen:
                continue
            for j in row:
                if j in taken or (prefer_id and predictions[j].id != labels[i].id):
                    continue
                chosen[i] = j
                taken.add(j)
                break
    return Alignment(
        matches=[Match(i, j) for i, j in sorted(chosen.items())],
        missed=[i for i in range(len(labels)) if i not in chosen],
        false_positives=[j for j in range(len(predictions)) if j not in taken],
        unlocated=[i for i, loc in enumerate(located) if loc.position is None],
        ambiguous=[i for i, loc in enumerate(located) if loc.ambiguous],
    )


# --------------------------------------------------------------------------------------------
# Per-document scoring
# --------------------------------------------------------------------------------------------


def _metadata_value(meta, field: str):
    if field.startswith("region."):
        return getattr(meta.region, field.split(".", 1)[1])
    return getattr(meta, field)


def _plain(value) -> str:
    """Width-folded, without whitespace or punctuation: "中共X县委 X县人民政府" == "中共X县委、X县人民政府"."""
    return "".join(ch for ch in _fold(str(value)) if not unicodedata.category(ch).startswith("P"))


def _same_metadata(field: str, want, got) -> bool:
    if isinstance(want, list):
        return any(_same_metadata(field, w, got) for w in want)
    if want is None or got is None:
        return want is None and got is None
    if field == "report_year":
        return int(want) == int(got)
    return _plain(want) == _plain(got)


def _context(text: str, start: int, end: int, width: int = 12) -> str:
    return (text[max(0, start - width) : start] + "[" + text[start:end] + "]" + text[end : end + width]).replace(
        "\n", "⏎"
    )


class DocScore(Struct, kw_only=True):
    name: str
    error: str | None = None
    labels: int = 0
    predictions: int = 0
    matched: int = 0
    id_correct: int = 0
    qualifier_correct: int = 0
    evidence_total: int = 0
    evidence_exact: int = 0
    metadata: dict[str, bool] = {}
    sections_labelled: list[str] = []
    sections_predicted: list[str] = []
    missed: list[str] = []
    false_positives: list[str] = []
    wrong_ids: list[str] = []
    wrong_qualifiers: list[str] = []
    metadata_errors: list[str] = []
    label_problems: list[str] = []


def score_document(name: str, labels: Labels, result: Result) -> DocScore:
    text = result.text
    preds = result.indicators
    al = align(text, labels.quantities, preds)
    s = DocScore(name=name, labels=len(labels.quantities), predictions=len(preds), matched=len(al.matches))
    for m in al.matches:
        q, p = labels.quantities[m.label], preds[m.prediction]
        where = _context(text, p.evidence.start, p.evidence.end)
        if p.id == q.id:
            s.id_correct += 1
        else:
            s.wrong_ids.append(f"{where}: id {p.id} != label {q.id}")
        if p.qualifier == q.qualifier:
            s.qualifier_correct += 1
        else:
            s.wrong_qualifiers.append(f"{where}: qualifier {p.qualifier} != label {q.qualifier}")
    for i in al.missed:
        q = labels.quantities[i]
        s.missed.append(f"{q.anchor} → {q.value} {q.unit} {q.qualifier} {q.id}")
    for i in al.unlocated:
        s.label_problems.append(f"anchor not found in result.text: {labels.quantities[i].anchor!r}")
    for i in al.ambiguous:
        s.label_problems.append(f"anchor occurs more than once: {labels.quantities[i].anchor!r}")
    for j in al.false_positives:
        p = preds[j]
        s.false_positives.append(
            f"{_context(text, p.evidence.start, p.evidence.end)} → {p.value} {p.unit} {p.qualifier} {p.id}"
        )
    for p in preds:
        ev = p.evidence
        s.evidence_total += 1
        s.evidence_exact += int(0 <= ev.start <= ev.end <= len(text) and text[ev.start : ev.end] == ev.quote)
    for field in METADATA_FIELDS:
        want = _metadata_value(labels.metadata, field)
        got = _metadata_value(result.metadata, field)
        ok = _same_metadata(field, want, got)
        s.metadata[field] = ok
        if not ok:
            s.metadata_errors.append(f"{field}: got {got!r}, label {want!r}")
    s.sections_labelled = sorted({sec.kind for sec in labels.sections})
    s.sections_predicted = sorted({sec.kind for sec in result.sections})
    return s


# --------------------------------------------------------------------------------------------
# Whole dev set
# --------------------------------------------------------------------------------------------


class Report(Struct, kw_only=True):
    documents: list[DocScore]
    metrics: dict[str, float]
    counts: dict[str, int]


def _ratio(num: int, den: int, empty: float = 1.0) -> float:
    return num / den if den else empty


def summarise(docs: list[DocScore]) -> Report:
    labels = sum(d.labels for d in docs)
    preds = sum(d.predictions for d in docs)
    matched = sum(d.matched for d in docs)
    # With nothing predicted precision is 0, not "undefined": an empty pipeline must fail floors.
    precision = _ratio(matched, preds, empty=0.0 if labels else 1.0)
    recall = _ratio(matched, labels)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    metrics = {
        "quantities.precision": precision,
        "quantities.recall": recall,
        "quantities.f1": f1,
        "quantities.qualifier_accuracy": _ratio(sum(d.qualifier_correct for d in docs), matched, 0.0),
        "quantities.id_accuracy": _ratio(sum(d.id_correct for d in docs), matched, 0.0),
        "evidence.exact": _ratio(sum(d.evidence_exact for d in docs), sum(d.evidence_total for d in docs)),
    }
    scored = [d for d in docs if d.error is None]
    for field in METADATA_FIELDS:
        metrics[f"metadata.{field}"] = _ratio(sum(d.metadata.get(field, False) for d in docs), len(docs), 0.0)
    for kind in SECTION_KINDS:
        tp = sum(kind in d.sections_labelled and kind in d.sections_predicted for d in docs)
        labelled = sum(kind in d.sections_labelled for d in docs)
        predicted = sum(kind in d.sections_predicted for d in docs)
        if labelled or predicted:
            metrics[f"sections.{kind}.precision"] = _ratio(tp, predicted, 0.0)
            metrics[f"sections.{kind}.recall"] = _ratio(tp, labelled, 0.0)
    counts = {
        "documents": len(docs),
        "documents_failed": len(docs) - len(scored),
        "labels": labels,
        "predictions": preds,
        "matched": matched,
        "label_problems": sum(len(d.label_problems) for d in docs),
    }
    return Report(documents=docs, metrics=metrics, counts=counts)


def read_raw(path: Path) -> RawText:
    """Ingest a document the way the service does; plain UTF-8 text until ingestion exists."""
    data = path.read_bytes()
    media_type = MEDIA_TYPES[path.suffix.lower()]
    try:
        from workers.ingest import read_document  # type: ignore[attr-defined]
    except ImportError:
        read_document = None
    if read_document is not None:
        from fazhi.settings import get_settings

        return read_document(data, media_type, settings=get_settings())
    return RawText(text=data.decode("utf-8"), media_type=media_type)


def documents(directory: Path) -> list[tuple[Path, Path]]:
    """(document, labels) pairs; a labels file without its document is an error."""
    pairs = []
    for lab in sorted(directory.glob(f"*{LABEL_SUFFIX}")):
        stem = lab.name[: -len(LABEL_SUFFIX)]
        docs = [directory / f"{stem}{ext}" for ext in MEDIA_TYPES if (directory / f"{stem}{ext}").is_file()]
        if len(docs) != 1:
            raise FileNotFoundError(f"{lab.name}: expected exactly one document named {stem}.txt or {stem}.pdf")
        pairs.append((docs[0], lab))
    return pairs


def evaluate(directory: str | Path) -> Report:
    from workers.pipeline.runner import extract

    scores = []
    for doc_path, lab_path in documents(Path(directory)):
        labels = load_labels(lab_path)
        try:
            result = extract(read_raw(doc_path), filename=doc_path.name)
        except Exception as exc:  # noqa: BLE001 - a crash scores as a document with nothing found
            s = DocScore(name=doc_path.name, error=f"{type(exc).__name__}: {exc}", labels=len(labels.quantities))
            s.metadata = {f: False for f in METADATA_FIELDS}
            s.sections_labelled = sorted({sec.kind for sec in labels.sections})
            scores.append(s)
            continue
        scores.append(score_document(doc_path.name, labels, result))
    return summarise(scores)


# --------------------------------------------------------------------------------------------
# Floors and command line
# --------------------------------------------------------------------------------------------


def _flatten(table: dict, prefix: str = "") -> dict[str, float]:
    flat: dict[str, float] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = float(value)
    return flat


def load_floors(path: str | Path) -> dict[str, float]:
    with open(path, "rb") as fh:
        return _flatten(tomllib.load(fh))


def below_floors(report: Report, floors: dict[str, float]) -> list[str]:
    """Metrics under their floor; a floor naming a metric the report lacks is a failure too."""
    out = []
    for name, floor in sorted(floors.items()):
        got = report.metrics.get(name)
        if got is None:
            out.append(f"{name}: missing (floor {floor:.3f})")
        elif got + 1e-9 < floor:
            out.append(f"{name}: {got:.3f} < floor {floor:.3f}")
    return out


def format_report(report: Report, verbose: bool = False) -> str:
    lines = []
    c = report.counts
    lines.append(
        f"documents {c['documents']} (failed {c['documents_failed']}), labels {c['labels']}, "
        f"predictions {c['predictions']}, matched {c['matched']}, label problems {c['label_problems']}"
    )
    width = max(len(k) for k in report.metrics)
    for name, value in report.metrics.items():
        lines.append(f"  {name:<{width}}  {value:6.3f}")
    for d in report.documents:
        if d.error:
            lines.append(f"{d.name}: FAILED {d.error}")
        if not verbose:
            continue
        lines.append(
            f"== {d.name}: labels {d.labels}, predictions {d.predictions}, matched {d.matched}, "
            f"sections labelled {d.sections_labelled} predicted {d.sections_predicted}"
        )
        for title, items in (
            ("label problem", d.label_problems),
            ("missed", d.missed),
            ("false positive", d.false_positives),
            ("wrong id", d.wrong_ids),
            ("wrong qualifier", d.wrong_qualifiers),
            ("metadata", d.metadata_errors),
        ):
            lines.extend(f"   {title}: {item}" for item in items)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fazhi eval", description="Score the pipeline on a labelled dev set.")
    parser.add_argument("directory", help="folder of documents and NAME.labels.json files")
    parser.add_argument("--verbose", "-v", action="store_true", help="list misses and false positives")
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead of text")
    parser.add_argument("--check", metavar="FLOORS.toml", help="exit 1 when a metric is below its floor")
    args = parser.parse_args(argv)

    report = evaluate(args.directory)
    failures = below_floors(report, load_floors(args.check)) if args.check else []
    if args.json:
        summary = {"metrics": report.metrics, "counts": report.counts, "below_floors": failures}
        if args.verbose:
            summary["documents"] = msgspec.to_builtins(report.documents)
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(format_report(report, verbose=args.verbose))
        for line in failures:
            print(f"BELOW FLOOR {line}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
