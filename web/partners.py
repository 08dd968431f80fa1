"""Partner lists for meetings: who an enterprise, platform, segment or gap works with, and why we know.

Each row is one partner with the fields a meeting needs (name, in/out of the
cluster, location, segments, roles, what is supplied, contact fields) and the
source of the fact behind the row (document, section, quote, basis).
The rows are built from the analysis graph; ``registry.exports`` writes them out.
"""

from __future__ import annotations

from typing import Any, Iterable

from registry.errors import InvalidInput, NotFound
from registry.exports import generated_at

from . import analysis
from .i18n import T, label

SCOPES = ("enterprise", "platform", "segment", "gap")
FORMATS = ("csv", "xlsx", "json")
# relations whose far end is a fact about the record rather than a partner
_NOT_PARTNERS = {"IN_SEGMENT", "PART_OF", "FEEDS", "ABOUT"}
_KIND_ORDER = {"enterprise": 0, "platform": 1, "project": 2, "gov_unit": 3, "segment": 4, "target": 5, "document": 6}


def _sources_cells(sources: Iterable[dict] | None, titles: dict[str, str] | None = None) -> dict[str, str]:
    docs, sections, quotes, who = [], [], [], []
    for s in sources or ():
        if s.get("doc"):
            title = (titles or {}).get(s["doc"])
            docs.append(f"《{title}》（{s['doc']}）" if title else s["doc"])
            sections.append(s.get("section") or "")
            quotes.append(s.get("quote") or "")
        elif s.get("by"):
            who.append(f"{T('填报人', 'reported by')} {s['by']}" + (f"（{s['note']}）" if s.get("note") else ""))
    return {"source_doc": "；".join(dict.fromkeys(docs + who)), "source_section": "；".join(x for x in sections if x),
            "source_quote": "；".join(x for x in quotes if x)}


def _segments_of(snap: analysis.Snapshot, n: str) -> list[str]:
    G = snap.G
    return [snap.name(v) for _, v, k in G.out_edges(n, keys=True) if k == "IN_SEGMENT"]


def _row(snap: analysis.Snapshot, n: str, relation: str, *, rel: dict | None = None, detail: str | None = None,
         sources: Iterable[dict] | None = None) -> dict[str, Any]:
    d = snap.by_id.get(n, {"id": n, "name": n, "kind": None})
    kind = d.get("kind")
    roles = list(d.get("roles") or [])
    if kind == "platform":
        roles = [label("level", d.get("level")), label("platform_status", d.get("status"))]
    elif kind == "project":
        roles = [label("project_type", d.get("project_type")), label("project_status", d.get("status"))]
    rel = rel or {}
    basis = rel.get("basis") if rel else d.get("basis")
    row = {
        "relation": relation,
        "name": d.get("name") or n,
        "kind": label("kind", kind),
        "locality": label("locality", d.get("locality")) if "locality" in d else "",
        "location": d.get("location"),
        "segments": _segments_of(snap, n),
        "roles": [r for r in roles if r],
        "product": rel.get("product"),
        "detail": detail if detail is not None else rel.get("note"),
        "contact_person": d.get("contact_person"),
        "phone": d.get("phone"),
        "email": d.get("email"),
        "address": d.get("address"),
        "credit_code": d.get("credit_code"),
        "basis": label("basis", basis or "unknown"),
        "id": n,
    }
    src = list(rel.get("sources") or []) if rel else []
    if sources is not None:
        src += list(sources)
    elif not rel:
        src = list(d.get("sources") or [])
    row.update(_sources_cells(src, snap.doc_titles))
    return row


def _edges(snap: analysis.Snapshot, n: str):
    """(other end, relation type, outgoing?, relation dict) for every relation touching ``n``."""
    G = snap.G
    for _, v, k, d in G.out_edges(n, keys=True, data=True):
        yield v, k, True, d
    for u, _, k, d in G.in_edges(n, keys=True, data=True):
        yield u, k, False, d


def _leader_rows(snap: analysis.Snapshot, segments: Iterable[str], exclude: str | None = None) -> list[dict]:
    rows, seen = [], set()
    G = snap.G
    for seg in segments:
        for u, _, k, d in G.in_edges(seg, keys=True, data=True):
            if k == "CHAIN_LEADER" and u != exclude and u not in seen:
                seen.add(u)
                rows.append(_row(snap, u, f"{T('链主', 'Chain leader')}（{snap.name(seg)}）", rel=d))
    return rows


