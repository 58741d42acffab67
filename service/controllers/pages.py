"""Pages for people: the upload page, a job's review page, its portal card, and PDF page images.

Everything shown from a document goes through ``html.escape`` (text, names, quotes); data for the
review script travels as JSON inside ``<script type="application/json">`` with ``<``, ``>`` and
``&`` escaped, so a report containing ``<script>`` or ``</script>`` is only ever text. The pages
load scripts and styles from ``/static`` only (CSP ``script-src 'self'``); the card has no script
at all and may be framed by any portal. The pages are not part of the JSON API schema; the one
API route here, ``POST /v1/jobs/{id}/share``, is.

A browser cannot add an API key to a link or an iframe, so these routes are public to the auth
guard and check access themselves (``service.share.access``): a key as for the API, or a signed,
expiring share link made by ``POST /v1/jobs/{id}/share``. A page opened through a link carries the
same ``exp``/``sig`` into the pages it links to (card, page images), and none to the JSON API.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template

import msgspec
from litestar import Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.openapi.spec import Operation
from litestar.params import FromPath, JSONBody
from litestar.static_files import create_static_files_router

from service.backend import Backend
from service.controllers.batches import tenant
from service.errors import JobNotFound
from service.jobviews import fetch
from service.openapi_docs import problems
from service.share import Access, ShareLinks, ShareRequest, access, expiry, iso, secret
from workers.export import SECTION_KINDS
from workers.jobstore import JobRecord, Status, input_key
from workers.pipeline.model import Result

PAGES = Path(__file__).resolve().parent.parent / "pages"
HTML = "text/html; charset=utf-8"

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
CARD_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
PAGE_NAME = re.compile(r"^([1-9][0-9]{0,4})\.png$")
CARD_SECONDS = 600
REVIEW_SECONDS = 300

_result_decoder = msgspec.json.Decoder(Result)
_encoder = msgspec.json.Encoder()
_SEVERITY_LABEL = {"error": "错误 error", "warning": "警告 warning", "info": "提示 info"}


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


@cache
def template(name: str) -> Template:
    return Template((PAGES / name).read_text(encoding="utf-8"))


@cache
def card_config() -> dict:
    import tomllib

    return tomllib.loads((PAGES / "card.toml").read_text(encoding="utf-8"))


def script_json(value: object) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' can close it."""
    text = _encoder.encode(value).decode("utf-8")
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def html_response(body: str, *, status: int = 200, csp: str = PAGE_CSP, cache_control: str = "no-store") -> Response[bytes]:
    return Response(
        body.encode("utf-8"),
        status_code=status,
        media_type=HTML,
        headers={
            "Content-Security-Policy": csp,
            "Cache-Control": cache_control,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        },
    )


def format_value(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.6g}"


_QUALIFIER = {"at_least": "≥", "about": "约", "at_most": "≤", "exact": ""}


def indicator_label(ind) -> str:
    return f"{_QUALIFIER.get(ind.qualifier, '')}{format_value(ind.value)} {ind.unit}".strip()


# --- the review page -----------------------------------------------------------------------


def marked_text(result: Result) -> str:
    """The canonical text, escaped, with every evidence span in <mark> and anchors for
    headings and checks. Overlapping spans are split into segments listing every indicator."""
    text = result.text
    n = len(text)
    spans = [(max(0, i.evidence.start), min(n, i.evidence.end), k) for k, i in enumerate(result.indicators)]
    spans = [s for s in spans if s[0] < s[1]]
    anchors: dict[int, list[str]] = {}
    for k, heading in enumerate(result.outline):
        anchors.setdefault(min(max(heading.start, 0), n), []).append(f"h-{k}")
    for k, check in enumerate(result.checks):
        if check.start is not None:
            anchors.setdefault(min(max(check.start, 0), n), []).append(f"ck-{k}")
    cuts = sorted({0, n, *(s for s, _, _ in spans), *(e for _, e, _ in spans), *anchors})
    first_seen: set[int] = set()
    out: list[str] = []
    for a, b in zip(cuts, cuts[1:] + [n], strict=True):
        for anchor in anchors.get(a, ()):
            out.append(f'<span id="{anchor}"></span>')
        if a >= b:
            continue
        covering = [k for s, e, k in spans if s <= a and b <= e]
        piece = esc(text[a:b])
        if covering:
            ident = ""
            fresh = [k for k in covering if k not in first_seen]
            if fresh:
                ident = f' id="ev-{fresh[0]}"'
                first_seen.update(fresh)
            out.append(f'<mark class="ev" data-ids="{" ".join(map(str, covering))}"{ident}>{piece}</mark>')
        else:
            out.append(piece)
    # An indicator whose span is shared exactly with an earlier one still needs an anchor.
    missing = [k for _, _, k in spans if k not in first_seen]
    return "".join(out) + "".join(f'<span id="ev-{k}"></span>' for k in missing)


