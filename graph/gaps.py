"""Gaps of the chain that come from segments, plan wording and missing data.

Each function takes the graph first and returns a list of gap dicts, most
urgent first (severity, then impact, then id).  Every gap has ``id``,
``category``, ``kind``, ``severity``, ``subject_ids``, ``subjects``,
``title`` and ``reason`` (messages: ``{"msg", "params"}``, rendered by
``registry.messages``), ``facts`` (each a message with the ``ids`` it is about),
``sources`` (document clauses), ``impact`` (how much hangs on it, for
ordering) and ``wanted`` (what a candidate must fit: segments, product,
ids to exclude).  The wording says what the *registry records*: an empty
segment may be a real gap or a data gap, and the reason says so.
"""

from __future__ import annotations

from typing import Iterable

from registry.messages import message
from registry.model import LOCAL

from ._chain import Chain, clean_sources, fact, gap_sort_key, locality, make_gap, names, role_labels
from .vocabulary import words as vocabulary

__all__ = ["segment_gaps", "upstream_gaps", "capability_gaps", "data_gaps", "needs", "merge_needs", "LACK_WORDS"]

# plan wording of lack or need: a segment or target quoted with one of these is a gap the plan names
LACK_WORDS = vocabulary("lack_words")
DEFAULT_FEW = 3

# the fields a data gap can name (label group inline.field)
FIELDS = ("segment", "locality", "location", "credit_code")


# --- segment gaps ----------------------------------------------------------------------------
def _segment_gaps(chain: Chain, few: int = DEFAULT_FEW) -> list[dict]:
    gaps = [g for g in (_segment_gap(chain, seg, few) for seg in chain.seg_order) if g is not None]
    gaps.sort(key=gap_sort_key)
    return gaps


def _segment_gap(chain: Chain, seg: str, few: int = DEFAULT_FEW) -> dict | None:
    """The segment gap of one segment, or None (kept up to date per segment by graph.Analysis)."""
    local = chain.local_firms(seg)
    if len(local) >= few:
        return None
    m = chain.members(seg)
    outside = [f for f in m.get("enterprise", ()) if chain.is_outside(f)]
    platforms, projects = m.get("platform", []), m.get("project", [])
    name = chain.name(seg)
    sub = chain.seg_subtree.get(seg, [seg])
    facts = [fact("fact.segment.local", local, n=len(local), names=names(chain, local)) if local else
             fact("fact.segment.local.none", local, n=len(local)),
             fact("fact.segment.outside", outside[:20], n=len(outside)),
             fact("fact.segment.platforms_projects", platforms + projects, platforms=len(platforms),
                  projects=len(projects))]
    if len(sub) > 1:
        facts.append(fact("fact.segment.sub_segments", sub[1:], n=len(sub) - 1))
    downs = chain.feeds_out.get(seg, [])
    if downs:
        facts.append(fact("fact.segment.feeds", downs, segments=names(chain, downs)))
    if not local:
        kind, severity = "no_local", "high"
        reason = message("gap.segment.no_local.reason_attract", name=name, outside=len(outside)) if outside \
            else message("gap.segment.no_local.reason", name=name)
        title = message("gap.segment.no_local.title", name=name)
    else:
        kind, severity = "few_local", "medium"
        params = {"name": name, "n": len(local), "names": names(chain, local), "few": few}
        reason = message("gap.segment.few_local.reason_attract", outside=len(outside), **params) if outside \
            else message("gap.segment.few_local.reason", **params)
        title = message("gap.segment.few_local.title", name=name)
    return make_gap(
        gid=f"segment:{seg}", category="segment", kind=kind, severity=severity,
        subjects=[chain.ref(seg)], title=title, reason=reason, facts=facts,
        sources=clean_sources(chain.node[seg].get("sources")), impact=len(sub) * 10 + len(downs),
        wanted={"segments": [seg], "product": None, "exclude": []},
        counts={"local_enterprises": len(local), "outside_enterprises": len(outside)})


def segment_gaps(G, *, few: int = DEFAULT_FEW) -> list[dict]:
    """Segments with no, or fewer than ``few``, local enterprises (sub-segments included).

    No local enterprise is a ``high`` gap (kind ``no_local``), fewer than
    ``few`` a ``medium`` one (kind ``few_local``).  Facts list the local and
    outside enterprises, platforms, projects and the segments it feeds.

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": "s", "kind": "segment", "name": "储氢材料"}], [])
    >>> [(g["id"], g["severity"]) for g in segment_gaps(G)]
    [('segment:s', 'high')]
    """
    return _segment_gaps(Chain(G), few)