def _part_of_walk(snap: analysis.Snapshot, start: Iterable[str], *, upward: bool) -> list[str]:
    """The segments reached from ``start`` along PART_OF (child -> parent): up to the ancestors,
    or down to the whole subtree; the starting segments first, in the order first reached."""
    G, out, seen, stack = snap.G, [], set(), list(start)
    while stack:
        s = stack.pop()
        if s in seen:
            continue
        seen.add(s)
        out.append(s)
        if upward:
            stack.extend(v for _, v, k in G.out_edges(s, keys=True) if k == "PART_OF")
        else:
            stack.extend(u for u, _, k in G.in_edges(s, keys=True) if k == "PART_OF")
    return out


def _relation_label(rtype: str, outgoing: bool, other_kind: str | None) -> str:
    if rtype == "SUPPLIES":
        return T("客户", "Customer") if outgoing else T("供应商", "Supplier")
    if rtype == "RESEARCH_PARTNER":
        return T("产学研合作", "Research partner")
    if other_kind == "platform":
        return f"{T('平台', 'Platform')}（{label('relation', rtype)}）"
    from .i18n import rel_heading
    return rel_heading(rtype, outgoing)


_GROUP_ORDER = {"链主": 0, "Chain": 0, "供应商": 1, "Supplier": 1, "客户": 2, "Customer": 2, "产学研合作": 3,
                "Research": 3, "平台": 4, "Platform": 4}


def _group_rank(row: dict) -> int:
    rel = row["relation"]
    for k, v in _GROUP_ORDER.items():
        if rel.startswith(k):
            return v
    return 9


def org_partners(snap: analysis.Snapshot, n: str) -> list[dict]:
    """Partners of an enterprise or platform: chain leader, suppliers, customers, research partners, platforms…"""
    d = snap.by_id[n]
    segs = [v for _, v, k in snap.G.out_edges(n, keys=True) if k == "IN_SEGMENT"]
    rows = _leader_rows(snap, _part_of_walk(snap, segs, upward=True), exclude=n)
    for other, rtype, outgoing, rel in _edges(snap, n):
        if rtype in _NOT_PARTNERS or other == n:
            continue
        okind = snap.by_id.get(other, {}).get("kind")
        if okind in ("document", "segment", "target"):
            continue
        if rtype == "CHAIN_LEADER":
            continue
        rows.append(_row(snap, other, _relation_label(rtype, outgoing, okind), rel=rel))
    rows.sort(key=lambda r: (_group_rank(r), r["relation"], r["name"]))
    if d.get("kind") not in ("enterprise", "platform"):
        raise InvalidInput(f"id: '{n}' 是{label('kind', d.get('kind'), 'zh')}，伙伴清单只适用于企业或平台 / "
                           f"'{n}' is a {d.get('kind')}: partner lists are for enterprises and platforms")
    return rows


def segment_partners(snap: analysis.Snapshot, seg: str) -> list[dict]:
    """A segment's chain leaders, its enterprises (local first), platforms, projects and gap candidates."""
    cov = analysis.coverage_by_segment(snap).get(seg)
    if cov is None:
        raise NotFound(f"环节 '{seg}' 不存在 / no chain segment with id '{seg}'")
    G = snap.G
    sub = _part_of_walk(snap, [seg], upward=False)
    rows = _leader_rows(snap, sub)
    seen = {r["id"] for r in rows}
    members = []
    for s in sub:
        for u, _, k, d in G.in_edges(s, keys=True, data=True):
            if k == "IN_SEGMENT" and u not in seen:
                seen.add(u)
                members.append((u, s, d))
    def rank(item):
        u, _, _ = item
        e = snap.by_id[u]
        return (_KIND_ORDER.get(e.get("kind"), 9), e.get("locality") != "cluster", e.get("name", ""))
    for u, s, d in sorted(members, key=rank):
        e = snap.by_id[u]
        kind = e.get("kind")
        if kind == "enterprise":
            where = T("本地企业", "Local enterprise") if e.get("locality") == "cluster" else T("集群外/未说明企业", "Enterprise outside / unknown")
        else:
            where = label("kind", kind)
        rel = f"{where}（{snap.name(s)}）" if s != seg else where
        rows.append(_row(snap, u, rel, rel=d))
    for gap in segment_gaps(snap, seg)[:10]:  # the most urgent ones, as on the segment page
        for c in analysis.gap_candidates(snap, gap):
            cid = c.get("id")
            if cid in seen or cid not in snap.by_id:
                continue
            seen.add(cid)
            rows.append(_row(snap, cid, T("候选招引对象", "Candidate to attract"), detail=candidate_reason(c)))
    return rows



