"""Enterprises outside the cluster that could fill a gap, ranked, each score made of named parts.

A candidate's score is the sum of its parts, each plain data
``{"part": code, "points": n, "facts": {...}}`` (plus a message, ``msg``/``params``,
that says the part in words, and the ``ids`` it is about).  The parts and
their weights, strongest first:

========================  ======  ==========================================================
part                      points  when
========================  ======  ==========================================================
``segment``               6       recorded in the gap's own segment
``sub_segment``           5       recorded in a segment below it (e.g. one motor type of the motor need)
``product``               6       already supplies the product the gap needs
``parent_segment``        3       recorded in the segment directly above it
``adjacent_segment``      2       recorded in a segment that feeds it or that it feeds (up/downstream)
``buys_input``            2       buys from firms of a segment that feeds it (a user of its input)
``keyword``               2       its name, description or sources mention the segment's name or alias
``role``                  1-3     each role: chain leader 3; leading, backbone, listed, single champion,
                                  little giant, central SOE 2; others 1 (at most 4 in all)
``local_link``            2       each supply or partner link to a firm in the cluster (at most 3 links)
``platform_link``         1       each link to a platform or project in the cluster (at most 2)
``locality``              0-3     in Ganzhou 3, elsewhere in Jiangxi 2, elsewhere in China 1,
                                  abroad 0, not recorded 0 (check first whether it is already local)
``source_wording``        1       its sources call it a leader (vocabulary ``source_words``)
========================  ======  ==========================================================

A firm is a candidate only with a fit (one of the first six parts, or a
keyword); how close the fit is weighs most, so a firm in the very segment
ranks above one that only sits next to it.  Ties are broken by the pinyin of
the name, then the id.  When nothing fits, ``data_needed`` says what data
would produce candidates (the segments and words looked for).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from functools import lru_cache
from typing import Iterable

from pypinyin.constants import PINYIN_DICT

from registry.messages import message

from ._chain import LOCAL, Chain, LocalChain, role_labels
from .vocabulary import words as vocabulary

__all__ = ["candidates_for_gap", "CANDIDATE_FORMULA", "PART_POINTS", "ROLE_POINTS", "LOCALITY_POINTS",
           "pinyin_key"]

# how close the fit is (only the closest segment fit counts)
PART_POINTS = {"segment": 6, "sub_segment": 5, "product": 6, "parent_segment": 3, "adjacent_segment": 2,
               "buys_input": 2, "keyword": 2, "local_link": 2, "platform_link": 1, "source_wording": 1}
SEGMENT_FITS = ("segment", "sub_segment", "parent_segment", "adjacent_segment")
ROLE_POINTS = {"chain_leader": 3, "leading": 2, "backbone": 2, "listed": 2, "single_champion": 2,
               "little_giant": 2, "central_soe": 2, "specialised": 1, "unicorn": 1, "gazelle": 1, "soe": 1,
               "high_tech": 1, "above_scale": 1}
CAP_ROLE_POINTS, CAP_LOCAL_LINKS, CAP_PLATFORM_LINKS = 4, 3, 2
# nearer firms are easier to bring in and to work with; "unknown" may even be local already
LOCALITY_POINTS = {"ganzhou": 3, "jiangxi": 2, "china": 1, "abroad": 0, "unknown": 0}
STRONG_ROLES = tuple(ROLE_POINTS)
SOURCE_WORDS = vocabulary("source_words")
MIN_KEYWORD = 2  # shorter names or aliases match too much

CANDIDATE_FORMULA = {
    **message("gaps.formula.candidate"),
    "weights": dict(PART_POINTS, role=ROLE_POINTS, locality=LOCALITY_POINTS),
    "caps": {"role": CAP_ROLE_POINTS, "local_link": CAP_LOCAL_LINKS, "platform_link": CAP_PLATFORM_LINKS},
}


@lru_cache(maxsize=None)
def _syllable(ch: str) -> str:
    """One character's pinyin without tones (its most common reading); other characters as they are."""
    readings = PINYIN_DICT.get(ord(ch))
    if not readings:
        return ch.lower()
    first = unicodedata.normalize("NFD", readings.split(",", 1)[0])
    return "".join(c for c in first if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def pinyin_key(name: str) -> str:
    """How Chinese names sort for people: by pinyin, character by character (ASCII as it is, lower-cased).

    A character's most common reading is used (a tie-break needs no phrase analysis, which costs
    some 0.2 ms a name: thousands of tied candidates at 10k firms).

    >>> sorted(["外地电机厂", "伺服电机厂", "Alpha"], key=pinyin_key)
    ['Alpha', '伺服电机厂', '外地电机厂']
    """
    if name.isascii():
        return name.lower()
    return " ".join(_syllable(ch) for ch in name)


def _part(code: str, points: int, facts: dict, said: dict, ids=()) -> dict:
    """One part of a score: the code, the points, the facts behind it, and the message saying it."""
    return dict(said, part=code, points=points, facts=facts, ids=list(ids))


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


def _texts(chain: Chain) -> dict[str, str]:
    """enterprise -> its name, aliases, description and source quotes in one string (once per Chain)."""
    got = getattr(chain, "_firm_texts", None)
    if got is None:
        got = {}
        for f in chain.by_kind.get("enterprise", ()):
            d = chain.node[f]
            bits = [d.get("name") or "", *(d.get("aliases") or ()), d.get("description") or ""]
            bits += [(s.get("quote") or "") for s in d.get("sources") or () if isinstance(s, dict)]
            got[f] = " ".join(bits)
        chain._firm_texts = got
    return got


def _links(chain: Chain, f: str) -> tuple[list[str], list[str]]:
    """(local firms, local platforms/projects) a firm is linked to by supply or partnership, in full."""
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
    return sorted(links), sorted(plats)


def _standing_points(chain: Chain, f: str) -> int:
    """The points of :func:`_standing_parts` without building them, memoised per Chain: links are counted
    only up to their caps, so a hub with thousands of customers costs no more than a small firm."""
    memo = getattr(chain, "_standing_points", None)
    if memo is None:
        memo = chain._standing_points = {}
    got = memo.get(f)
    if got is not None:
        return got
    loc, d = chain.loc, chain.node[f]
    links, plats = set(), set()
    for c, _ in chain.sup_out.get(f, ()):
        if len(links) >= CAP_LOCAL_LINKS:
            break
        if loc[c] == LOCAL:
            links.add(c)
    for x, _ in chain.sup_in.get(f, ()):
        if len(links) >= CAP_LOCAL_LINKS:
            break
        if loc[x] == LOCAL:
            links.add(x)
    for o, _, _ in chain.partners.get(f, ()):
        if len(links) >= CAP_LOCAL_LINKS and len(plats) >= CAP_PLATFORM_LINKS:
            break
        if loc[o] == LOCAL:
            k = chain.node[o].get("kind")
            if k == "enterprise" and len(links) < CAP_LOCAL_LINKS:
                links.add(o)
            elif k in ("platform", "project") and len(plats) < CAP_PLATFORM_LINKS:
                plats.add(o)
    roles = d.get("roles") or ()
    words = any(w in ((x.get("quote") if isinstance(x, dict) else None) or "")
                for x in d.get("sources") or () for w in SOURCE_WORDS)
    got = memo[f] = (min(CAP_ROLE_POINTS, sum(ROLE_POINTS.get(r, 0) for r in roles))
                     + len(links) * PART_POINTS["local_link"] + len(plats) * PART_POINTS["platform_link"]
                     + (PART_POINTS["source_wording"] if words else 0) + LOCALITY_POINTS.get(loc[f], 0))
    return got


def _standing_parts(chain: Chain, f: str) -> list[dict]:
    """The parts a firm earns whatever the gap: roles, links to the cluster, locality, leader wording."""
    memo = getattr(chain, "_standing", None)
    if memo is None:
        memo = chain._standing = {}
    got = memo.get(f)
    if got is not None:
        return got
    d = chain.node[f]
    parts = []
    roles = [r for r in d.get("roles") or () if r in ROLE_POINTS]
    if roles:
        pts = min(CAP_ROLE_POINTS, sum(ROLE_POINTS[r] for r in roles))
        parts.append(_part("role", pts, {"roles": roles},
                           message("cand.part.role", roles=role_labels(roles)), [f]))
    links, plats = _links(chain, f)
    if links:
        parts.append(_part("local_link", min(len(links), CAP_LOCAL_LINKS) * PART_POINTS["local_link"],
                           {"n": len(links), "ids": links},
                           message("cand.part.local_link", n=len(links), names=[chain.name(x) for x in links[:5]]),
                           links))
    if plats:
        parts.append(_part("platform_link", min(len(plats), CAP_PLATFORM_LINKS) * PART_POINTS["platform_link"],
                           {"n": len(plats), "ids": plats},
                           message("cand.part.platform_link", n=len(plats), names=[chain.name(x) for x in plats[:5]]),
                           plats))
    words = sorted({w for s in d.get("sources") or () for w in SOURCE_WORDS
                    if w in ((s.get("quote") if isinstance(s, dict) else None) or "")})
    if words:
        parts.append(_part("source_wording", PART_POINTS["source_wording"], {"words": words},
                           message("cand.part.source_wording", words=words), [f]))
    lf = chain.loc[f]
    parts.append(_part("locality", LOCALITY_POINTS.get(lf, 0), {"locality": lf},
                       message(f"cand.part.locality.{lf}" if lf in LOCALITY_POINTS else "cand.part.locality.unknown"),
                       [f]))
    memo[f] = parts
    return parts


def _scope(chain: Chain, segs: list[str]) -> dict:
    """The segments around the wanted ones: below, directly above, next in the chain, feeding in; and the words."""
    below: list[str] = []
    for s in segs:
        below += [x for x in chain.seg_subtree.get(s, [s]) if x not in below]
    inside = set(below)
    parents = [p for s in segs for p in chain.seg_parents.get(s, ()) if p not in inside]
    parents = list(dict.fromkeys(parents))
    near = set(inside) | set(parents)
    ups = list(dict.fromkeys(u for s in below for u in chain.feeds_in.get(s, ()) if u not in near))
    downs = list(dict.fromkeys(v for s in below for v in chain.feeds_out.get(s, ()) if v not in near and v not in ups))
    words: list[str] = []
    for s in below:
        d = chain.node.get(s) or {}
        for w in [d.get("name") or "", *(d.get("aliases") or ())]:
            w = w.strip()
            if len(w) >= MIN_KEYWORD and w not in words:
                words.append(w)
    return {"below": below, "inside": inside, "parents": parents, "ups": ups, "downs": downs, "words": words}


def _context(chain: Chain, gap: dict) -> dict:
    """What a gap asks of its candidates: the segments around the wanted ones (in the order fits are offered),
    the product, the words, the firms to exclude."""
    wanted = gap.get("wanted") or {}
    segs = [s for s in wanted.get("segments") or () if chain.kind(s) == "segment"]
    product = (wanted.get("product") or "").strip() or None
    scope = _scope(chain, segs)
    wanted_set = set(segs)
    # every segment fit in the order it is offered: (segment, rank, code); the first of the lowest rank wins
    offers = [(s, 0, "segment") if s in wanted_set else (s, 1, "sub_segment") for s in scope["below"]]
    offers += [(p, 2, "parent_segment") for p in scope["parents"]]
    offers += [(s, 3, "adjacent_segment") for s in scope["ups"] + scope["downs"]]
    words = scope["words"]
    # for one firm at a time (_firm_fit): each offered segment's place — its lowest rank, then the first
    # offer of that rank — and the subtree of each upstream segment
    best: dict[str, tuple[int, int, str]] = {}
    for i, (s, rank, code) in enumerate(offers):
        if s not in best or rank < best[s][0]:
            best[s] = (rank, i, code)
    return {"segs": segs, "product": product, "exclude": set(wanted.get("exclude") or ()), "scope": scope,
            "offers": offers, "offer_at": best, "words": words,
            "ups_below": [set(chain.seg_subtree.get(u, [u])) for u in scope["ups"]],
            "ups_union": set().union(*(chain.seg_subtree.get(u, [u]) for u in scope["ups"])),
            "anyword": re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))) if words else None}


