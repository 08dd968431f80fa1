"""Enterprises outside the cluster that could fill a gap, ranked, each with its reasons."""

from __future__ import annotations

from registry.messages import message

from ._chain import LOCAL, Chain, LocalChain, role_labels
from .vocabulary import words as vocabulary

__all__ = ["candidates_for_gap", "CANDIDATE_FORMULA"]

W_SEGMENT, W_PARENT, W_PRODUCT, W_LOCAL_LINK, W_PLATFORM_LINK, W_ROLE, W_SOURCE_WORD = 3, 1, 3, 1, 1, 1, 1
CAP_LOCAL_LINKS, CAP_PLATFORM_LINKS, CAP_ROLES = 3, 2, 2
STRONG_ROLES = ("chain_leader", "leading", "backbone", "listed", "single_champion", "little_giant", "specialised",
                "unicorn", "gazelle", "central_soe", "soe")
SOURCE_WORDS = vocabulary("source_words")

CANDIDATE_FORMULA = {
    **message("analysis.formula.candidate"),
    "weights": {"segment": W_SEGMENT, "parent_segment": W_PARENT, "product": W_PRODUCT, "local_link": W_LOCAL_LINK,
                "platform_link": W_PLATFORM_LINK, "role": W_ROLE, "source_wording": W_SOURCE_WORD},
    "caps": {"local_link": CAP_LOCAL_LINKS, "platform_link": CAP_PLATFORM_LINKS, "role": CAP_ROLES},
}


def _reason(code: str, weight: int, reason: dict, ids=()) -> dict:
    return dict(reason, ids=list(ids), code=code, weight=weight)


def _product_suppliers(chain: Chain) -> dict[str, set[str]]:
    """product -> firms that supply it, read from the graph once per Chain."""
    index = getattr(chain, "_product_index", None)
    if index is None:
        index = {}
        if isinstance(chain, LocalChain):  # its tables fill per node: read the graph's edges once
            links = ((s, d) for s, c, t, d in chain.G.edges(keys=True, data=True) if t == "SUPPLIES" and c != s)
        else:  # the full index already holds every supply link
            links = ((s, d) for s, outs in chain.sup_out.items() for _, d in outs)
        for s, d in links:
            p = (d.get("product") or "").strip()
            if p:
                index.setdefault(p, set()).add(s)
        chain._product_index = index
    return index


def _extra_score(chain: Chain, f: str) -> tuple[int, int]:
    """(points, reasons) a firm earns beyond segment and product fit; memoised per Chain.

    Links are counted only up to their caps, so a hub with thousands of
    customers costs no more than a small firm when ranking.
    """
    memo = getattr(chain, "_candidate_scores", None)
    if memo is None:
        memo = chain._candidate_scores = {}
    got = memo.get(f)
    if got is None:
        loc = chain.loc
        links = set()
        for c, _ in chain.sup_out.get(f, ()):
            if loc[c] == LOCAL:
                links.add(c)
                if len(links) >= CAP_LOCAL_LINKS:
                    break
        if len(links) < CAP_LOCAL_LINKS:
            for x, _ in chain.sup_in.get(f, ()):
                if loc[x] == LOCAL:
                    links.add(x)
                    if len(links) >= CAP_LOCAL_LINKS:
                        break
        plats = set()
        for o, _, _ in chain.partners.get(f, ()):
            if loc[o] == LOCAL:
                k = chain.node[o].get("kind")
                if k == "enterprise" and len(links) < CAP_LOCAL_LINKS:
                    links.add(o)
                elif k in ("platform", "project"):
                    plats.add(o)
        d = chain.node[f]
        strong = sum(1 for r in d.get("roles") or () if r in STRONG_ROLES)
        words = any(w in ((s.get("quote") if isinstance(s, dict) else None) or "")
                    for s in d.get("sources") or () for w in SOURCE_WORDS)
        points = (min(len(links), CAP_LOCAL_LINKS) * W_LOCAL_LINK
                  + min(len(plats), CAP_PLATFORM_LINKS) * W_PLATFORM_LINK
                  + min(strong, CAP_ROLES) * W_ROLE + (W_SOURCE_WORD if words else 0))
        got = memo[f] = (points, bool(links) + bool(plats) + bool(strong) + words)
    return got


def _extras(chain: Chain, f: str) -> tuple:
    """(local links, local platforms/projects, strong roles, leader words) of a firm, in full."""
    loc = chain.loc
    links = {c for c, _ in chain.sup_out.get(f, ()) if loc[c] == LOCAL}
    links.update(s for s, _ in chain.sup_in.get(f, ()) if loc[s] == LOCAL)
    plats = set()
    for o, _, _ in chain.partners.get(f, ()):
        if loc[o] == LOCAL:
            k = chain.node[o].get("kind")
            if k == "enterprise":
                links.add(o)
            elif k in ("platform", "project"):
                plats.add(o)
    d = chain.node[f]
    strong = [r for r in d.get("roles") or () if r in STRONG_ROLES]
    words = sorted({w for s in d.get("sources") or () for w in SOURCE_WORDS
                    if w in ((s.get("quote") if isinstance(s, dict) else None) or "")})
    return sorted(links), sorted(plats), strong, words