def segment_gaps(snap: analysis.Snapshot, seg: str) -> list[dict]:
    """Gaps whose subject or wanted segments include ``seg``."""
    out = []
    for g in analysis.all_gaps(snap):
        wanted = (g.get("wanted") or {}).get("segments") or []
        if seg in (g.get("subject_ids") or []) or seg in wanted:
            out.append(g)
    return out


def candidate_reason(c: dict) -> str:
    for key in (("reason_zh", "reason_en"), ("why_zh", "why_en")):
        zh, en = c.get(key[0]), c.get(key[1])
        if zh or en:
            return T(zh or en, en or zh)
    reasons = c.get("reasons")
    if isinstance(reasons, list) and reasons:
        parts = []
        for r in reasons:
            if isinstance(r, dict):
                parts.append(T(r.get("zh") or r.get("en") or "", r.get("en") or r.get("zh") or ""))
            else:
                parts.append(str(r))
        return "；".join(p for p in parts if p)
    return c.get("reason") or ""


def gap_partners(snap: analysis.Snapshot, gap: dict) -> list[dict]:
    """For a gap: its subjects, the ranked candidates, and the other organisations its facts name."""
    rows, seen = [], set()
    for sid in gap.get("subject_ids") or []:
        if sid in snap.by_id and sid not in seen and snap.by_id[sid].get("kind") != "segment":
            seen.add(sid)
            rows.append(_row(snap, sid, T("缺口对象", "Subject of the gap"), sources=gap.get("sources") or []))
    for i, c in enumerate(analysis.gap_candidates(snap, gap), 1):
        cid = c.get("id")
        if cid not in snap.by_id or cid in seen:
            continue
        seen.add(cid)
        rows.append(_row(snap, cid, f"{T('候选', 'Candidate')} #{c.get('rank', i)}", detail=candidate_reason(c)))
    for f in gap.get("facts") or []:
        for fid in f.get("ids") or []:
            e = snap.by_id.get(fid)
            if e is None or fid in seen or e.get("kind") not in ("enterprise", "platform", "project"):
                continue
            seen.add(fid)
            rows.append(_row(snap, fid, T("相关事实", "Named in the facts"), detail=T(f.get("zh", ""), f.get("en", ""))))
    return rows


def partner_list(snap: analysis.Snapshot, scope: str, ident: str) -> dict[str, Any]:
    """The partner list of one enterprise, platform, segment or gap, with a title and an 'about' block."""
    if scope not in SCOPES:
        raise InvalidInput(f"scope: 不支持的值 {scope[:40]!r}，可用：{', '.join(SCOPES)} / unknown value for scope")
    if scope == "gap":
        gap = analysis.gaps_by_id(snap).get(ident)
        if gap is None:
            raise NotFound(f"缺口 '{ident}' 不存在（数据变化后缺口可能已消除）/ no gap with id '{ident}'")
        title = T(gap.get("title_zh") or ident, gap.get("title_en") or ident)
        rows = gap_partners(snap, gap)
        subject = T("缺口", "Gap")
    else:
        e = snap.by_id.get(ident)
        if e is None:
            raise NotFound(f"记录 '{ident}' 不存在 / no record with id '{ident}'")
        if e.get("kind") != scope:
            raise InvalidInput(f"id: '{ident}' 是{label('kind', e.get('kind'), 'zh')}，不是{label('kind', scope, 'zh')} / "
                               f"'{ident}' is a {e.get('kind')}, not a {scope}")
        title = e["name"]
        rows = segment_partners(snap, ident) if scope == "segment" else org_partners(snap, ident)
        subject = label("kind", scope)
    about = {
        T("清单", "List"): f"{subject}：{title} — {T('合作伙伴清单', 'partner list')}",
        T("编号", "ID"): ident,
        T("行数", "Rows"): len(rows),
        T("生成时间", "Generated"): generated_at(),
        T("说明", "Note"): T("每行注明事实来源（文件、章节、原文摘录）；来源文件未载明的信息留空，不作推测。",
                           "Each row cites the source of its fact (document, section, quote); what the sources do not "
                           "state is left empty, not guessed."),
    }
    return {"scope": scope, "id": ident, "title": title, "rows": rows, "about": about}


def export_filename(scope: str, title: str, fmt: str) -> tuple[str, str]:
    """(Chinese filename, ASCII fallback) for a partner list download."""
    prefix = {"enterprise": "企业", "platform": "平台", "segment": "环节", "gap": "缺口"}[scope]
    safe = "".join(ch for ch in title if ch not in '\\/:*?"<>|\r\n\t').strip()[:60] or scope
    return f"{prefix}合作伙伴_{safe}.{fmt}", f"partners-{scope}.{fmt}"