def _eligible(chain: Chain, ctx: dict, f: str) -> bool:
    return f not in ctx["exclude"] and chain.loc[f] != LOCAL and chain.node[f].get("kind") == "enterprise"


def _firm_fit(chain: Chain, ctx: dict, f: str) -> tuple | None:
    """How one firm fits a gap — (segment fit, products, buys, keywords), each None when it does not — or None
    when it is no candidate; the same as the scan of every firm in :func:`_candidates` finds for it."""
    if f not in chain.node or not _eligible(chain, ctx, f):
        return None
    fsegs = chain.ent_segs.get(f, ())
    fit = None
    if fsegs:  # the lowest rank among its segments offered, the first offer of it (as the scan of the offers)
        at = ctx["offer_at"]
        got = min((at[s] + (s,) for s in fsegs if s in at), default=None)
        if got is not None:
            fit = (got[0], got[2], got[3])
    prods = None
    product = ctx["product"]
    if product:
        got = set()
        for _, d in chain.sup_out.get(f, ()):
            p = (d.get("product") or "").strip()
            if p and (p == product or product in p or p in product):
                got.add(p)
        prods = sorted(got) or None
    buys = None
    if ctx["scope"]["ups"]:
        got = []
        # its suppliers that are enterprises in any upstream segment's subtree (most are in none), then per
        # upstream segment in the order of the scan in _candidates
        union, node, ent_segs = ctx["ups_union"], chain.node, chain.ent_segs
        ins = [(s, d) for s, d in chain.sup_in.get(f, ())
               if not union.isdisjoint(ent_segs.get(s, ())) and node.get(s, {}).get("kind") == "enterprise"]
        for below in ctx["ups_below"] if ins else ():
            for s, d in ins:
                if not below.isdisjoint(ent_segs.get(s, ())):
                    got.append((s, (d.get("product") or "").strip()))
        buys = got or None
    kw = None
    if ctx["anyword"] is not None and not (fit and fit[0] <= 1):
        txt = _texts(chain).get(f)
        if txt is not None and ctx["anyword"].search(txt) is not None:
            kw = [w for w in ctx["words"] if w in txt]
    if fit is None and prods is None and buys is None and kw is None:
        return None
    return (fit, prods, buys, kw)


