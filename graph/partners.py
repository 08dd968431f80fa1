"""Partner lists for meetings: who an enterprise, platform, segment or gap works with, and why we know.

Each row is one partner: the relation (a message), the partner's record fields
(kind, locality, segments, roles as label references, contact fields), what is
supplied, a detail (a note, a candidate's reasons or a fact) and the sources
of the fact behind the row. ``registry.exports`` writes the rows out once the
web has put them into words.
"""

from __future__ import annotations

from typing import Any, Iterable

from registry.messages import message
from registry.model import LOCAL

__all__ = ["partner_rows", "SCOPES", "NOT_PARTNERS"]

SCOPES = ("enterprise", "platform", "segment", "gap")
# relations whose far end is a fact about the record rather than a partner
NOT_PARTNERS = frozenset({"IN_SEGMENT", "PART_OF", "FEEDS", "ABOUT"})
_KIND_ORDER = {"enterprise": 0, "platform": 1, "project": 2, "gov_unit": 3, "segment": 4, "target": 5, "document": 6}
# where a group of rows stands in an organisation's list: chain leader, suppliers, customers, research, platforms
RANK = {"leader": 0, "supplier": 1, "customer": 2, "research": 3, "platform": 4, "other": 9}
CANDIDATES_PER_GAP = 20


def _roles(d: dict) -> list[dict]:
    kind = d.get("kind")
    if kind == "platform":
        refs = [("level", d.get("level")), ("platform_status", d.get("status"))]
    elif kind == "project":
        refs = [("project_type", d.get("project_type")), ("project_status", d.get("status"))]
    else:
        refs = [("role", r) for r in d.get("roles") or ()]
    return [{"label": group, "code": code} for group, code in refs if code]


def _row(a, n: str, relation: dict, *, rank: str = "other", rel: dict | None = None, detail: Any = None,
         sources: Iterable[dict] | None = None) -> dict[str, Any]:
    d = a.record(n) or {"id": n, "name": n, "kind": None}
    rel = rel or {}
    src = list(rel.get("sources") or []) if rel else []
    if sources is not None:
        src += list(sources)
    elif not rel:
        src = list(d.get("sources") or [])
    return {
        "relation": relation,
        "rank": RANK[rank],
        "id": n,
        "name": d.get("name") or n,
        "kind": d.get("kind"),
        "locality": d.get("locality") if "locality" in d else None,
        "location": d.get("location"),
        "segments": [a.name(v) for v in a.segments_of(n)],
        "roles": _roles(d),
        "product": rel.get("product"),
        "detail": detail if detail is not None else rel.get("note"),
        "contact_person": d.get("contact_person"),
        "phone": d.get("phone"),
        "email": d.get("email"),
        "address": d.get("address"),
        "credit_code": d.get("credit_code"),
        "basis": (rel.get("basis") if rel else d.get("basis")) or "unknown",
        "sources": src,
    }


def _by_id(edges) -> list:
    """Relations in the order of their ids, whatever order the graph holds them in (a graph brought up to
    date in place holds a new relation last)."""
    return sorted(edges, key=lambda e: e[3].get("id") or "")


def _edges(G, n: str):
    """(other end, relation type, outgoing?, relation dict) for every relation touching ``n``: outgoing, then
    incoming, each in relation-id order."""
    for _, v, k, d in _by_id(G.out_edges(n, keys=True, data=True)):
        yield v, k, True, d
    for u, _, k, d in _by_id(G.in_edges(n, keys=True, data=True)):
        yield u, k, False, d


def _leader_rows(a, segments: Iterable[str], exclude: str | None = None) -> list[dict]:
    rows, seen = [], set()
    for seg in segments:
        for u, _, k, d in _by_id(a.G.in_edges(seg, keys=True, data=True)):
            if k == "CHAIN_LEADER" and u != exclude and u not in seen:
                seen.add(u)
                rows.append(_row(a, u, message("partner.leader", segment=a.name(seg)), rank="leader", rel=d))
    return rows


