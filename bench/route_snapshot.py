"""Before/after comparison of every page, API answer and export on the seeded registry (a script, not a test).

Take a snapshot of one version, take a snapshot of another, compare the two:

    .venv/bin/python bench/route_snapshot.py snapshot --rev 882a459 --out /tmp/snap-before
    .venv/bin/python bench/route_snapshot.py snapshot --tree . --out /tmp/snap-after
    .venv/bin/python bench/route_snapshot.py diff /tmp/snap-before /tmp/snap-after

``snapshot --rev REV`` checks REV of this repository out with ``git worktree add --detach`` into a
temporary folder (removed afterwards); ``snapshot --tree PATH`` uses a working tree as it is. Either
way a CHILD python process runs with cwd = that tree and the tree first on ``sys.path`` (checked: every
project module it imports must come from the tree, not from the editable install). The child loads the
seed dataset into a fresh embedded store in a temporary folder, builds the app the way
``tests/conftest.py`` does, and GETs, with Flask's test client, every route of the seeded registry in
Chinese (no language cookie, the default) and in English (cookie ``lang=en``): home, search and its
filters, every entity page and its edit form and dossier, the chain map and every segment, the gap
dashboard with each filter and page, every gap, every partner-list export in CSV/XLSX/JSON, the
offline chain map, error pages, the language switch, static files and every GET route of
``/api/v1``. Ids come from the API itself (entities, relations, gaps), filter values from the data.
Nothing that writes is requested. GET routes of ``app.url_map`` that no request reached are printed.

What legitimately varies between two runs is normalised when the snapshot is written: timestamps
(``«TIME»``, ``«HTTP-DATE»``), today's date (``«TODAY»``), CSRF tokens (``«CSRF»``), change ids
(``«CHANGE-ID»``; ``uuid4`` is also made deterministic in the child, because the change log orders
changes written in the same instant by their id), the random graph name (``«GRAPH»``), the temporary
and tree paths (``«TMP»``, ``«TREE»``), nonces, and the ``Date``/``ETag``/``Last-Modified`` headers
(``«varies»``). JSON is pretty-printed with sorted keys; an XLSX file is written out as its sheets,
cell values and styles, freeze panes, column widths, filters and print settings. Each request becomes
one text file: the request, the route it matched, the status, the response headers (``Content-Length``
left out) and the body. ``diff -r`` of two snapshot folders works, but ``diff`` below is made for reading:

    route_snapshot.py diff A B [--raw] [--lines 40] [--per-route] [--only REGEX]

prints the number of routes on each side, the routes on one side only, how many are identical and
which differ: each distinct change once (a short unified diff) with the routes it touches, then a
summary by route pattern and language. HTML is compared with whitespace collapsed and one tag per
line (JSON blocks inside pages pretty-printed), so re-indenting a template does not count; ``--raw``
compares the stored text exactly. Exit status: 0 identical, 1 different, 2 usage error.

``--only REGEX`` (both commands) keeps the routes whose key matches, e.g. ``--only '^en /gaps'``.
A route's key is ``LANG URL`` (``LANG`` is the language cookie sent: ``zh`` = none), plus ``[variant]``
for requests with other headers (``[accept-json]``).

``snapshot --urls-from DIR`` also requests every URL of an earlier snapshot that this version's own
plan does not make (an id or a filter value the change renamed), so that the two sides answer the
same URLs: snapshot "before" first, then "after" with ``--urls-from BEFORE``.

One snapshot of the seed registry is about 8,700 requests, 95 MB, and about a minute; progress goes to
stderr. ``PYTHONHASHSEED`` is fixed in the child (``--hash-seed``) so that a run-to-run difference is
a difference of the code, not of set ordering.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote, unquote, urlencode, urlsplit

SCRIPT = Path(__file__).resolve()
LANGS = ("zh", "en")
FORMAT = 1  # of the snapshot folder
INDEX, META, BODIES = "index.json", "meta.json", "bodies"
BODY_MARK = "-- body "  # the line between a record's header block and its body


# ============================================================================ normalisation
TIME_RE = re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}|\s?UTC)?")
HTTP_DATE_RE = re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2}[ -][A-Z][a-z]{2}[ -]\d{4} \d{2}:\d{2}:\d{2} GMT")
HEX32_RE = re.compile(r"\b[0-9a-f]{32}\b")
CSRF_TAG_RE = re.compile(r"<(?:input|meta)\b[^>]*\bname=[\"']?[\w-]*csrf[\w-]*[^>]*>", re.I)
CSRF_VALUE_RE = re.compile(r"\b(value|content)=([\"'])[^\"']*\2")
NONCE_RE = re.compile(r"(\bnonce=[\"']|'nonce-)[A-Za-z0-9+/=_-]+")
VARYING_HEADERS = {"date", "etag", "last-modified", "expires"}  # kept by name, value masked
DROPPED_HEADERS = {"content-length"}


class Normaliser:
    """Replaces what differs from one run to the next with fixed placeholders."""

    def __init__(self, *, paths: dict[str, str], graph: str, change_ids: set[str], dates: set[str]):
        # longest first, so that a path inside another path is replaced as a whole
        self.literals = sorted(((k, v) for k, v in paths.items() if k), key=lambda kv: -len(kv[0]))
        self.literals.append((graph, "«GRAPH»"))
        self.change_ids = change_ids
        self.dates = sorted(dates, key=len, reverse=True)

    def text(self, s: str, secrets: tuple[str, ...] = ()) -> str:
        for value in secrets:  # e.g. the CSRF token a response set in a cookie
            s = s.replace(value, "«CSRF»")
        for old, new in self.literals:
            s = s.replace(old, new)
        s = CSRF_TAG_RE.sub(lambda m: CSRF_VALUE_RE.sub(r"\1=\2«CSRF»\2", m.group(0)), s)
        s = NONCE_RE.sub(r"\1«NONCE»", s)
        s = HEX32_RE.sub(lambda m: "«CHANGE-ID»" if m.group(0) in self.change_ids else m.group(0), s)
        s = TIME_RE.sub("«TIME»", s)
        s = HTTP_DATE_RE.sub("«HTTP-DATE»", s)  # e.g. a cookie's Expires
        for d in self.dates:
            s = s.replace(d, "«TODAY»")
        return s


def csrf_cookies(set_cookies: list[str]) -> tuple[str, ...]:
    """Values of the CSRF cookies a response sets."""
    out = []
    for c in set_cookies:
        name, _, rest = c.partition("=")
        if "csrf" in name.lower():
            value = rest.split(";", 1)[0]
            if value:
                out.append(value)
    return tuple(out)


def xlsx_text(body: bytes) -> str:
    """A workbook as text: sheets, cells with their values and styles, and the layout of each sheet."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(body))  # not read-only: column widths, panes and print settings need it
    p = wb.properties
    out = [f"workbook: sheets={wb.sheetnames} active={wb.active.title if wb.active else None!r} "
           f"creator={p.creator!r} title={p.title!r} subject={p.subject!r}"]
    for ws in wb.worksheets:
        out.append(f"== sheet {ws.title!r} state={ws.sheet_state} dimensions={ws.dimensions} "
                   f"freeze_panes={ws.freeze_panes} auto_filter={ws.auto_filter.ref}")
        widths = {k: d.width for k, d in sorted(ws.column_dimensions.items()) if d.customWidth or d.width != 13}
        out.append(f"column widths: {widths}")
        heights = {k: d.height for k, d in sorted(ws.row_dimensions.items()) if d.height}
        if heights:
            out.append(f"row heights: {heights}")
        if ws.merged_cells.ranges:
            out.append(f"merged: {sorted(str(r) for r in ws.merged_cells.ranges)}")
        ps, po, pm = ws.page_setup, ws.print_options, ws.page_margins
        out.append(f"print: orientation={ps.orientation} paper={ps.paperSize} scale={ps.scale} "
                   f"fitToWidth={ps.fitToWidth} fitToHeight={ps.fitToHeight} "
                   f"fitToPage={ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr else None} "
                   f"titles={ws.print_title_rows}/{ws.print_title_cols} area={ws.print_area} "
                   f"gridLines={po.gridLines} centred={po.horizontalCentered}/{po.verticalCentered} "
                   f"margins={pm.left}/{pm.right}/{pm.top}/{pm.bottom}")
        for row in ws.iter_rows():
            for cell in row:
                style = _cell_style(cell)
                if cell.value is None and not style:
                    continue
                value = json.dumps(cell.value, ensure_ascii=False, default=str)
                out.append(f"{cell.coordinate}\t{value}" + (f"\t[{style}]" if style else ""))
    return "\n".join(out) + "\n"