def _fit_points(fit: tuple) -> int:
    seg, prods, buys, kw = fit
    return ((PART_POINTS[seg[1]] if seg else 0) + (PART_POINTS["product"] if prods else 0)
            + (PART_POINTS["buys_input"] if buys and (not seg or seg[0] > 1) else 0)
            + (PART_POINTS["keyword"] if kw else 0))


def _scored(chain: Chain, f: str, fit: tuple) -> tuple:
    name = chain.name(f)
    return (-(_fit_points(fit) + _standing_points(chain, f)), pinyin_key(name), f, name)


def _candidates(chain: Chain, gap: dict, limit: int | None = 10, deps: dict | None = None) -> dict:
    """``deps``, when given, is filled with what the result depends on and what :func:`_rescored` needs to
    bring it up to date (graph.Analysis): ``firms`` (firm -> its score tuple), ``scored`` (every candidate's
    score tuple, best first), ``segments`` (every segment of the scope) and ``ctx`` (the gap's context)."""
    ctx = _context(chain, gap)
    loc, node, scope, product = chain.loc, chain.node, ctx["scope"], ctx["product"]
    exclude = ctx["exclude"]

    def eligible(f):
        return f not in exclude and loc[f] != LOCAL and node[f].get("kind") == "enterprise"

    # the closest segment fit of every eligible firm: (rank, code, segment)
    seg_fit: dict[str, tuple[int, str, str]] = {}
    for s, rank, code in ctx["offers"]:
        for f in chain.direct.get(s, ()):
            if eligible(f) and (f not in seg_fit or rank < seg_fit[f][0]):
                seg_fit[f] = (rank, code, s)
    products: dict[str, list[str]] = {}
    if product:
        index = _product_suppliers(chain)
        for p in sorted(p for p in index if p == product or product in p or p in product):
            for f in index[p]:
                if eligible(f):
                    products.setdefault(f, []).append(p)
    # users of the wanted segments' inputs: they buy from firms of a segment that feeds them
    buys: dict[str, list[tuple[str, str]]] = {}
    for u in scope["ups"]:
        for s in chain.members(u).get("enterprise", ()):
            for c, d in chain.sup_out.get(s, ()):
                if eligible(c):
                    buys.setdefault(c, []).append((s, (d.get("product") or "").strip()))
    keyword: dict[str, list[str]] = {}
    if ctx["anyword"] is not None:
        # one scan of every firm's text for any of the words (a regex alternation runs in C), then which ones
        anyword = ctx["anyword"]
        for f, txt in _texts(chain).items():
            if anyword.search(txt) is None or seg_fit.get(f, (9,))[0] <= 1 or not eligible(f):
                continue
            keyword[f] = [w for w in ctx["words"] if w in txt]

    firms = set(seg_fit) | set(products) | set(buys) | set(keyword)
    fits = {f: (seg_fit.get(f), products.get(f), buys.get(f), keyword.get(f)) for f in firms}
    # the totals of every firm first (numbers only); parts are written for the candidates returned
    scored = [_scored(chain, f, fits[f]) for f in firms]
    scored.sort()  # score, pinyin, id: the id breaks every tie, so the names never compare
    if deps is not None:
        deps.update(firms={x[2]: x for x in scored}, scored=scored, ctx=ctx,
                    points={f: _fit_points(fits[f]) for f in firms},
                    segments=set(scope["below"]) | set(scope["parents"]) | set(scope["ups"]) | set(scope["downs"])
                    | set(ctx["segs"]))
    return _result(chain, gap, ctx, scored, limit, fits.__getitem__)