def indicator_items(result: Result) -> str:
    items = []
    for k, ind in enumerate(result.indicators):
        name = esc(ind.name) if ind.id else f'<span class="noid">{esc(ind.subject or "未归类 unassigned")}</span>'
        ident = f' <small>{esc(ind.id)}</small>' if ind.id else ""
        items.append(
            f'<li><a href="#ev-{k}" data-ind="{k}">{name}{ident}：<span class="val">{esc(indicator_label(ind))}</span></a></li>'
        )
    return "".join(items) or "<li>（无 none）</li>"


def section_items(result: Result, css: tuple[str, str] = ("yes", "no")) -> str:
    labels = card_config()["sections"]
    present = {s.kind for s in result.sections}
    return "".join(
        f'<li class="{css[0] if kind in present else css[1]}">{esc(labels.get(kind, kind))}'
        f' <span lang="en">{esc(kind)}</span></li>'
        for kind in SECTION_KINDS
    )


def outline_items(result: Result) -> str:
    return "".join(
        f'<li class="lv{min(h.level, 4)}"><a href="#h-{k}">{esc(h.label)}{esc(h.title)}</a></li>' for k, h in enumerate(result.outline)
    ) or "<li>（无 none）</li>"


def check_items(result: Result) -> str:
    items = []
    for k, check in enumerate(result.checks):
        where = f' <a href="#ck-{k}">定位 <span lang="en">show</span></a>' if check.start is not None else ""
        items.append(
            f'<li class="{esc(check.severity)}"><strong>{esc(_SEVERITY_LABEL.get(check.severity, check.severity))}</strong> '
            f'<code>{esc(check.code)}</code> {esc(check.message)}{where}</li>'
        )
    return "".join(items) or "<li>无 <span lang=\"en\">none</span></li>"


def facts(result: Result) -> str:
    meta = result.metadata
    region = "".join(p for p in (meta.region.province, meta.region.city, meta.region.county, meta.region.township) if p)
    parts = [
        ("发布机关 Issuer", meta.issuer),
        ("年度 Year", meta.report_year),
        ("层级 Level", meta.level),
        ("地区 Region", region or None),
        ("发布日期 Published", meta.published_date),
    ]
    return " · ".join(f"{esc(k)}：{esc(v)}" for k, v in parts if v)


def share_note(exp: int | None) -> str:
    """The expiry of the share link a page was opened with ("" when opened with a key)."""
    if exp is None:
        return ""
    when = iso(exp)
    shown = esc(when[:16].replace("T", " ") + " UTC")
    return (
        f'<p class="share-note" role="note">分享链接，有效期至 <time datetime="{esc(when)}">{shown}</time> '
        f'<span lang="en">Shared link, valid until {shown}</span></p>'
    )


def review_page(
    record: JobRecord, result: Result, page_sizes: list[tuple[float, float]] | None, query: str = "", exp: int | None = None
) -> str:
    job = esc(record.id)
    qs = esc(query)
    links = f'<a href="/">上传 <span lang="en">Upload</span></a>'
    if not query:  # the JSON API needs a key: a share link does not open it
        links += (
            f'<a href="/v1/jobs/{job}/result">JSON</a>'
            f'<a href="/v1/jobs/{job}/table?format=csv">CSV</a>'
            f'<a href="/v1/jobs/{job}/table?format=xlsx">XLSX</a>'
        )
    links += f'<a href="/v1/jobs/{job}/card{qs}">卡片 <span lang="en">Card</span></a>'
    pdf_pane = ""
    if page_sizes:
        pdf_pane = (
            '<aside class="pdf" aria-label="PDF page"><p id="page-caption">点击指标查看原文页面 '
            '<span lang="en">Click an indicator to see its page</span></p>'
            '<div class="page-wrap" id="page-wrap"><img id="page-img" alt="" src="/v1/jobs/'
            f'{job}/pages/1.png{qs}"></div></aside>'
        )
    data = {
        "job": record.id,
        "query": query,
        "pages": {str(i + 1): [w, h] for i, (w, h) in enumerate(page_sizes or [])},
        "indicators": [
            {"page": i.evidence.page, "bbox": i.evidence.bbox, "boxes": [{"page": b.page, "bbox": b.bbox} for b in i.evidence.boxes]}
            for i in result.indicators
        ],
    }
    title = result.metadata.title or record.filename or record.id
    body = template("review.html").substitute(
        title=esc(title),
        facts=facts(result),
        links=links,
        share_note=share_note(exp),
        indicator_count=len(result.indicators),
        indicators=indicator_items(result),
        sections=section_items(result),
        outline=outline_items(result),
        checks=check_items(result),
        text=marked_text(result),
        pdf_pane=pdf_pane,
        data=script_json(data),
    )
    if page_sizes:
        body = body.replace('<main class="review">', '<main class="review has-pdf">', 1)
    return body