# --- upstream gaps ---------------------------------------------------------------------------
def _upstream_gaps(chain: Chain) -> list[dict]:
    gaps = [g for g in (_upstream_gap(chain, up, down, d) for up, down, d in chain.feeds) if g is not None]
    gaps.sort(key=gap_sort_key)
    return gaps


def _upstream_gap(chain: Chain, up: str, down: str, d: dict) -> dict | None:
    """The upstream gap of one FEEDS relation, or None (kept up to date per relation by graph.Analysis)."""
    up_local, down_local = chain.local_firms(up), chain.local_firms(down)
    un, dn = chain.name(up), chain.name(down)
    product = d.get("product")
    what = message("gap.part.product", product=product) if product else ""
    facts = [fact("fact.upstream.up_local", up_local, segment=un, n=len(up_local)),
             fact("fact.upstream.down_local", down_local, segment=dn, n=len(down_local))]
    if not up_local:
        kind = "no_local_upstream"
        severity = "high" if down_local else "medium"
        if down_local:
            reason = message("gap.upstream.no_local_upstream.reason", down=dn, up=un, what=what,
                             n=len(down_local), names=names(chain, down_local))
        else:
            reason = message("gap.upstream.no_local_upstream.reason_no_downstream", down=dn, up=un, what=what)
    else:
        # local upstream firms exist: do the recorded supplies into the local downstream firms use them?
        # the supplies from the upstream segment's firms into the local downstream firms; none local among
        # them (the first local one ends it). A supplier is upstream when it is an enterprise in a segment of
        # the upstream subtree (as chain.members(up), without building that set: it may be every firm).
        up_sub = set(chain.seg_subtree.get(up, [up]))
        ent_segs, node, loc = chain.ent_segs, chain.node, chain.loc
        found = set()
        for c in down_local:
            for s, _ in chain.sup_in.get(c, ()):
                if s in node and not up_sub.isdisjoint(ent_segs.get(s, ())) and node[s].get("kind") == "enterprise":
                    if loc[s] == LOCAL:
                        return None
                    found.add((s, c))
        if not found:
            return None
        links = sorted(found)
        kind, severity = "local_upstream_unused", "medium"
        outside = sorted({s for s, _ in links})
        facts.append(fact("fact.upstream.supplies_from_outside", outside, n=len(links), up=un, down=dn,
                          names=names(chain, outside)))
        reason = message("gap.upstream.local_upstream_unused.reason", up=un, down=dn,
                         names=names(chain, up_local))
    return make_gap(
        gid=f"upstream:{down}:{up}", category="upstream", kind=kind, severity=severity,
        subjects=[chain.ref(down), chain.ref(up)],
        title=message("gap.upstream.title", down=dn, up=un), reason=reason, facts=facts,
        sources=clean_sources(d.get("sources")) or clean_sources(chain.node[up].get("sources")),
        impact=len(down_local) * 10 + 1, wanted={"segments": [up], "product": product, "exclude": []})


def upstream_gaps(G) -> list[dict]:
    """Downstream segments whose upstream input (a ``FEEDS`` edge) has no local supplier.

    ``high`` when the upstream segment has no local enterprise and the
    downstream one has local firms that must therefore buy from outside;
    ``medium`` when neither has local firms, or when local upstream firms
    exist but every recorded supply into the local downstream firms comes
    from outside (kind ``local_upstream_unused``).

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph(
    ...     [{"id": "oxide", "kind": "segment", "name": "氧化物"}, {"id": "metal", "kind": "segment", "name": "金属"},
    ...      {"id": "m1", "kind": "enterprise", "name": "金属厂", "locality": "cluster"}],
    ...     [{"type": "FEEDS", "source": "oxide", "target": "metal"},
    ...      {"type": "IN_SEGMENT", "source": "m1", "target": "metal"}])
    >>> [(g["id"], g["severity"]) for g in upstream_gaps(G)]
    [('upstream:metal:oxide', 'high')]
    """
    return _upstream_gaps(Chain(G))


# --- capability gaps named by the plan -------------------------------------------------------
def _words_in(text: str | None, words: Iterable[str]) -> list[str]:
    if not text:
        return []
    return [w for w in words if w in text]


