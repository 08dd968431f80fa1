"""Gaps of the chain that come from segments, plan wording and missing data.

Each function takes the graph first and returns a list of gap dicts, most
urgent first (severity, then impact, then id).  Every gap has ``id``,
``category``, ``kind``, ``severity``, ``subject_ids``, ``subjects``,
``title_zh/en``, ``reason_zh/en``, ``facts`` (each ``{"zh", "en", "ids"}``),
``sources`` (document clauses), ``impact`` (how much hangs on it, for
ordering) and ``wanted`` (what a candidate must fit: segments, product,
ids to exclude).  The wording says what the *registry records*: an empty
segment may be a real gap or a data gap, and the reason says so.
"""

from __future__ import annotations

from typing import Iterable

from registry.model import LOCALITY_ZH

from ._chain import Chain, clean_sources, fact, gap_sort_key, make_gap, names_en, names_zh

__all__ = ["segment_gaps", "upstream_gaps", "capability_gaps", "data_gaps", "LACK_WORDS"]

# plan wording of lack or need: a segment or target quoted with one of these is a gap the plan names
LACK_WORDS = ("缺", "短板", "补链", "延链", "强链", "引进", "招引", "配套", "薄弱", "不足", "空白", "急需", "紧缺")
DEFAULT_FEW = 3

FIELD_ZH = {"segment": "所属环节", "locality": "是否在集群内", "location": "所在地", "credit_code": "统一社会信用代码"}
FIELD_EN = {"segment": "chain segment", "locality": "in the cluster or not", "location": "location",
            "credit_code": "credit code (统一社会信用代码)"}