def status_page(record: JobRecord, exp: int | None = None) -> str:
    detail = ""
    if record.error_code:
        detail = f"<br><code>{esc(record.error_code)}</code> {esc(record.error_message)}"
    refresh = "3" if not record.terminal else "3600"
    return template("status.html").substitute(
        status=esc(record.status.value),
        filename=esc(record.filename or record.id),
        detail=detail,
        refresh=refresh,
        share_note=share_note(exp),
    )


# --- the card ------------------------------------------------------------------------------


def card_fragment(record: JobRecord, result: Result) -> str:
    config = card_config()
    meta = result.metadata
    by_id: dict[str, list] = {}
    for ind in result.indicators:
        if ind.id:
            by_id.setdefault(ind.id, []).append(ind)
    rows = []
    shown: set[str] = set()
    for entry in config["headline"]:
        found = by_id.get(entry["id"])
        if found:
            shown.add(entry["id"])
            preferred = [i for i in found if i.unit == entry.get("prefer_unit")]
            rows.append((entry["label"], (preferred or found)[0]))
    others = [i for i in result.indicators if i.id and i.id not in shown]
    seen_other: set[str] = set()
    for ind in others:
        if len(seen_other) >= int(config["max_others"]):
            break
        if ind.id not in seen_other:
            seen_other.add(ind.id)
            rows.append((ind.name, ind))
    indicators = (
        "<dl>" + "".join(f"<dt>{esc(label)}</dt><dd>{esc(indicator_label(ind))}</dd>" for label, ind in rows) + "</dl>"
        if rows else "<p>（报告中未找到主要指标 / no key figures found）</p>"
    )
    year = meta.report_year
    return template("card.html").substitute(
        issuer=esc(meta.issuer or meta.title or record.filename or "法治政府建设年度报告"),
        year=esc(year or ""),
        year_text=esc(f"{year}年度法治政府建设年度报告" if year else (meta.title or "法治政府建设年度报告")),
        sections=section_items(result, ("fz-yes", "fz-no")),
        indicators=indicators,
        source=esc(f"数据来源：{meta.issuer or ''}公开的年度报告" + (f"（{meta.published_date}发布）" if meta.published_date else "")),
    )


# --- handlers ------------------------------------------------------------------------------


async def _result(backend: Backend, record: JobRecord) -> Result:
    data = await backend.astore.result(record.id)
    if data is None:
        raise JobNotFound(f"the result of job {record.id!r} has expired")
    return _result_decoder.decode(data)


async def _pdf_sizes(backend: Backend, record: JobRecord) -> list[tuple[float, float]] | None:
    if record.media_type != "application/pdf":
        return None
    data = await backend.aredis.get(input_key(record.id))
    if data is None:
        return None
    from workers.render import page_sizes

    try:
        return await sync_to_thread(page_sizes, data)
    except Exception:  # noqa: BLE001 - the page images are a convenience; the text review still works
        return None


@get("/", include_in_schema=False, opt={"public": True}, sync_to_thread=False)
def upload_page() -> Response[bytes]:
    return html_response((PAGES / "upload.html").read_text(encoding="utf-8"), cache_control="public, max-age=300")


def max_age(seconds: int, who: Access) -> int:
    """No cache may keep a page longer than the share link that opened it works."""
    left = who.seconds_left()
    return seconds if left is None else min(seconds, left)