def _capability_gaps(chain: Chain, few: int = DEFAULT_FEW, words: tuple[str, ...] = LACK_WORDS) -> list[dict]:
    gaps = []
    for kind in ("segment", "target"):
        for n in chain.by_kind.get(kind, ()):
            d = chain.node[n]
            matched_sources, matched = [], []
            for s in clean_sources(d.get("sources")):
                w = _words_in(s.get("quote"), words)
                if w:
                    matched_sources.append(dict(s, matched=w))
                    matched.extend(x for x in w if x not in matched)
            in_desc = _words_in(d.get("description"), words)
            matched.extend(x for x in in_desc if x not in matched)
            if not matched:
                continue
            name = chain.name(n)
            segs = [n] if kind == "segment" else [a for a in chain.about.get(n, ()) if chain.kind(a) == "segment"]
            local = sorted({f for s in segs for f in chain.local_firms(s)})
            if not segs:
                severity = "medium"
            else:
                severity = "high" if not local else ("medium" if len(local) < few else "low")
            clause = matched_sources[0] if matched_sources else {}
            quote = clause.get("quote") or d.get("description") or ""
            where = message("gap.part.where", doc=clause.get("doc"), section=clause.get("section")) \
                if clause.get("doc") else ""
            if not segs:
                state = message("gap.capability.state.unlinked")
            elif local:
                state = message("gap.capability.state.local", n=len(local), names=names(chain, local))
            else:
                state = message("gap.capability.state.none", n=len(local))
            facts = [fact("fact.capability.wording", [n], words=matched), dict(state, ids=list(local))]
            if kind == "target" and segs:
                facts.append(fact("fact.capability.target_segments", segs, segments=names(chain, segs)))
            if kind == "segment":
                reason = message("gap.capability.plan_named_segment.reason", name=name, where=where,
                                 quote=_excerpt(quote), state=state)
            else:
                reason = message("gap.capability.plan_named_target.reason", name=name, where=where,
                                 quote=_excerpt(quote), state=state)
            gaps.append(make_gap(
                gid=f"capability:{n}", category="capability", kind=f"plan_named_{kind}", severity=severity,
                subjects=[chain.ref(n)], title=message("gap.capability.title", name=name), reason=reason,
                facts=facts, sources=matched_sources or clean_sources(d.get("sources")),
                # no local firm first; a segment before a target, a parent before its children
                impact=(100 if not local else max(0, 50 - 10 * len(local)))
                + (5 * len(chain.seg_subtree.get(n, [n])) if kind == "segment" else 0),
                wanted={"segments": segs, "product": None, "exclude": []},
                matched_words=matched, clause=clause or None))
    gaps.sort(key=gap_sort_key)
    return gaps


def _excerpt(text: str, n: int = 80) -> str:
    text = " ".join(text.split()).rstrip("。；，;, ")
    return text if len(text) <= n else text[: n - 1] + "…"


def capability_gaps(G, *, few: int = DEFAULT_FEW, words: Iterable[str] = LACK_WORDS) -> list[dict]:
    """Segments and targets whose plan clause (source quote) or description uses wording of lack or need.

    The wording list is ``LACK_WORDS`` (缺, 短板, 补链, 延链, 强链, 引进, 招引,
    配套, 薄弱, 不足, 空白, 急需, 紧缺).  Each gap carries the matching clauses
    (``sources``, each with the words it matched, and ``clause``, the first)
    and what the registry shows today: ``high`` when the segment(s) still
    have no local enterprise, ``medium`` when fewer than ``few`` (or the
    target names no segment), ``low`` when it looks filled and needs checking.

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": "svc", "kind": "segment", "name": "表面处理",
    ...     "sources": [{"doc": "001", "section": "16", "quote": "以及产品设计、机械加工和表面处理等配套企业"}]}], [])
    >>> g = capability_gaps(G)[0]
    >>> g["id"], g["severity"], g["matched_words"]
    ('capability:svc', 'high', ['配套'])
    """
    return _capability_gaps(Chain(G), few, tuple(words))


# --- one gap per real need ---------------------------------------------------------------
SEVERITY_ORDER = ("high", "medium", "low")


def _ancestors(chain: Chain, s: str) -> set[str]:
    seen: set[str] = set()
    stack = list(chain.seg_parents.get(s, ()))
    while stack:
        x = stack.pop()
        if x not in seen:
            seen.add(x)
            stack.extend(chain.seg_parents.get(x, ()))
    return seen