def _cell_style(cell) -> str:
    bits = []
    f, a = cell.font, cell.alignment
    if f is not None:
        bits += [name for name in ("b", "i", "u", "strike") if getattr(f, name)]
        if f.color is not None and f.color.rgb not in (None, "FF000000") and isinstance(f.color.rgb, str):
            bits.append(f"color={f.color.rgb}")
    if cell.fill is not None and cell.fill.fill_type:
        bits.append(f"fill={cell.fill.fill_type}:{cell.fill.fgColor.rgb}")
    if a is not None:
        bits += [f"{k}={getattr(a, k)}" for k in ("horizontal", "vertical", "wrap_text") if getattr(a, k)]
    if cell.number_format and cell.number_format != "General":
        bits.append(f"format={cell.number_format}")
    if cell.hyperlink is not None:
        bits.append(f"link={cell.hyperlink.target}")
    return " ".join(bits)


def body_kind(content_type: str) -> str:
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct == "application/json" or ct.endswith("+json"):
        return "json"
    if ct == "text/html":
        return "html"
    if ct == "text/csv":
        return "csv"
    if ct == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        return "xlsx"
    return "text"


def body_text(data: bytes, kind: str) -> tuple[str, str]:
    """(kind as stored, text) of a response body, before the normaliser runs over it."""
    if kind == "xlsx":
        try:
            return kind, xlsx_text(data)
        except Exception as exc:  # not a workbook after all: say so, keep the bytes' hash
            return "binary", f"<not a readable workbook: {exc!r}; {len(data)} bytes sha256={_sha(data)}>\n"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "binary", f"<{len(data)} bytes sha256={_sha(data)}>\n"
    prefix = ""
    if text.startswith("\ufeff"):
        prefix, text = "[UTF-8 BOM]\n", text[1:]
    if kind == "json":
        try:
            text = json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True, indent=1) + "\n"
        except ValueError:
            kind = "text"
    return kind, prefix + text


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ============================================================================ the child: fetch everything
class Plan:
    """The requests of one snapshot, in a readable order, each once."""

    def __init__(self, only: re.Pattern | None):
        self.only = only
        self.items: list[dict] = []
        self.keys: set[str] = set()
        self.skipped = 0

    def add(self, path: str, params=None, *, langs=LANGS, variant: str = "", headers: dict | None = None):
        url = path + ("?" + urlencode(params, doseq=True, quote_via=quote) if params else "")
        for lang in langs:
            self.add_one(lang, url, variant, headers or {})

    def add_one(self, lang: str, url: str, variant: str, headers: dict) -> bool:
        key = f"{lang} {unquote(url)}" + (f" [{variant}]" if variant else "")
        if key in self.keys:
            return False
        self.keys.add(key)
        if self.only and not self.only.search(key):
            self.skipped += 1
            return False
        self.items.append({"key": key, "lang": lang, "url": url, "variant": variant, "headers": headers})
        return True

    def add_from(self, snapshot: Path) -> int:
        """The requests of an earlier snapshot that this plan does not make (e.g. a filter value that is
        no longer in the data), so that both sides of a comparison answer the same URLs."""
        index = json.loads((snapshot / INDEX).read_text(encoding="utf-8"))
        return sum(self.add_one(r["lang"], r["request"], r.get("variant", ""), r.get("headers") or {})
                   for r in index)


def q(ident: str) -> str:
    """An id as one path segment."""
    return quote(ident, safe="")


def api_data(client, url: str):
    r = client.get(url)
    if r.status_code != 200:
        raise SystemExit(f"route_snapshot: enumerating, GET {url} answered {r.status_code}: "
                         f"{r.get_data(as_text=True)[:300]}")
    return r.get_json()["data"]