def _rescored(chain: Chain, gap: dict, limit: int | None, deps: dict, near: Iterable[str],
              prev: dict | None = None, shown_near: set = frozenset(), restanding: set = frozenset()) -> dict:
    """:func:`_candidates` again after the records ``near`` changed (or their neighbours did), from the
    scores kept in ``deps`` (filled by :func:`_candidates` on the same gap, scope unchanged): only those
    firms are scored again. ``prev``: the result before; when the same firms stand first, none of them
    among ``near`` or ``shown_near`` (records whose change a shown entry may name), their entries are kept
    (only the total may change) instead of being written again. ``restanding``: candidates whose fit is as it
    was and whose standing may have changed: their score again from the fit's points kept (no fit again)."""
    ctx, scored, firms = deps["ctx"], deps["scored"], deps["firms"]
    points = deps.setdefault("points", {})
    near = set(near)
    moved = set()
    for f in restanding:
        old, pts = firms.get(f), points.get(f)
        if f in near or old is None:
            continue
        if pts is None:  # (no points kept for it: fitted again)
            near.add(f)
            continue
        t = (-(pts + _standing_points(chain, f)), old[1], f, old[3])
        if t != old:
            del scored[bisect.bisect_left(scored, old)]
            firms[f] = t
            bisect.insort(scored, t)
            moved.add(f)
    for f in near:
        old = firms.pop(f, None)
        points.pop(f, None)
        if old is not None:
            del scored[bisect.bisect_left(scored, old)]
        fit = _firm_fit(chain, ctx, f)
        if fit is not None:
            firms[f] = t = _scored(chain, f, fit)
            points[f] = _fit_points(fit)
            bisect.insort(scored, t)
    if prev is not None:
        top = [x[2] for x in (scored if limit is None else scored[:limit])]
        if top == [c["id"] for c in prev["candidates"]] and near.isdisjoint(top) and shown_near.isdisjoint(top) \
                and moved.isdisjoint(top) \
                and bool(scored) == bool(prev["total"]):
            return prev if prev["total"] == len(scored) else dict(prev, total=len(scored))
    return _result(chain, gap, ctx, scored, limit, lambda f: _firm_fit(chain, ctx, f))