# --- segment gaps ----------------------------------------------------------------------------
def _segment_gaps(chain: Chain, few: int = DEFAULT_FEW) -> list[dict]:
    gaps = []
    for seg in chain.seg_order:
        local = chain.local_firms(seg)
        if len(local) >= few:
            continue
        m = chain.members(seg)
        outside = [f for f in m.get("enterprise", ()) if chain.is_outside(f)]
        platforms, projects = m.get("platform", []), m.get("project", [])
        name = chain.name(seg)
        sub = chain.seg_subtree.get(seg, [seg])
        facts = [fact(f"集群内企业 {len(local)} 家" + (f"：{names_zh(chain, local)}" if local else ""),
                      f"{len(local)} local enterprises" + (f": {names_en(chain, local)}" if local else ""), local),
                 fact(f"非集群内企业 {len(outside)} 家", f"{len(outside)} enterprises not in the cluster", outside[:20]),
                 fact(f"平台 {len(platforms)} 个，项目 {len(projects)} 个",
                      f"{len(platforms)} platforms, {len(projects)} projects", platforms + projects)]
        if len(sub) > 1:
            facts.append(fact(f"含下级环节 {len(sub) - 1} 个", f"includes {len(sub) - 1} sub-segments", sub[1:]))
        downs = chain.feeds_out.get(seg, [])
        if downs:
            facts.append(fact(f"供给下游环节：{names_zh(chain, downs)}", f"feeds: {names_en(chain, downs)}", downs))
        hint_zh = f"已登记 {len(outside)} 家此环节的非集群内企业，可作为招引对象。" if outside else ""
        hint_en = f" {len(outside)} enterprises not in the cluster are recorded here: candidates to attract." \
            if outside else ""
        if not local:
            kind, severity = "no_local", "high"
            reason_zh = f"登记册中「{name}」环节（含下级环节）没有集群内企业。{hint_zh}"
            reason_en = f"The registry records no enterprise in the cluster in segment '{name}' " \
                        f"(sub-segments included).{hint_en}"
            title_zh, title_en = f"环节无本地企业：{name}", f"No local enterprise: {name}"
        else:
            kind, severity = "few_local", "medium"
            reason_zh = f"「{name}」环节只有 {len(local)} 家集群内企业（{names_zh(chain, local)}），少于 {few} 家。{hint_zh}"
            reason_en = f"Segment '{name}' has only {len(local)} local enterprise(s) ({names_en(chain, local)}), " \
                        f"fewer than {few}.{hint_en}"
            title_zh, title_en = f"环节本地企业少：{name}", f"Few local enterprises: {name}"
        gaps.append(make_gap(
            gid=f"segment:{seg}", category="segment", kind=kind, severity=severity,
            subjects=[chain.ref(seg)], title_zh=title_zh, title_en=title_en,
            reason_zh=reason_zh, reason_en=reason_en, facts=facts,
            sources=clean_sources(chain.node[seg].get("sources")), impact=len(sub) * 10 + len(downs),
            wanted={"segments": [seg], "product": None, "exclude": []},
            counts={"local_enterprises": len(local), "outside_enterprises": len(outside)}))
    gaps.sort(key=gap_sort_key)
    return gaps


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
    gaps = []
    for up, down, d in chain.feeds:
        up_local, down_local = chain.local_firms(up), chain.local_firms(down)
        un, dn = chain.name(up), chain.name(down)
        product = d.get("product")
        what_zh = f"（{product}）" if product else ""
        what_en = f" ({product})" if product else ""
        facts = [fact(f"上游「{un}」集群内企业 {len(up_local)} 家", f"upstream '{un}': {len(up_local)} local enterprises",
                      up_local),
                 fact(f"下游「{dn}」集群内企业 {len(down_local)} 家", f"downstream '{dn}': {len(down_local)} local "
                      f"enterprises", down_local)]
        if not up_local:
            kind = "no_local_upstream"
            severity = "high" if down_local else "medium"
            if down_local:
                reason_zh = (f"「{dn}」的上游投入「{un}」{what_zh}在集群内没有企业：本环节 {len(down_local)} 家本地企业"
                             f"（{names_zh(chain, down_local)}）所需的投入在登记册中没有集群内来源。")
                reason_en = (f"The upstream input '{un}'{what_en} of '{dn}' has no enterprise in the cluster: the "
                             f"{len(down_local)} local firm(s) of '{dn}' ({names_en(chain, down_local)}) must buy it "
                             f"from outside the cluster (none is recorded in it).")
            else:
                reason_zh = f"「{dn}」的上游投入「{un}」{what_zh}在集群内没有企业（下游本身也还没有本地企业）。"
                reason_en = (f"The upstream input '{un}'{what_en} of '{dn}' has no enterprise in the cluster "
                             f"(and '{dn}' has no local enterprise yet either).")
        else:
            # local upstream firms exist: do the recorded supplies into the local downstream firms use them?
            up_members = set(chain.members(up).get("enterprise", ()))
            links = sorted({(s, c) for c in down_local for s, _ in chain.sup_in.get(c, ()) if s in up_members})
            if not links or any(chain.is_local(s) for s, _ in links):
                continue
            kind, severity = "local_upstream_unused", "medium"
            outside = sorted({s for s, _ in links})
            facts.append(fact(f"已登记的 {len(links)} 条「{un}」→「{dn}」供应关系全部来自非集群内企业：{names_zh(chain, outside)}",
                              f"all {len(links)} recorded supplies '{un}' -> '{dn}' come from firms not in the "
                              f"cluster: "
                              f"{names_en(chain, outside)}", outside))
            reason_zh = (f"集群内有「{un}」企业（{names_zh(chain, up_local)}），但登记的向「{dn}」本地企业的供货"
                         f"全部来自非集群内企业：可撮合本地配套。")
            reason_en = (f"The cluster has '{un}' firms ({names_en(chain, up_local)}), yet every recorded supply to "
                         f"local '{dn}' firms comes from firms not in the cluster: a chance for local matching.")
        gaps.append(make_gap(
            gid=f"upstream:{down}:{up}", category="upstream", kind=kind, severity=severity,
            subjects=[chain.ref(down), chain.ref(up)],
            title_zh=f"上游无本地供给：{dn} ← {un}", title_en=f"No local upstream: {dn} <- {un}",
            reason_zh=reason_zh, reason_en=reason_en, facts=facts,
            sources=clean_sources(d.get("sources")) or clean_sources(chain.node[up].get("sources")),
            impact=len(down_local) * 10 + 1, wanted={"segments": [up], "product": product, "exclude": []}))
    gaps.sort(key=gap_sort_key)
    return gaps


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
            where_zh = f"（{clause.get('doc')} {clause.get('section')}）" if clause.get("doc") else ""
            where_en = f" ({clause.get('doc')} {clause.get('section')})" if clause.get("doc") else ""
            if segs:
                state_zh = (f"登记册中相关环节现有集群内企业 {len(local)} 家" +
                            (f"：{names_zh(chain, local)}。" if local else "，尚未补上。"))
                state_en = (f"The registry now records {len(local)} local enterprise(s) in the segment(s)" +
                            (f": {names_en(chain, local)}." if local else "; the gap is still open."))
            else:
                state_zh, state_en = "该目标未关联到环节，无法核对是否已补上。", \
                    "The target is not linked to a segment, so the registry cannot tell whether it is filled."
            facts = [fact(f"方案用语：{'、'.join(matched)}", f"plan wording: {', '.join(matched)}", [n]),
                     fact(state_zh, state_en, local)]
            if kind == "target" and segs:
                facts.append(fact(f"目标指向环节：{names_zh(chain, segs)}", f"target concerns: {names_en(chain, segs)}",
                                  segs))
            if kind == "segment":
                reason_zh = f"方案点名需要补强「{name}」{where_zh}：“{_excerpt(quote)}”。{state_zh}"
                reason_en = f"The plan names '{name}' as a need{where_en}: “{_excerpt(quote)}”. {state_en}"
            else:
                reason_zh = f"方案目标「{name}」带有补链、招引要求{where_zh}：“{_excerpt(quote)}”。{state_zh}"
                reason_en = f"The plan target '{name}' calls for filling the chain{where_en}: “{_excerpt(quote)}”. " \
                            f"{state_en}"
            gaps.append(make_gap(
                gid=f"capability:{n}", category="capability", kind=f"plan_named_{kind}", severity=severity,
                subjects=[chain.ref(n)], title_zh=f"方案点名的补链需求：{name}",
                title_en=f"Plan-named need: {name}",
                reason_zh=reason_zh, reason_en=reason_en,
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


# --- data gaps -------------------------------------------------------------------------------
def _data_gaps(chain: Chain) -> list[dict]:
    gaps = []
    for n in chain.by_kind.get("enterprise", ()):
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
            continue
        if loc == "cluster":
            severity = "high" if "segment" in missing else "medium"
        elif loc in ("unknown", "ganzhou"):
            severity = "medium"
        else:
            severity = "low"
        name = chain.name(n)
        degree = chain.degree(n)
        lead = chain.has_lead_role(n) or bool(d.get("roles"))
        gaps.append(make_gap(
            gid=f"data:{n}", category="data", kind="missing_fields", severity=severity,
            subjects=[chain.ref(n)], title_zh=f"待补信息：{name}", title_en=f"Missing data: {name}",
            reason_zh=f"「{name}」（{LOCALITY_ZH.get(loc, loc)}）缺少：{'、'.join(FIELD_ZH[f] for f in missing)}。",
            reason_en=f"'{name}' ({loc}) lacks: {', '.join(FIELD_EN[f] for f in missing)}.",
            facts=[fact(f"已登记关系 {degree} 条", f"{degree} recorded relations", [n])]
            + ([fact(f"角色：{'、'.join(d.get('roles'))}", f"roles: {', '.join(d.get('roles'))}", [n])] if lead else []),
            sources=clean_sources(d.get("sources")), impact=degree + (10 if lead else 0),
            missing=missing))
    for d in chain.implied:
        rid = d.get("id")
        rtype, src, dst = d.get("type"), d.get("source"), d.get("target")
        notes = [s.get("note") for s in clean_sources(d.get("sources")) if s.get("note")]
        severity = "medium" if rtype in ("SUPPLIES", "CHAIN_LEADER", "IN_SEGMENT") else "low"
        label = f"{chain.name(src)} -{rtype}-> {chain.name(dst)}"
        gaps.append(make_gap(
            gid=f"data:relation:{rid}", category="data", kind="implied_relation", severity=severity,
            subjects=[chain.ref(src), chain.ref(dst)], title_zh=f"推断关系待核实：{label}",
            title_en=f"Implied relation to verify: {label}",
            reason_zh=f"关系「{label}」只有推断依据（implied）" + (f"：{notes[0]}" if notes else "") +
                      "。请用文件或调研核实。",
            reason_en=f"Relation '{label}' rests on an implied basis only" + (f": {notes[0]}" if notes else "") +
                      ". Verify it from a document or survey.",
            facts=[fact(f"关系编号 {rid}", f"relation id {rid}", [src, dst])],
            sources=clean_sources(d.get("sources")), impact=1, missing=["basis"], relation_id=rid))
    gaps.sort(key=gap_sort_key)
    return gaps


def data_gaps(G) -> list[dict]:
    """What to fill in first: enterprises lacking segment, locality, location or credit code, and implied relations.

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