def enumerate_registry(client) -> dict:
    """Ids and filter values, from the API of the version under test."""
    ents, page = [], 1
    while True:
        d = api_data(client, f"/api/v1/entities?per_page=500&page={page}")
        ents += d["items"]
        if page >= d["pages"]:
            break
        page += 1
    ents.sort(key=lambda e: e["id"])
    rels: set[str] = set()
    for e in ents:
        nb = api_data(client, f"/api/v1/entities/{q(e['id'])}/neighbourhood?limit=5000")
        rels |= {r["id"] for r in nb["relations"]}
    groups = api_data(client, "/api/v1/gaps?candidates=0")["groups"]
    gaps: dict[str, dict] = {}
    for g in groups:
        cat, page, ids, severities = g["category"], 1, [], []
        while True:
            d = api_data(client, f"/api/v1/gaps?category={q(cat)}&candidates=0&page={page}")
            grp = next(x for x in d["groups"] if x["category"] == cat)
            ids += [i["id"] for i in grp["items"]]
            severities += [i.get("severity") for i in grp["items"]]
            if page >= grp["pages"]:
                break
            page += 1
        gaps[cat] = {"ids": ids, "pages": grp["pages"], "severities": severities}
    changes = api_data(client, "/api/v1/changes?limit=500")
    change_ids = {c["id"] for c in changes}
    for e in ents if len(changes) >= 500 else ():  # more than the API lists at once: ask per record
        change_ids |= {c["id"] for c in api_data(client, f"/api/v1/entities/{q(e['id'])}/changes?limit=500")}
    return {"entities": ents, "relations": sorted(rels), "gaps": gaps, "change_ids": change_ids}