def _relation(rtype: str, outgoing: bool, other_kind: str | None) -> tuple[dict, str]:
    if rtype == "SUPPLIES":
        return (message("partner.customer"), "customer") if outgoing else (message("partner.supplier"), "supplier")
    if rtype == "RESEARCH_PARTNER":
        return message("partner.research"), "research"
    if other_kind == "platform":
        return message("partner.platform", relation={"label": "relation", "code": rtype}), "platform"
    return message(f"label.{'rel_out' if outgoing else 'rel_in'}.{rtype}"), "other"


def org_partners(a, n: str) -> list[dict]:
    """Partners of an enterprise or platform: chain leader, suppliers, customers, research partners, platforms…

    In the order of :data:`RANK`; the web orders rows of one rank by their words, then name.
    """
    rows = _leader_rows(a, a.chain.segments_with_ancestors(n), exclude=n)
    for other, rtype, outgoing, rel in _edges(a.G, n):
        if rtype in NOT_PARTNERS or rtype == "CHAIN_LEADER" or other == n:
            continue
        okind = (a.record(other) or {}).get("kind")
        if okind in ("document", "segment", "target"):
            continue
        relation, rank = _relation(rtype, outgoing, okind)
        rows.append(_row(a, other, relation, rank=rank, rel=rel))
    return rows


def segment_partners(a, seg: str) -> list[dict]:
    """A segment's chain leaders, its enterprises (local first), platforms, projects and gap candidates."""
    sub = a.chain.seg_subtree.get(seg, [seg])
    rows = _leader_rows(a, sub)
    seen = {r["id"] for r in rows}
    members = []
    for s in sub:
        for u, _, k, d in _by_id(a.G.in_edges(s, keys=True, data=True)):
            if k == "IN_SEGMENT" and u not in seen:
                seen.add(u)
                members.append((u, s, d))

    def rank(item):
        e = a.record(item[0])
        return (_KIND_ORDER.get(e.get("kind"), 9), e.get("locality") != LOCAL, e.get("name", ""))
    for u, s, d in sorted(members, key=rank):
        e = a.record(u)
        kind = e.get("kind")
        if kind == "enterprise":
            where = message("partner.local_firm" if e.get("locality") == LOCAL else "partner.other_firm")
        else:
            where = message(f"label.kind.{kind}")
        relation = message("partner.in_subsegment", where=where, segment=a.name(s)) if s != seg else where
        rows.append(_row(a, u, relation, rel=d))
    for gap in a.segment_gaps(seg)[:10]:  # the most urgent ones, as on the segment page
        for c in a.candidates(gap, limit=CANDIDATES_PER_GAP)["candidates"]:
            cid = c.get("id")
            if cid in seen or a.record(cid) is None:
                continue
            seen.add(cid)
            rows.append(_row(a, cid, message("partner.candidate_to_attract"), detail={"reasons": c["reasons"]}))
    return rows


def gap_partners(a, gap: dict) -> list[dict]:
    """For a gap: its subjects, the ranked candidates, and the other organisations its facts name."""
    rows, seen = [], set()
    for sid in gap.get("subject_ids") or []:
        rec = a.record(sid)
        if rec is not None and sid not in seen and rec.get("kind") != "segment":
            seen.add(sid)
            rows.append(_row(a, sid, message("partner.gap_subject"), sources=gap.get("sources") or []))
    for i, c in enumerate(a.candidates(gap, limit=CANDIDATES_PER_GAP)["candidates"], 1):
        cid = c.get("id")
        if a.record(cid) is None or cid in seen:
            continue
        seen.add(cid)
        rows.append(_row(a, cid, message("partner.candidate_rank", rank=c.get("rank", i)),
                         detail={"reasons": c["reasons"]}))
    for f in gap.get("facts") or []:
        for fid in f.get("ids") or []:
            e = a.record(fid)
            if e is None or fid in seen or e.get("kind") not in ("enterprise", "platform", "project"):
                continue
            seen.add(fid)
            rows.append(_row(a, fid, message("partner.named_in_facts"), detail={"fact": f}))
    return rows


def partner_rows(a, scope: str, ident: str) -> list[dict]:
    """The rows of one partner list; ``ident`` must name a record of kind ``scope`` (or a gap of ``a``)."""
    if scope == "gap":
        return gap_partners(a, a.gap(ident))
    if scope == "segment":
        return segment_partners(a, ident)
    return org_partners(a, ident)