def _result(chain: Chain, gap: dict, ctx: dict, scored: list, limit: int | None, fit_of) -> dict:
    loc, node, scope = chain.loc, chain.node, ctx["scope"]

    def fit_parts(f):
        parts = []
        fit, prods, buys, kw = fit_of(f)
        if fit:
            _, code, s = fit
            if code == "adjacent_segment":
                way = "up" if s in scope["ups"] else "down"
                # the wanted segment(s) it sits next to: the ones it feeds, or that feed it
                nxt = chain.feeds_out.get(s, ()) if way == "up" else chain.feeds_in.get(s, ())
                said = message(f"cand.part.adjacent_segment.{way}", segment=chain.name(s),
                               wanted=[chain.name(x) for x in nxt if x in scope["inside"]][:3])
                parts.append(_part(code, PART_POINTS[code], {"segment": s, "direction": way}, said, [s]))
            else:
                parts.append(_part(code, PART_POINTS[code], {"segment": s},
                                   message(f"cand.part.{code}", segment=chain.name(s)), [s]))
        if prods:
            customers = sorted({c for c, d in chain.sup_out.get(f, ()) if (d.get("product") or "").strip() in prods})
            parts.append(_part("product", PART_POINTS["product"], {"products": prods, "customers": customers},
                               message("cand.part.product", products=prods,
                                       customers=[chain.name(c) for c in customers[:3]]), customers))
        if buys and (not fit or fit[0] > 1):
            sellers = sorted({s for s, _ in buys})
            goods = sorted({p for _, p in buys if p})
            parts.append(_part("buys_input", PART_POINTS["buys_input"], {"suppliers": sellers, "products": goods},
                               message("cand.part.buys_input", suppliers=[chain.name(s) for s in sellers[:3]],
                                       products=goods or "-"), sellers))
        if kw:
            parts.append(_part("keyword", PART_POINTS["keyword"], {"words": kw},
                               message("cand.part.keyword", words=kw[:3]), [f]))
        return parts

    chosen = scored if limit is None else scored[:limit]
    out = []
    for neg, _, f, name in chosen:
        parts = fit_parts(f) + _standing_parts(chain, f)  # they add up to the total (tests hold them to it)
        reasons = [dict(p, code=p["part"], weight=p["points"]) for p in parts
                   if p["points"] or p["part"] == "locality" and p["facts"]["locality"] == "unknown"]
        out.append({"id": f, "name": name, "locality": loc[f], "roles": list(node[f].get("roles") or ()),
                    "score": -neg, "parts": parts, "reasons": reasons})
    segs, product = ctx["segs"], ctx["product"]
    result = {
        "gap_id": gap.get("id"),
        "wanted": {"segments": [chain.ref(s) for s in segs], "product": product, "exclude": sorted(ctx["exclude"])},
        "score_formula": CANDIDATE_FORMULA,
        "total": len(scored),
        "candidates": out,
        "data_needed": None,
    }
    if not scored and (segs or product):
        result["data_needed"] = data_needed(chain, segs, product, scope["words"])
    return result