def _candidates(chain: Chain, gap: dict, limit: int | None = 10) -> dict:
    wanted = gap.get("wanted") or {}
    segs = [s for s in wanted.get("segments") or () if chain.kind(s) == "segment"]
    product = (wanted.get("product") or "").strip() or None
    exclude = set(wanted.get("exclude") or ())
    loc = chain.loc
    # first the fit of every eligible firm as numbers; reasons are written only for those returned
    fit: dict[str, list] = {}  # firm -> [segment fit (code, segment) or None, matched products]

    def eligible(f):
        return f not in exclude and loc[f] != LOCAL and chain.node[f].get("kind") == "enterprise"

    for seg in segs:
        for f in chain.members(seg).get("enterprise", ()):
            if f not in fit and eligible(f):
                fit[f] = [("segment", seg), []]
    for seg in segs:
        for par in chain.seg_parents.get(seg, ()):
            for f in chain.direct.get(par, ()):
                if f not in fit and eligible(f):
                    fit[f] = [("parent_segment", par), []]
    if product:
        index = _product_suppliers(chain)
        for p in sorted(p for p in index if p == product or product in p or p in product):
            for f in index[p]:
                if eligible(f):
                    fit.setdefault(f, [None, []])[1].append(p)
    scored = []
    for f, (sfit, products) in fit.items():
        base = (W_SEGMENT if sfit and sfit[0] == "segment" else W_PARENT if sfit else 0) + \
            (W_PRODUCT if products else 0)
        points, n_extra = _extra_score(chain, f)
        n_reasons = (sfit is not None) + bool(products) + n_extra
        scored.append((-(base + points), -n_reasons, chain.name(f), f))
    scored.sort()
    chosen = scored if limit is None else scored[:limit]
    out = []
    for neg, _, name, f in chosen:
        sfit, products = fit[f]
        reasons = []
        if sfit and sfit[0] == "segment":
            seg = sfit[1]
            below = set(chain.seg_subtree.get(seg, [seg]))
            via = [s for s in chain.ent_segs.get(f, ()) if s in below and s != seg]
            sname = chain.name(seg)
            said = message("cand.reason.segment_via", segment=sname, via=[chain.name(v) for v in via]) if via \
                else message("cand.reason.segment", segment=sname)
            reasons.append(_reason("segment", W_SEGMENT, said, [seg] + via))
        elif sfit:
            par = sfit[1]
            reasons.append(_reason("parent_segment", W_PARENT,
                                   message("cand.reason.parent_segment", segment=chain.name(par)), [par]))
        if products:
            customers = sorted({c for c, d in chain.sup_out[f] if (d.get("product") or "").strip() in products})
            reasons.append(_reason("product", W_PRODUCT, message(
                "cand.reason.product", products=products, customers=[chain.name(c) for c in customers[:3]]),
                customers))
        links, plats, strong, words = _extras(chain, f)
        if links:
            reasons.append(_reason("local_link", min(len(links), CAP_LOCAL_LINKS) * W_LOCAL_LINK, message(
                "cand.reason.local_link", n=len(links), names=[chain.name(x) for x in links[:5]]), links))
        if plats:
            reasons.append(_reason("platform_link", min(len(plats), CAP_PLATFORM_LINKS) * W_PLATFORM_LINK, message(
                "cand.reason.platform_link", names=[chain.name(x) for x in plats[:5]]), plats))
        if strong:
            reasons.append(_reason("role", min(len(strong), CAP_ROLES) * W_ROLE,
                                   message("cand.reason.role", roles=role_labels(strong)), [f]))
        if words:
            reasons.append(_reason("source_wording", W_SOURCE_WORD,
                                   message("cand.reason.source_wording", words=words), [f]))
        lf = loc[f]
        if lf == "unknown":
            reasons.append(_reason("locality_unknown", 0, message("cand.reason.locality_unknown"), [f]))
        out.append({"id": f, "name": name, "locality": lf,
                    "roles": list(chain.node[f].get("roles") or ()), "score": -neg, "reasons": reasons})
    return {
        "gap_id": gap.get("id"),
        "wanted": {"segments": [chain.ref(s) for s in segs], "product": product, "exclude": sorted(exclude)},
        "score_formula": CANDIDATE_FORMULA,
        "total": len(scored),
        "candidates": out,
    }


def chain_index(G) -> Chain:
    """An index of ``G`` to pass as ``index=`` when asking for candidates of many gaps of one graph
    (building it is the costly part; it is only valid while ``G`` is unchanged)."""
    return Chain(G)


def candidates_for_gap(G, gap: dict, *, limit: int | None = 10, index: Chain | None = None) -> dict:
    """Enterprises outside the cluster that could fill ``gap``, best first, each with its reasons.

    What a candidate must fit comes from ``gap["wanted"]`` (segments, product,
    ids to exclude such as the current single supplier).  A candidate needs a
    segment fit (in the segment or below: 3; in the segment above: 1) or a
    product fit (already supplies that product: 3); links to local firms,
    to local platforms and projects, strong roles and leader wording in its
    sources add to the score (see ``CANDIDATE_FORMULA``).  Ties are broken by
    the number of reasons that add to the score, then name, then id.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    gap : dict
        A gap from any gap function (or ``graph.find_gap``).
    limit : int or None
        How many candidates to return (``total`` counts all).
    index : optional
        From :func:`chain_index` on this same ``G``, to reuse across calls.

    Examples
    --------
    >>> from graph import build_graph, segment_gaps
    >>> G = build_graph(
    ...     [{"id": "mot", "kind": "segment", "name": "永磁电机"},
    ...      {"id": "x", "kind": "enterprise", "name": "外地电机厂", "locality": "china", "roles": ["listed"]},
    ...      {"id": "y", "kind": "enterprise", "name": "另一电机厂", "locality": "china"}],
    ...     [{"type": "IN_SEGMENT", "source": "x", "target": "mot"},
    ...      {"type": "IN_SEGMENT", "source": "y", "target": "mot"}])
    >>> r = candidates_for_gap(G, segment_gaps(G)[0])
    >>> [(c["id"], c["score"], [x["code"] for x in c["reasons"]]) for c in r["candidates"]]
    [('x', 4, ['segment', 'role']), ('y', 3, ['segment'])]
    """
    return _candidates(index if index is not None else LocalChain(G), gap, limit)