@get("/v1/jobs/{job_id:str}/view", include_in_schema=False, opt={"public": True})
async def review(request: Request, backend: NamedDependency[Backend], job_id: FromPath[str]) -> Response[bytes]:
    who = await access(request, backend, job_id)
    record = await fetch(backend.astore, job_id, owner=who.owner)
    if record.status != Status.SUCCEEDED:
        return html_response(status_page(record, who.exp), status=200 if not record.terminal else 409)
    result = await _result(backend, record)
    sizes = await _pdf_sizes(backend, record)
    query = who.query(record.id, await secret(backend)) if who.signed else ""
    body = await sync_to_thread(review_page, record, result, sizes, query, who.exp)
    return html_response(body, cache_control=f"private, max-age={max_age(REVIEW_SECONDS, who)}")


@get("/v1/jobs/{job_id:str}/card", include_in_schema=False, opt={"public": True})
async def card(request: Request, backend: NamedDependency[Backend], job_id: FromPath[str]) -> Response[bytes]:
    who = await access(request, backend, job_id)
    record = await fetch(backend.astore, job_id, owner=who.owner)
    if record.status != Status.SUCCEEDED:
        body = f'<section class="fz-card"><p>报告尚在处理（{esc(record.status.value)}）<span lang="en">Not ready</span></p></section>'
        return html_response(body, status=409, csp=CARD_CSP, cache_control="no-store")
    result = await _result(backend, record)
    # With a key the answer is that tenant's; a share link's URL is itself the credential.
    scope = "private" if who.owner else "public"
    return html_response(card_fragment(record, result), csp=CARD_CSP, cache_control=f"{scope}, max-age={max_age(CARD_SECONDS, who)}")


@get("/v1/jobs/{job_id:str}/pages/{name:str}", include_in_schema=False, opt={"public": True})
async def page_image(request: Request, backend: NamedDependency[Backend], job_id: FromPath[str], name: FromPath[str]) -> Response[bytes]:
    who = await access(request, backend, job_id)
    record = await fetch(backend.astore, job_id, owner=who.owner)
    found = PAGE_NAME.match(name)
    if not found or record.media_type != "application/pdf" or record.status != Status.SUCCEEDED:
        raise JobNotFound(f"job {job_id!r} has no page image {name!r} (only succeeded PDF jobs have pages)")
    data = await backend.aredis.get(input_key(record.id))
    if data is None:
        raise JobNotFound(f"the document of job {job_id!r} has expired")
    from workers.render import PageOutOfRange, render_png

    try:
        png = await sync_to_thread(render_png, data, int(found.group(1)), key=record.sha256 or record.id)
    except PageOutOfRange as exc:
        raise JobNotFound(str(exc)) from None
    return Response(
        png, media_type="image/png", headers={"Cache-Control": f"private, max-age={max_age(3600, who)}", "X-Content-Type-Options": "nosniff"}
    )


@dataclass
class ShareOperation(Operation):
    """The body is optional (every field has a default); Litestar marks any body required."""

    def __post_init__(self) -> None:
        if self.request_body is not None:
            self.request_body.required = False


@post(
    "/v1/jobs/{job_id:str}/share",
    operation_id="shareJob",
    operation_class=ShareOperation,
    tags=["jobs"],
    status_code=201,
    summary="Signed links to a job's review page and card that work without an API key until they expire",
    description=(
        "The links carry `?exp=<unix>&sig=<hex>` (HMAC-SHA256 over `{job_id}.{exp}`). Anyone holding them can open "
        "this job's review page, card and page images, and nothing else, until `expires_at`. "
        "`ttl_seconds` defaults to 7 days and is capped by the retention period."
    ),
    responses=problems(400, 401, 404, 410, 503),
)
async def share(
    request: Request, backend: NamedDependency[Backend], job_id: FromPath[str], data: JSONBody[ShareRequest | None] = None
) -> ShareLinks:
    record = await fetch(backend.astore, job_id, owner=tenant(request))
    exp = expiry(data.ttl_seconds if data else None, backend.settings.retention_seconds)
    query = Access(owner=None, exp=exp).query(record.id, await secret(backend))
    base = str(request.base_url).rstrip("/")
    return ShareLinks(view_url=f"{base}/v1/jobs/{record.id}/view{query}", card_url=f"{base}/v1/jobs/{record.id}/card{query}", expires_at=iso(exp))


static_files = create_static_files_router(
    path="/static", directories=[PAGES / "static"], opt={"public": True}, include_in_schema=False, name="portal-static"
)

PAGE_HANDLERS = [upload_page, review, card, page_image, share, static_files]