def plan_requests(plan: Plan, reg: dict, static_files: list[str]) -> None:
    ents = reg["entities"]
    by_kind: dict[str, list[str]] = defaultdict(list)
    for e in ents:
        by_kind[e["kind"]].append(e["id"])
    segments = by_kind.get("segment", [])
    rel_types = sorted({r.split(">")[1] for r in reg["relations"] if r.count(">") == 2})
    seg_members = Counter(r.split(">")[2] for r in reg["relations"] if ">IN_SEGMENT>" in r)
    busiest_seg = seg_members.most_common(1)[0][0] if seg_members else (segments[0] if segments else "none")
    gaps = reg["gaps"]
    gap_ids = [i for g in gaps.values() for i in g["ids"]]
    severities = sorted({s for g in gaps.values() for s in g["severities"] if s})
    localities = sorted({e["locality"] for e in ents if e.get("locality")}) + ["outside"]
    role_counts = Counter(r for e in ents for r in e.get("roles") or [])
    roles = sorted(role_counts)
    levels = sorted({e["level"] for e in ents if e.get("level")})
    first_of_kind = [ids[0] for _, ids in sorted(by_kind.items())]
    some = first_of_kind[0] if first_of_kind else "none"

    # home, overview, status
    plan.add("/")
    plan.add("/exports")
    for p in ("health", "status", "overview", "targets", "changes", "chain"):
        plan.add(f"/api/v1/{p}")
    plan.add("/api/v1/changes", {"limit": 500})
    plan.add("/api/v1/changes", {"limit": 0})  # 400

    # search: the page, the list API and the search API share the filters
    filters = [{}] + [{"q": text} for text in ("稀土", "zgxt", "ZGXT", "中国稀土", "赣州", "no-such-thing-xyz")]
    filters += [{"kind": k} for k in sorted(by_kind)]
    filters += [{"locality": x} for x in localities] + [{"role": x} for x in roles] + [{"level": x} for x in levels]
    filters += [{"segment": s} for s in segments]
    filters += [{"sort": s} for s in ("name", "-name", "updated", "-updated")]
    filters += [{"q": "稀土", "kind": "enterprise", "sort": "-name"}, {"q": "zgxt", "kind": "enterprise"},
                {"kind": "enterprise", "locality": "cluster", "role": role_counts.most_common(1)[0][0] if roles else ""}]
    bad = [{"page": 999}, {"page": 0}, {"kind": "nope"}, {"segment": "no-such-segment"}, {"q": "x" * 201},
           {"sort": "nope"}]
    for f in filters + bad + [{"per_page": 50}, {"per_page": 100}, {"per_page": 7}]:
        plan.add("/search", f)
    for page in range(2, -(-len(ents) // 20) + 1):
        plan.add("/search", {"page": page})
    for f in filters + bad + [{"per_page": 1}, {"per_page": 501}]:
        plan.add("/api/v1/entities", f)
        if f.get("q"):
            plan.add("/api/v1/search", f)
    for page in range(2, -(-len(ents) // 50) + 1):
        plan.add("/api/v1/entities", {"page": page})
    plan.add("/api/v1/search")  # 400: no q
    plan.add("/api/v1/search", {"q": "稀土", "kind": "platform", "per_page": 5, "page": 2})

    # every record: its page, edit form, dossier (a 400 for kinds that have none), API answers
    for e in ents:
        i = q(e["id"])
        plan.add(f"/entity/{i}")
        plan.add(f"/entity/{i}/edit")
        plan.add(f"/entity/{i}/dossier")
        plan.add(f"/api/v1/entities/{i}")
        plan.add(f"/api/v1/entities/{i}/detail")
        plan.add(f"/api/v1/entities/{i}/neighbourhood")
        plan.add(f"/api/v1/entities/{i}/changes")
    for eid in first_of_kind:
        i = q(eid)
        plan.add(f"/entity/{i}", {"hops": 2})
        plan.add(f"/api/v1/entities/{i}/detail", {"hops": 2})
        for hops in (2, 3):
            plan.add(f"/api/v1/entities/{i}/neighbourhood", {"hops": hops})
        plan.add(f"/api/v1/entities/{i}/neighbourhood", {"limit": 1})
        plan.add(f"/api/v1/entities/{i}/changes", {"limit": 1})
    plan.add(f"/entity/{q(some)}", {"hops": 3})  # 400
    plan.add(f"/api/v1/entities/{q(some)}/neighbourhood", {"hops": 4})  # 400
    for path in ("/entity/no-such-id", "/entity/no-such-id/edit", "/entity/no-such-id/dossier",
                 "/api/v1/entities/no-such-id", "/api/v1/entities/no-such-id/detail",
                 "/api/v1/entities/no-such-id/neighbourhood", "/api/v1/entities/no-such-id/changes"):
        plan.add(path)
    for rid in reg["relations"]:
        plan.add(f"/api/v1/relations/{q(rid)}")
    plan.add("/api/v1/relations/no>SUCH>relation")

    # the chain map: filters on the page, the graph API and the offline file; every segment
    chain_filters = [{}] + [{"rel": t} for t in rel_types if t not in ("IN_SEGMENT", "PART_OF")]
    chain_filters += [{"kinds": "enterprise"}, {"kinds": "platform,project"}, {"locality": "in"}, {"locality": "out"},
                      {"expand": busiest_seg}, {"per_segment": 0}, {"per_segment": 1000}, {"max_nodes": 50},
                      {"rel": "SUPPLIES,FEEDS", "kinds": "enterprise", "locality": "in"}]
    chain_filters += [{"segment": s} for s in segments[:3]]
    chain_bad = [{"rel": "IN_SEGMENT"}, {"kinds": "segment"}, {"max_nodes": 10}, {"locality": "nope"}]
    for f in chain_filters + chain_bad:
        plan.add("/chain", f)
        plan.add("/api/v1/chain/graph", f)
    for f in [{}, {"rel": "SUPPLIES"}, {"segment": segments[0] if segments else "none"}, {"max_nodes": 10}]:
        plan.add("/export/chain.html", f)
    for s in segments:
        plan.add(f"/chain/{q(s)}")
        plan.add(f"/api/v1/chain/{q(s)}")
    if segments:
        plan.add(f"/api/v1/chain/{q(segments[0])}", {"limit": 5})
    plan.add("/chain/no-such-segment")
    plan.add("/api/v1/chain/no-such-segment")
    plan.add(f"/chain/{q(some)}")

    # the gap dashboard: each category and severity, their pairs, pages, segments; every gap
    gap_filters = [{}] + [{"category": c} for c in gaps] + [{"severity": s} for s in severities]
    gap_filters += [{"category": c, "severity": s} for c in gaps for s in severities]
    gap_filters += [{"category": c, "page": p} for c, g in gaps.items() for p in range(2, g["pages"] + 1)]
    gap_filters += [{"segment": s} for s in segments]
    gap_bad = [{"category": next(iter(gaps), "x"), "page": 999}, {"category": "nope"}, {"severity": "nope"},
               {"segment": "no-such-segment"}, {"page": "x"}]
    for f in gap_filters + gap_bad:
        plan.add("/gaps", f)
        plan.add("/api/v1/gaps", f)
    for n in (0, 10, 51):
        plan.add("/api/v1/gaps", {"candidates": n})
    for gid in gap_ids:
        plan.add(f"/gaps/{q(gid)}")
        plan.add(f"/api/v1/gaps/{q(gid)}")
    for g in gaps.values():
        if g["ids"]:
            plan.add(f"/api/v1/gaps/{q(g['ids'][0])}", {"limit": 5})
    for gid in ("no-such-gap", "x" * 401):
        plan.add(f"/gaps/{gid}")
        plan.add(f"/api/v1/gaps/{gid}")

    # partner lists: every enterprise, platform, segment and gap, in every format and from the API
    scopes = [("enterprise", i) for i in by_kind.get("enterprise", [])]
    scopes += [("platform", i) for i in by_kind.get("platform", [])]
    scopes += [("segment", i) for i in segments] + [("gap", i) for i in gap_ids]
    for scope, ident in scopes:
        for fmt in ("csv", "xlsx", "json"):
            plan.add(f"/export/partners.{fmt}", {"scope": scope, "id": ident})
        plan.add("/api/v1/partners", {"scope": scope, "id": ident})
    for f in [{}, {"scope": "enterprise"}, {"scope": "nope", "id": some}, {"scope": "enterprise", "id": "no-such-id"},
              {"scope": "segment", "id": some}]:
        plan.add("/export/partners.csv", f)
        plan.add("/api/v1/partners", f)
    plan.add("/export/partners.pdf", {"scope": "enterprise", "id": some})

    # language: the switch (a cookie and a redirect, no write) and ?lang= on a request
    for lang, nxt in (("en", "/chain"), ("zh", "/gaps"), ("en", None), ("en", "//evil.example/"), ("fr", "/")):
        plan.add(f"/lang/{lang}", {"next": nxt} if nxt else None)
    for path, params in (("/", {"lang": "en"}), ("/search", {"q": "zgxt", "lang": "en"}),
                         ("/api/v1/overview", {"lang": "en"}), ("/", {"lang": "xx"})):
        plan.add(path, params, langs=("zh",))
    plan.add("/", {"lang": "zh"}, langs=("en",))

    # errors and the rest
    for path in ("/no-such-page", "/api/v1/no-such-route", "/static/no-such-file.css"):
        plan.add(path)
    for path in ("/api/v1/relations", "/api/v1/entities/" + q(some) + "/x", f"/entity/{q(some)}/relations",
                 f"/entity/{q(some)}/relations/delete"):
        plan.add(path)  # 404 / 405: GET on a POST-only route
    for path, params in (("/no-such-page", None), ("/entity/no-such-id", None), (f"/entity/{q(some)}/dossier", None),
                         ("/search", {"page": 0})):
        plan.add(path, params, variant="accept-json", headers={"Accept": "application/json"})
    for rel in static_files:
        plan.add("/static/" + "/".join(q(part) for part in rel.split("/")))


class Progress:
    def __init__(self, total: int):
        self.total, self.done, self.t0, self.last = total, 0, time.perf_counter(), 0.0
        self.tty = sys.stderr.isatty()

    def tick(self, key: str) -> None:
        self.done += 1
        now = time.perf_counter()
        if self.done == self.total or (self.tty and now - self.last > 0.2) or (not self.tty and self.done % 1000 == 0):
            self.last = now
            rate = self.done / max(now - self.t0, 1e-9)
            line = (f"[{self.done:>5}/{self.total}] {100 * self.done / max(self.total, 1):5.1f}%  {rate:6.0f} req/s  "
                    f"eta {(self.total - self.done) / max(rate, 1e-9):4.0f} s  {key[:70]}")
            sys.stderr.write(("\r\x1b[K" + line) if self.tty else line + "\n")
            if self.tty and self.done == self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def slug(key: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("_")[:90]
    return f"{s}-{hashlib.sha1(key.encode()).hexdigest()[:10]}.txt"


def record_text(item: dict, rule: str, resp, kind: str, body: str, norm: Normaliser, secrets: tuple[str, ...]) -> str:
    lines = [f"GET {unquote(item['url'])}", f"lang cookie: {item['lang'] if item['lang'] != 'zh' else '(none)'}"]
    for k, v in sorted(item["headers"].items()):
        lines.append(f"request header: {k}: {v}")
    lines += [f"route: {rule}", f"status: {resp.status_code}"]
    for name, value in sorted((k.lower(), v) for k, v in resp.headers.items()):
        if name in DROPPED_HEADERS:
            continue
        lines.append(f"{name}: {'«varies»' if name in VARYING_HEADERS else norm.text(value, secrets)}")
    return "\n".join(lines) + f"\n{BODY_MARK}({kind}) --\n" + norm.text(body, secrets)


def child_main(args) -> int:
    tree = Path(args.tree).resolve()
    sys.path[0:1] = [str(tree)]  # in place of this script's folder: the version under test comes first

    import random
    import secrets as _secrets
    import uuid

    rng = random.Random(20240917)  # change ids: same sequence every run (ties in time keep one order)
    uuid.uuid4 = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)

    t_start = time.perf_counter()
    started = datetime.now(timezone.utc)
    tmp = Path(tempfile.mkdtemp(prefix="route-snapshot-run-"))
    graph = f"seeded{_secrets.token_hex(4)}"
    out = Path(args.out)
    (out / BODIES).mkdir(parents=True, exist_ok=True)
    try:
        from registry.repository import Registry
        from registry.store import FalkorStore
        from seed.loader import load_seed
        from web import create_app
        from web.store import close_store

        seed_store = FalkorStore(tmp / "store", graph=graph)
        try:
            reg = Registry(seed_store)
            # set the schema up the way the app does: through the registry where it can (newer versions
            # write the schema version there, after migrating stored data), else through the store
            (reg.setup_schema if hasattr(reg, "setup_schema") else seed_store.setup_schema)()
            load_seed(reg)
            t_seeded = time.perf_counter()
            app = create_app({"TESTING": True, "DATA_DIR": str(tmp / "store"), "GRAPH_NAME": graph,
                              "SEED_ON_START": False, "NEO4J_URI": None}, instance_path=str(tmp / "instance"))
            try:
                check_imports(tree)
                meta = fetch_all(app, args, tree=tree, tmp=tmp, graph=graph, out=out, started=started)
            finally:
                close_store(app)
        finally:
            seed_store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    t_end = time.perf_counter()
    meta["seconds"] = {"seed": round(t_seeded - t_start, 2), "fetch": round(meta.pop("_fetch_s"), 2),
                       "child_total": round(t_end - t_start, 2)}
    (out / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


def check_imports(tree: Path) -> None:
    """Every module must come from the tree under test or from the interpreter's own libraries
    (stdlib, site-packages): none from another checkout, such as the editable install's."""
    allowed = [tree] + [Path(p).resolve() for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
    wrong = []
    for name, mod in list(sys.modules.items()):
        f = getattr(mod, "__file__", None)
        if not f or name == "__main__":
            continue
        where = Path(f).resolve()
        if not any(where.is_relative_to(root) for root in allowed):
            wrong.append(f"{name} from {f}")
    if wrong:
        raise SystemExit("route_snapshot: modules imported from outside the tree under test:\n  " + "\n  ".join(wrong))


def fetch_all(app, args, *, tree: Path, tmp: Path, graph: str, out: Path, started: datetime) -> dict:
    from werkzeug.exceptions import MethodNotAllowed, NotFound
    from werkzeug.routing import RequestRedirect

    client = app.test_client(use_cookies=False)  # each request stands alone: no cookie carries over
    reg = enumerate_registry(client)
    static_root = Path(app.static_folder)
    static_files = sorted(p.relative_to(static_root).as_posix() for p in static_root.rglob("*") if p.is_file())
    plan = Plan(re.compile(args.only) if args.only else None)
    plan_requests(plan, reg, static_files)
    added = plan.add_from(Path(args.urls_from)) if args.urls_from else 0

    today = {started.strftime("%Y-%m-%d"), datetime.now().strftime("%Y-%m-%d")}
    today |= {(started + timedelta(days=1)).strftime("%Y-%m-%d")}  # a run across midnight
    paths = {str(tmp): "«TMP»", str(tmp.resolve()): "«TMP»", str(tree): "«TREE»"}
    norm = Normaliser(paths=paths, graph=graph, change_ids=reg["change_ids"], dates=today)
    adapter = app.url_map.bind("localhost")

    index, reached, statuses = [], set(), Counter()
    progress = Progress(len(plan.items))
    t0 = time.perf_counter()
    for item in plan.items:
        headers = dict(item["headers"])
        if item["lang"] != "zh":
            headers["Cookie"] = f"lang={item['lang']}"
        resp = client.get(item["url"], headers=headers)
        try:
            data = resp.get_data()
        finally:
            resp.close()
        path = urlsplit(item["url"]).path
        try:
            rule, _ = adapter.match(unquote(path), method="GET", return_rule=True)
            rule_s = rule.rule
            reached.add(rule_s)
        except MethodNotAllowed:
            rule_s = "(GET not allowed) " + rule_of(adapter, unquote(path))
        except (NotFound, RequestRedirect):
            rule_s = "(no route)"
        kind, text = body_text(data, body_kind(resp.headers.get("Content-Type", "")))
        secrets = csrf_cookies(resp.headers.getlist("Set-Cookie"))
        rec = record_text(item, rule_s, resp, kind, text, norm, secrets)
        fname = f"{BODIES}/{slug(item['key'])}"
        (out / fname).write_text(rec, encoding="utf-8", newline="")
        index.append({"key": item["key"], "lang": item["lang"], "url": unquote(item["url"]), "request": item["url"],
                      "variant": item["variant"], "headers": item["headers"], "rule": rule_s,
                      "status": resp.status_code, "kind": kind, "file": fname,
                      "sha256": _sha(rec.encode("utf-8"))})
        statuses[resp.status_code] += 1
        progress.tick(item["key"])
    fetch_s = time.perf_counter() - t0
    check_imports(tree)  # again: views import some modules on first use

    get_rules = sorted({r.rule for r in app.url_map.iter_rules() if "GET" in (r.methods or ())})
    uncovered = [r for r in get_rules if r not in reached]
    (out / INDEX).write_text(json.dumps(index, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    if uncovered and not args.only:
        print(f"route_snapshot: GET routes no request reached: {', '.join(uncovered)}", file=sys.stderr)
    return {"format": FORMAT, "requests": len(index), "routes_total_planned": len(plan.keys),
            "skipped_by_only": plan.skipped, "only": args.only, "statuses": dict(sorted(statuses.items())),
            "get_rules": get_rules, "uncovered_get_rules": uncovered, "hash_seed": os.environ.get("PYTHONHASHSEED"),
            "records": len(reg["entities"]), "relations": len(reg["relations"]),
            "gaps": sum(len(g["ids"]) for g in reg["gaps"].values()), "python": sys.version.split()[0],
            "urls_from": args.urls_from, "added_from_urls_from": added,
            "started": started.isoformat(timespec="seconds"), "_fetch_s": fetch_s,
            "imported_from": {name: sys.modules[name].__file__ for name in ("web", "registry", "seed", "graph")
                              if name in sys.modules}}


def rule_of(adapter, path: str) -> str:
    from werkzeug.exceptions import HTTPException

    for method in ("POST", "PATCH", "DELETE", "PUT"):
        try:
            rule, _ = adapter.match(path, method=method, return_rule=True)
            return rule.rule
        except HTTPException:
            continue
    return path


# ============================================================================ snapshot (the parent)
def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def snapshot_main(args) -> int:
    t0 = time.perf_counter()
    out = Path(args.out).resolve()
    if out.exists() and any(out.iterdir()):
        if not args.force:
            print(f"route_snapshot: {out} is not empty (use --force to replace it)", file=sys.stderr)
            return 2
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = None
    repo = Path(args.repo).resolve() if args.repo else SCRIPT.parent
    try:
        if args.rev:
            commit = git("rev-parse", "--verify", f"{args.rev}^{{commit}}", cwd=repo)
            scratch = Path(tempfile.mkdtemp(prefix="route-snapshot-tree-"))
            tree = scratch / "tree"
            git("worktree", "add", "--detach", str(tree), commit, cwd=repo)
            source = {"rev": args.rev, "commit": commit, "tree": None, "dirty": False}
        else:
            tree = Path(args.tree).resolve()
            if not (tree / "web" / "__init__.py").is_file():
                print(f"route_snapshot: {tree} is not a tree of this project (no web/__init__.py)", file=sys.stderr)
                return 2
            try:
                commit = git("rev-parse", "HEAD", cwd=tree)
                dirty = bool(git("status", "--porcelain", "--untracked-files=no", cwd=tree))
            except (subprocess.CalledProcessError, FileNotFoundError):
                commit, dirty = None, None
            source = {"rev": None, "commit": commit, "tree": str(tree), "dirty": dirty}
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("NEO4J_", "XIJIN_")) and k not in ("PYTHONPATH", "PYTHONHOME")}
        env.update(PYTHONHASHSEED=str(args.hash_seed), PYTHONDONTWRITEBYTECODE="1", PYTHONIOENCODING="utf-8")
        cmd = [args.python, str(SCRIPT), "_child", "--tree", str(tree), "--out", str(out)]
        if args.only:
            cmd += ["--only", args.only]
        if args.urls_from:
            cmd += ["--urls-from", str(Path(args.urls_from).resolve())]
        rc = subprocess.run(cmd, cwd=tree, env=env).returncode
        if rc != 0:
            print(f"route_snapshot: the child process failed (exit {rc})", file=sys.stderr)
            return 1
    finally:
        if scratch is not None:
            subprocess.run(["git", "worktree", "remove", "--force", str(scratch / "tree")], cwd=repo,
                           capture_output=True)
            shutil.rmtree(scratch, ignore_errors=True)
            subprocess.run(["git", "worktree", "prune"], cwd=repo, capture_output=True)
    meta = json.loads((out / META).read_text(encoding="utf-8"))
    meta["source"] = source
    meta["seconds"]["total"] = round(time.perf_counter() - t0, 2)
    (out / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if args.rev:
        what = f"rev {args.rev} ({source['commit'][:10]})"
    else:
        what = f"tree {tree}" + (" (uncommitted changes)" if source["dirty"] else "")
    s = meta["seconds"]
    print(f"snapshot of {what} -> {out}")
    print(f"  {meta['requests']} requests ({meta['records']} records, {meta['relations']} relations, "
          f"{meta['gaps']} gaps), "
          f"statuses {meta['statuses']}")
    print(f"  {s['total']:.1f} s in all: seed {s['seed']:.1f} s, requests {s['fetch']:.1f} s")
    print(f"  app imported from {Path(meta['imported_from']['web']).parent.parent}")
    if args.urls_from:
        print(f"  {meta['added_from_urls_from']} requests added from {args.urls_from} "
              "(URLs this version's own plan does not make)")
    print("  GET routes not reached: " + (", ".join(meta["uncovered_get_rules"]) or "none")
          + (f" (restricted with --only {args.only!r})" if args.only else ""))
    return 0


# ============================================================================ diff
JSON_SCRIPT_RE = re.compile(r"(<script\b[^>]*type=[\"']application/json[\"'][^>]*>)(.*?)(</script>)", re.S | re.I)


def load_snapshot(d: Path) -> tuple[dict, dict[str, dict]]:
    try:
        meta = json.loads((d / META).read_text(encoding="utf-8"))
        index = json.loads((d / INDEX).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        print(f"route_snapshot: {d} is not a snapshot folder ({exc.filename} is missing)", file=sys.stderr)
        raise SystemExit(2) from None
    return meta, {r["key"]: r for r in index}


def read_record(d: Path, rec: dict) -> tuple[str, str]:
    with open(d / rec["file"], encoding="utf-8", newline="") as fh:  # keep CR LF as it was
        text = fh.read()
    head, sep, body = text.partition("\n" + BODY_MARK)
    if not sep:
        return text, ""
    return head + "\n", body.partition("\n")[2]


def html_view(body: str) -> list[str]:
    """Whitespace collapsed, one tag per line, JSON blocks pretty-printed: re-indentation does not count."""
    blocks = []

    def keep(m):
        try:
            pretty = json.dumps(json.loads(m.group(2)), ensure_ascii=False, sort_keys=True, indent=1)
        except ValueError:
            return m.group(0)
        blocks.append(pretty)
        return f"{m.group(1)}\x00{len(blocks) - 1}\x00{m.group(3)}"

    body = JSON_SCRIPT_RE.sub(keep, body)
    body = re.sub(r"\s+", " ", body).strip()
    body = re.sub(r"> ?<", ">\n<", body)
    body = re.sub(r"\x00(\d+)\x00", lambda m: "\n" + blocks[int(m.group(1))] + "\n", body)
    return [line + "\n" for line in body.split("\n")]


def view(d: Path, rec: dict, raw: bool) -> list[str]:
    head, body = read_record(d, rec)
    lines = head.splitlines(keepends=True)
    if raw:
        return lines + [BODY_MARK + "--\n"] + body.splitlines(keepends=True)
    if rec["kind"] == "html":
        return lines + [BODY_MARK + "--\n"] + html_view(body)
    return lines + [BODY_MARK + "--\n"] + [ln.rstrip("\r\n") + "\n" for ln in body.splitlines()]


def crop(line: str, width: int, at: int = 0) -> str:
    line = line.rstrip("\n").replace("\r", "␍")
    if len(line) <= width:
        return line
    start = max(0, min(at - width // 3, len(line) - width))
    return ("…" if start else "") + line[start:start + width] + ("…" if start + width < len(line) else "")


def short_diff(a: list[str], b: list[str], ka: str, kb: str, *, context: int, width: int) -> list[str]:
    """A unified diff, long lines cropped around where a removed and an added line first differ."""
    lines = list(difflib.unified_diff(a, b, ka, kb, n=context))
    out, i = [], 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("-") and not ln.startswith("---"):
            j = i
            while j < len(lines) and lines[j].startswith("-") and not lines[j].startswith("---"):
                j += 1
            k = j
            while k < len(lines) and lines[k].startswith("+") and not lines[k].startswith("+++"):
                k += 1
            minus, plus = lines[i:j], lines[j:k]
            for n, m in enumerate(minus):
                p = plus[n] if n < len(plus) else None
                at = _first_difference(m, p) if p is not None else 0
                out.append(crop(m, width, at))
            for n, p in enumerate(plus):
                m = minus[n] if n < len(minus) else None
                at = _first_difference(m, p) if m is not None else 0
                out.append(crop(p, width, at))
            i = k
            continue
        out.append(crop(ln, width))
        i += 1
    return out


def _first_difference(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def changed_lines(a: list[str], b: list[str]) -> list[str]:
    """What changed, without where: the removed and added lines, in order."""
    return [ln.rstrip("\n") for ln in difflib.unified_diff(a, b, n=0)
            if ln[:1] in "+-" and not ln.startswith(("---", "+++"))]


def pattern_of(rec: dict) -> str:
    """The route's rule, the names of its query arguments and its variant: what a summary row counts."""
    query = rec["url"].partition("?")[2]
    names = sorted({p.split("=")[0] for p in query.split("&")}) if query else []
    variant = f" [{rec['variant']}]" if rec.get("variant") else ""
    return rec["rule"] + (" ?" + ",".join(names) if names else "") + variant


def diff_main(args) -> int:
    da, db = Path(args.a), Path(args.b)
    meta_a, a = load_snapshot(da)
    meta_b, b = load_snapshot(db)
    only = re.compile(args.only) if args.only else None
    if only:
        a = {k: v for k, v in a.items() if only.search(k)}
        b = {k: v for k, v in b.items() if only.search(k)}
    only_a = [k for k in a if k not in b]
    only_b = [k for k in b if k not in a]
    common = [k for k in a if k in b]

    def describe(meta, d):
        src = meta.get("source") or {}
        commit = (src.get("commit") or "")[:10] or "not a git checkout"
        if src.get("rev"):
            what = f"rev {src['rev']} ({commit})"
        else:
            what = f"tree {src.get('tree')} ({commit}{', uncommitted changes' if src.get('dirty') else ''})"
        only_note = f", --only {meta['only']!r}" if meta.get("only") else ""
        return f"{d}  {what}, {meta.get('requests')} requests{only_note}"

    print(f"A: {describe(meta_a, da)}")
    print(f"B: {describe(meta_b, db)}")
    if meta_a.get("only") != meta_b.get("only"):
        print("note: the two snapshots were taken with different --only patterns")
    mode = "raw text" if args.raw else "HTML whitespace collapsed, one tag per line (--raw: exact text)"
    print(f"comparison: {mode}" + (f"; routes matching {args.only!r}" if args.only else ""))

    identical, differing = [], []  # differing: (key, signature of the change)
    line_counts: Counter = Counter()  # changed line -> routes it changed in
    for k in common:
        if a[k]["sha256"] == b[k]["sha256"]:
            identical.append(k)
            continue
        va, vb = view(da, a[k], args.raw), view(db, b[k], args.raw)
        if va == vb:
            identical.append(k)
            continue
        changed = changed_lines(va, vb)
        differing.append((k, hashlib.sha1("\n".join(changed).encode("utf-8")).hexdigest()))
        line_counts.update({crop(ln, args.width) for ln in changed})

    print(f"routes: A {len(a)}, B {len(b)}; only in A {len(only_a)}, only in B {len(only_b)}; "
          f"identical {len(identical)}, different {len(differing)}")
    for label, keys in (("only in A", only_a), ("only in B", only_b)):
        if keys:
            print(f"\n== {len(keys)} routes {label} ==")
            for k in keys[:args.max_list]:
                print(f"  {k}")
            if len(keys) > args.max_list:
                print(f"  … and {len(keys) - args.max_list} more")

    if differing:
        if args.per_route:
            groups = [[item] for item in differing]
        else:
            by_sig: dict[str, list] = defaultdict(list)
            for item in differing:
                by_sig[item[1]].append(item)
            groups = sorted(by_sig.values(), key=lambda g: -len(g))
        grouping = "" if args.per_route else \
            f": {len(groups)} distinct change{'s' if len(groups) > 1 else ''} (same lines removed and added)"
        print(f"\n== {len(differing)} routes differ{grouping} ==")
        for n, group in enumerate(groups[:args.max_changes], 1):
            k = group[0][0]
            va, vb = view(da, a[k], args.raw), view(db, b[k], args.raw)
            pats = Counter(f"{a[x[0]]['lang']} {pattern_of(a[x[0]])}" for x in group)
            print(f"\n-- change {n}: {len(group)} route{'s' if len(group) > 1 else ''}: "
                  + ", ".join(f"{p} ×{c}" for p, c in pats.most_common(6)) + (" …" if len(pats) > 6 else ""))
            if len(group) > 1:
                print("   e.g. " + "; ".join(x[0] for x in group[:4]) + (" …" if len(group) > 4 else ""))
            lines = short_diff(va, vb, f"A: {k}", f"B: {k}", context=args.context, width=args.width)
            for ln in lines[:args.lines]:
                print("   " + ln)
            if len(lines) > args.lines:
                print(f"   … {len(lines) - args.lines} more diff lines (--lines N to see more)")
        if len(groups) > args.max_changes:
            print(f"\n… {len(groups) - args.max_changes} more changes (--max-changes N to see more)")

    if line_counts:
        print(f"\n== the changed lines met most often (routes they changed in; {len(line_counts)} distinct) ==")
        for ln, n in line_counts.most_common(args.top_lines):
            print(f"  {n:>6}  {ln}")

    # summary by route pattern and language
    rows: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for k in identical:
        rows[(pattern_of(a[k]), a[k]["lang"])]["identical"] += 1
    for k, _ in differing:
        rows[(pattern_of(a[k]), a[k]["lang"])]["different"] += 1
    for k in only_a:
        rows[(pattern_of(a[k]), a[k]["lang"])]["only A"] += 1
    for k in only_b:
        rows[(pattern_of(b[k]), b[k]["lang"])]["only B"] += 1
    shown = [(p, c) for p, c in sorted(rows.items())
             if args.all_patterns or c["different"] or c["only A"] or c["only B"]]
    print(f"\n== by route pattern ({'all' if args.all_patterns else 'those with differences'}; "
          f"{len(rows)} patterns in all) ==")
    if shown:
        w = min(70, max(len(p[0]) for p, _ in shown))
        print(f"  {'pattern':<{w}} lang  identical  different  only-A  only-B")
        for (p, lang), c in shown:
            print(f"  {p:<{w}} {lang:<4} {c['identical']:>10} {c['different']:>10} {c['only A']:>7} {c['only B']:>7}")
    else:
        print("  (none)")
    same = not (only_a or only_b or differing)
    print(f"\nRESULT: {'IDENTICAL' if same else 'DIFFERENT'} — "
          f"{len(identical)} of {len(set(a) | set(b))} routes identical"
          + ("" if same else f", {len(differing)} differ, {len(only_a) + len(only_b)} on one side only"))
    return 0 if same else 1


# ============================================================================ command line
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="{snapshot,diff}")

    s = sub.add_parser("snapshot", help="fetch every route of one version into a folder")
    src = s.add_mutually_exclusive_group(required=True)
    src.add_argument("--rev", help="a git revision of the repository (checked out into a temporary worktree)")
    src.add_argument("--tree", help="a working tree, used as it is")
    s.add_argument("--out", required=True, help="the snapshot folder to write")
    s.add_argument("--only", help="only the routes whose key (LANG URL) matches this regex")
    s.add_argument("--urls-from", metavar="DIR",
                   help="also request every URL of this earlier snapshot that the plan does not make")
    s.add_argument("--repo", help="the git repository for --rev (default: the one this script is in)")
    s.add_argument("--python", default=sys.executable, help="the interpreter of the child (default: this one)")
    s.add_argument("--hash-seed", type=int, default=0, help="PYTHONHASHSEED of the child (default 0)")
    s.add_argument("--force", action="store_true", help="replace a non-empty --out folder")

    d = sub.add_parser("diff", help="compare two snapshot folders")
    d.add_argument("a")
    d.add_argument("b")
    d.add_argument("--only", help="only the routes whose key (LANG URL) matches this regex")
    d.add_argument("--raw", action="store_true", help="compare the stored text exactly (no whitespace collapsing)")
    d.add_argument("--lines", type=int, default=40, help="diff lines shown per change (default 40)")
    d.add_argument("--context", type=int, default=2, help="context lines of the unified diffs (default 2)")
    d.add_argument("--width", type=int, default=220, help="long diff lines are cropped to this width (default 220)")
    d.add_argument("--max-changes", type=int, default=30, help="distinct changes shown (default 30)")
    d.add_argument("--max-list", type=int, default=30, help="one-side-only routes listed (default 30)")
    d.add_argument("--top-lines", type=int, default=20, help="most frequent changed lines listed (default 20)")
    d.add_argument("--per-route", action="store_true", help="one diff per route instead of one per distinct change")
    d.add_argument("--all-patterns", action="store_true", help="list every route pattern in the summary")

    c = sub.add_parser("_child")  # internal: what runs inside the tree under test (not listed in --help)
    c.add_argument("--tree", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--only")
    c.add_argument("--urls-from")

    args = ap.parse_args(argv)
    if args.only:
        try:
            re.compile(args.only)
        except re.error as exc:
            ap.error(f"--only: not a regular expression: {exc}")
    if args.cmd == "snapshot":
        return snapshot_main(args)
    if args.cmd == "diff":
        return diff_main(args)
    return child_main(args)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # e.g. `diff A B | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