def _merge_needs(chain: Chain, capability: list[dict], segment: list[dict]) -> tuple[list, list, dict]:
    """Fold the segment gaps and sub-segment gaps of each plan-named segment into that one need.

    A segment the plan names (a ``plan_named_segment`` capability gap) with no
    plan-named segment above it is one need.  Its own segment gap and the
    capability and segment gaps of every segment below it become its
    ``parts`` (one per sub-segment); their ids resolve to the need's id
    through the returned aliases.  Returns (capability, segment, aliases).
    """
    named = {g["subject_ids"][0]: g for g in capability if g["kind"] == "plan_named_segment"}
    by_seg = {g["subject_ids"][0]: g for g in segment}
    aliases: dict[str, str] = {}
    merged: dict[str, dict] = {}
    for top, need in named.items():
        if _ancestors(chain, top) & set(named):
            continue  # a plan-named segment above it is the need
        members = [need] + ([by_seg[top]] if top in by_seg else [])
        parts = []
        for s in chain.seg_subtree.get(top, [top])[1:]:
            got = [g for g in (named.get(s), by_seg.get(s)) if g is not None]
            if not got:
                continue
            members += got
            local, outside = chain.local_firms(s), [f for f in chain.members(s).get("enterprise", ())
                                                    if chain.is_outside(f)]
            parts.append({"id": s, "name": chain.name(s), "kind": "segment", "gap_ids": [g["id"] for g in got],
                          "plan_named": s in named, "severity": min((g["severity"] for g in got),
                                                                   key=SEVERITY_ORDER.index),
                          "local_enterprises": len(local), "outside_enterprises": len(outside)})
        if len(members) == 1:
            continue
        for g in members[1:]:
            aliases[g["id"]] = need["id"]
        segs = list(dict.fromkeys([top] + [p["id"] for p in parts]))
        facts = list(need["facts"])
        if parts:
            facts.append(fact("fact.need.parts", [p["id"] for p in parts], n=len(parts),
                              names=names(chain, [p["id"] for p in parts], 8)))
        # the segment gap's own facts beyond the local count the need already states: outside firms, platforms
        if top in by_seg:
            facts += [f for f in by_seg[top]["facts"][1:] if f.get("msg") != "fact.segment.sub_segments"]
        counts = (by_seg[top].get("counts") if top in by_seg else None) or {
            "local_enterprises": len(chain.local_firms(top)),
            "outside_enterprises": sum(1 for f in chain.members(top).get("enterprise", ()) if chain.is_outside(f))}
        sources = list(need["sources"])  # the clauses naming the parts too, each once
        for g in members[1:]:
            sources += [x for x in g["sources"] if x not in sources and g["category"] == "capability"]
        merged[need["id"]] = dict(
            need, parts=parts, sources=sources, merged_ids=[g["id"] for g in members[1:]], facts=facts, counts=counts,
            severity=min((g["severity"] for g in members), key=SEVERITY_ORDER.index),
            impact=max(g.get("impact", 0) for g in members) + len(parts),
            wanted={"segments": segs, "product": None, "exclude": []})
    cap = [merged.get(g["id"], g) for g in capability if g["id"] not in aliases]
    seg = [g for g in segment if g["id"] not in aliases]
    cap.sort(key=gap_sort_key)
    return cap, seg, aliases


def merge_needs(G, *, few: int = DEFAULT_FEW) -> dict:
    """The plan-named needs with their parts: ``{"capability", "segment", "aliases"}``.

    ``aliases`` maps the id of every gap folded into a need (its segment
    gap, the gaps of its sub-segments) to the need's id.

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([
    ...     {"id": "m", "kind": "segment", "name": "m", "sources": [{"doc": "001", "section": "19", "quote": "招引电机"}]},
    ...     {"id": "m1", "kind": "segment", "name": "m1"}, {"id": "m2", "kind": "segment", "name": "m2"}],
    ...     [{"type": "PART_OF", "source": "m1", "target": "m"}, {"type": "PART_OF", "source": "m2", "target": "m"}])
    >>> r = merge_needs(G)
    >>> [(g["id"], [p["id"] for p in g["parts"]]) for g in r["capability"]], r["segment"]
    ([('capability:m', ['m1', 'm2'])], [])
    >>> sorted(r["aliases"].items())
    [('segment:m', 'capability:m'), ('segment:m1', 'capability:m'), ('segment:m2', 'capability:m')]
    """
    chain = Chain(G)
    cap, seg, aliases = _merge_needs(chain, _capability_gaps(chain, few), _segment_gaps(chain, few))
    return {"capability": cap, "segment": seg, "aliases": aliases}


def needs(G, *, few: int = DEFAULT_FEW) -> list[dict]:
    """The plan-named needs and the segment gaps, one gap per real need, most urgent first."""
    r = merge_needs(G, few=few)
    return sorted(r["capability"] + r["segment"], key=gap_sort_key)