def data_needed(chain: Chain, segs: list[str], product: str | None, words: list[str]) -> dict:
    """What data would give a gap candidates: firms of these segments, or that mention these words or supply it."""
    names = [chain.name(s) for s in segs[:6]]
    shown = {"list": words[:6], "total": len(words), "more": "list.more.items"} if words else "-"
    if product and segs:
        return message("gaps.data_needed.segment_product", segments=names, words=shown, product=product)
    if product:
        return message("gaps.data_needed.product", product=product)
    return message("gaps.data_needed.segment", segments=names, words=shown)


def chain_index(G) -> Chain:
    """An index of ``G`` to pass as ``index=`` when asking for candidates of many gaps of one graph
    (building it is the costly part; it is only valid while ``G`` is unchanged)."""
    return Chain(G)


def candidates_for_gap(G, gap: dict, *, limit: int | None = 10, index: Chain | None = None) -> dict:
    """Enterprises outside the cluster that could fill ``gap``, best first, each score with its parts.

    What a candidate must fit comes from ``gap["wanted"]`` (segments, product,
    ids to exclude such as the current single supplier).  The score is the
    sum of the candidate's ``parts`` (see the module's table and
    ``CANDIDATE_FORMULA``); ``reasons`` repeats the parts that add points in
    the older shape (``code``, ``weight``).  Ties: pinyin of the name, then id.
    ``data_needed`` (a message) says what data would produce candidates when
    there are none.

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
    ...      {"id": "y", "kind": "enterprise", "name": "另一电机厂", "locality": "abroad"}],
    ...     [{"type": "IN_SEGMENT", "source": "x", "target": "mot"},
    ...      {"type": "IN_SEGMENT", "source": "y", "target": "mot"}])
    >>> r = candidates_for_gap(G, segment_gaps(G)[0])
    >>> [(c["id"], c["score"], [(p["part"], p["points"]) for p in c["parts"]]) for c in r["candidates"]]
    [('x', 9, [('segment', 6), ('role', 2), ('locality', 1)]), ('y', 6, [('segment', 6), ('locality', 0)])]
    """
    return _candidates(index if index is not None else LocalChain(G), gap, limit)