# --- data gaps -------------------------------------------------------------------------------
def _data_gaps(chain: Chain) -> list[dict]:
    gaps = [g for g in (_firm_data_gap(chain, n) for n in chain.by_kind.get("enterprise", ())) if g is not None]
    gaps += _implied_gaps(chain)
    gaps.sort(key=gap_sort_key)
    return gaps


def _firm_data_gap(chain: Chain, n: str) -> dict | None:
    """The data gap of one enterprise (the fields it lacks), or None (kept up to date per firm by graph.Analysis)."""
    d = chain.node[n]
    missing = []
    if not chain.ent_segs.get(n):
        missing.append("segment")
    loc = d.get("locality") or "unknown"
    if loc in ("unknown", "ganzhou"):  # "ganzhou": in Ganzhou, not stated whether in the cluster
        missing.append("locality")
    if not d.get("location") and not chain.located.get(n):
        missing.append("location")
    if not d.get("credit_code"):
        missing.append("credit_code")
    if not missing:
        return None
    if loc == "cluster":
        severity = "high" if "segment" in missing else "medium"
    elif loc in ("unknown", "ganzhou"):
        severity = "medium"
    else:
        severity = "low"
    name = chain.name(n)
    degree = chain.degree(n)
    lead = chain.has_lead_role(n) or bool(d.get("roles"))
    return make_gap(
        gid=f"data:{n}", category="data", kind="missing_fields", severity=severity,
        subjects=[chain.ref(n)], title=message("gap.data.missing_fields.title", name=name),
        reason=message("gap.data.missing_fields.reason", name=name, locality=locality(loc),
                       fields=[{"label": "inline.field", "code": f} for f in missing]),
        facts=[fact("fact.data.relations", [n], n=degree)]
        + ([fact("fact.data.roles", [n], roles=role_labels(d.get("roles")))] if lead else []),
        sources=clean_sources(d.get("sources")), impact=degree + (10 if lead else 0),
        missing=missing)


def _implied_gaps(chain: Chain) -> list[dict]:
    """The data gaps of relations only implied (not stated by a source), in the order of chain.implied."""
    return [_implied_gap(chain, d) for d in chain.implied]


def _implied_gap(chain: Chain, d: dict) -> dict:
    """The data gap of one relation only implied (kept up to date per relation by graph.Analysis)."""
    rid = d.get("id")
    rtype, src, dst = d.get("type"), d.get("source"), d.get("target")
    notes = [s.get("note") for s in clean_sources(d.get("sources")) if s.get("note")]
    severity = "medium" if rtype in ("SUPPLIES", "CHAIN_LEADER", "IN_SEGMENT") else "low"
    ends = {"source": chain.name(src), "type": rtype, "target": chain.name(dst)}
    return make_gap(
        gid=f"data:relation:{rid}", category="data", kind="implied_relation", severity=severity,
        subjects=[chain.ref(src), chain.ref(dst)], title=message("gap.data.implied_relation.title", **ends),
        reason=message("gap.data.implied_relation.reason_note", note=notes[0], **ends) if notes else
        message("gap.data.implied_relation.reason", **ends),
        facts=[fact("fact.data.relation_id", [src, dst], id=rid)],
        sources=clean_sources(d.get("sources")), impact=1, missing=["basis"], relation_id=rid)


def data_gaps(G) -> list[dict]:
    """What to fill in first: enterprises lacking segment, locality, location or credit code, and implied relations.

    These are the data to-do list (``/todo``), not gaps of the chain: the gap
    report, the gaps page, the home page counts and ``xijin gaps`` leave them
    out and only count them (report summary ``data_todo``).  This function is
    the public way to list them; ``graph.Analysis.data_gaps`` memoises it.

    One gap per enterprise (``missing`` lists the fields) and one per relation
    whose only basis is ``implied``.  Severity: a local enterprise without a
    segment is ``high`` (it is invisible to coverage); other local gaps, an
    unknown locality and a firm placed in Ganzhou without saying whether it is
    in the cluster (locality ``ganzhou``) are ``medium``; other enterprises
    not in the cluster ``low``.
    Implied ``SUPPLIES``, ``CHAIN_LEADER`` and ``IN_SEGMENT`` links are
    ``medium`` (the chain analyses rest on them), others ``low``.

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": "a", "kind": "enterprise", "name": "甲", "locality": "cluster"}], [])
    >>> [(g["id"], g["severity"], g["missing"]) for g in data_gaps(G)]
    [('data:a', 'high', ['segment', 'location', 'credit_code'])]
    """
    return _data_gaps(Chain(G))
