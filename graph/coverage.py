"""Chain coverage: who works in each segment of the chain, and how strong the segment is locally."""

from __future__ import annotations

import bisect
import heapq
from typing import Callable, Optional

from registry.messages import message

from ._chain import LOCAL, OUTSIDE, Chain, noop_progress

__all__ = ["chain_coverage", "segment_coverage", "SCORE_FORMULA", "coverage_score"]

Progress = Optional[Callable[[int, int, str], None]]

WEIGHTS = {"enterprises": 40, "leader": 20, "platforms": 20, "projects": 20}
SATURATION = {"enterprises": 5, "platforms": 2, "projects": 2}
LEVELS = (("strong", 70), ("medium", 40), ("weak", 0.0001), ("none", 0))
PLANNED_WEIGHT = 0.5

SCORE_FORMULA = {
    **message("analysis.formula.score"),
    "weights": WEIGHTS,
    "saturation": SATURATION,
    "planned_weight": PLANNED_WEIGHT,
    "levels": {"strong": 70, "medium": 40, "weak": "> 0", "none": 0},
}


def coverage_score(local_enterprises: int, has_leader: bool, platforms: float, projects: float) -> dict:
    """The coverage score of one segment from its four counts, with each part shown.

    Examples
    --------
    >>> coverage_score(3, False, 1, 0)["score"]
    34.0
    >>> coverage_score(7, True, 2, 2.5)["level"]
    'strong'
    """
    parts = {
        "enterprises": round(WEIGHTS["enterprises"] * min(local_enterprises, SATURATION["enterprises"])
                             / SATURATION["enterprises"], 1),
        "leader": float(WEIGHTS["leader"] if has_leader else 0),
        "platforms": round(WEIGHTS["platforms"] * min(platforms, SATURATION["platforms"])
                           / SATURATION["platforms"], 1),
        "projects": round(WEIGHTS["projects"] * min(projects, SATURATION["projects"])
                          / SATURATION["projects"], 1),
    }
    score = round(sum(parts.values()), 1)
    level = next(name for name, floor in LEVELS if score >= floor)
    return {"score": score, "level": level, "score_parts": parts}


def _weight(chain: Chain, n: str) -> float:
    return PLANNED_WEIGHT if chain.node[n].get("status") == "planned" else 1.0


def _firm_order(chain: Chain):
    """Listing order of enterprises: leading firms (链主/龙头) first, then by name and id (a sort key, so that
    nothing global has to be rebuilt when one firm changes)."""
    lead, name = chain.lead, chain.name
    return lambda f: (f not in lead, name(f), f)


LISTS = ("local_enterprises", "outside_enterprises", "unknown_locality_enterprises", "platforms", "projects")


def _firm_entry_key(lead: set, e: dict) -> tuple:
    """Where a listed enterprise stands in its list: leading firms first, then by name and id."""
    return (e["id"] not in lead, e["name"], e["id"])


def row_keys(chain: Chain, row: dict) -> dict[str, tuple[str, tuple | str]]:
    """Where each member listed in a coverage row stands: id -> (its list, its sort key), which
    :func:`_row` patches a row with (the enterprises by :func:`_firm_entry_key`; the rest by id)."""
    lead = chain.lead
    out: dict[str, tuple[str, tuple | str]] = {}
    for k in LISTS:
        if k in ("platforms", "projects"):
            out.update((e["id"], (k, e["id"])) for e in row[k])
        else:
            out.update((e["id"], (k, _firm_entry_key(lead, e))) for e in row[k])
    return out


def _row(chain: Chain, seg: str, limit: int | None, *, patch: tuple[dict, set, dict] | None = None) -> dict:
    """A segment's coverage row. ``patch=(row, touched, keys)``: the same, from this segment's row as it was
    before the records ``touched`` changed (every member listed, ``limit`` None): the lists keep their other
    members' entries and take the touched ones out and in again, found by ``keys`` (:func:`row_keys`, kept up
    to date here; empty: indexed after this patch)."""
    d = chain.node[seg]
    sub = chain.seg_subtree.get(seg, [seg])
    subset = set(sub)
    loc = chain.loc

    def via(n):
        return [s for s in chain.ent_segs.get(n, ()) if s in subset]

    rank = _firm_order(chain)

    def firms_out(ids):
        ids = sorted(ids, key=rank) if limit is None else heapq.nsmallest(limit, ids, key=rank)
        return [dict(chain.firm_ref(f), via=via(f)) for f in ids]

    def other(p):
        pd = chain.node[p]
        return {"id": p, "name": chain.name(p), "kind": pd.get("kind"), "status": pd.get("status"),
                "level": pd.get("level"), "type": pd.get("platform_type") or pd.get("project_type"),
                "locality": pd.get("locality") or "unknown", "via": via(p)}

    if patch is None:
        m = chain.members(seg)
        local, outside, unknown = [], [], []
        for f in m.get("enterprise", []):
            x = loc[f]
            (local if x == LOCAL else outside if x in OUTSIDE else unknown).append(f)
        platforms = [p for p in m.get("platform", []) if chain.node[p].get("locality") not in OUTSIDE]
        projects = [p for p in m.get("project", []) if chain.node[p].get("locality") not in OUTSIDE]
        direct_local = sum(1 for f in chain.direct.get(seg, ())
                           if loc[f] == LOCAL and chain.node[f].get("kind") == "enterprise")
        lists = {"local_enterprises": firms_out(local), "outside_enterprises": firms_out(outside),
                 "unknown_locality_enterprises": firms_out(unknown),
                 "platforms": [other(p) for p in platforms[:limit]], "projects": [other(p) for p in projects[:limit]]}
    else:
        before, touched, keys = patch
        lists = {k: list(before[k]) for k in LISTS}  # copies (C speed): the row from before stays as it was
        lead = chain.lead

        def firm_key(e):
            return _firm_entry_key(lead, e)

        def id_key(e):
            return e["id"]

        gone_local: list[dict] = []  # the entries of touched local firms taken out
        if keys:  # where each listed member stands (its list and sort key when it was put in): bisect it out
            def stored(e):
                return keys[e["id"]][1]
            for f in touched:
                got = keys.get(f)
                if got is not None:
                    lst = lists[got[0]]
                    i = bisect.bisect_left(lst, got[1], key=stored)
                    if got[0] == "local_enterprises":
                        gone_local.extend(e for e in lst[i:i + 1] if e["id"] == f)
                    if i < len(lst) and lst[i]["id"] == f:
                        del lst[i]
                    else:  # not where its key says: a defect, but never a wrong row
                        gone_local.extend(e for e in lst if e["id"] == f and got[0] == "local_enterprises")
                        lists[got[0]] = [e for e in lst if e["id"] != f]
                    del keys[f]
        else:
            gone_local.extend(e for e in before["local_enterprises"] if e["id"] in touched)
            lists = {k: [e for e in lists[k] if e["id"] not in touched] for k in LISTS}
        # the local firms directly in this segment, by difference (a listed firm's ``via`` names the segments of
        # this subtree it is directly in), not a pass over the segment's direct members
        direct_local = before["counts"]["direct_local_enterprises"] - sum(1 for e in gone_local if seg in e["via"])
        for f in sorted(touched):
            if f not in chain.node or not subset.intersection(chain.ent_segs.get(f, ())):
                continue
            kind = chain.kind(f)
            if kind == "enterprise":
                x = loc[f]
                key = "local_enterprises" if x == LOCAL else "outside_enterprises" if x in OUTSIDE \
                    else "unknown_locality_enterprises"
                e = dict(chain.firm_ref(f), via=via(f))
                bisect.insort(lists[key], e, key=firm_key)
                if key == "local_enterprises" and seg in e["via"]:
                    direct_local += 1
                if keys:
                    keys[f] = (key, firm_key(e))
            elif kind in ("platform", "project") and chain.node[f].get("locality") not in OUTSIDE:
                bisect.insort(lists[kind + "s"], other(f), key=id_key)
                if keys:
                    keys[f] = (kind + "s", f)
        if keys is not None and not keys:  # the first patch of this segment: index its members once
            keys.update(row_keys(chain, lists))
        local = lists["local_enterprises"]
        outside, unknown = lists["outside_enterprises"], lists["unknown_locality_enterprises"]
        platforms = [e["id"] for e in lists["platforms"]]
        projects = [e["id"] for e in lists["projects"]]
    leaders = sorted({f for s in sub for f in chain.leaders.get(s, ())})
    # the local leading firms: the segment's CHAIN_LEADER firms that are local, and the local firms in it with a
    # leading role (chain.lead: a few, so this does not walk the members)
    local_leaders = sorted({f for f in leaders if chain.is_local(f)} | {
        f for f in chain.lead if chain.is_local(f) and not subset.isdisjoint(chain.ent_segs.get(f, ()))})
    p_count = sum(_weight(chain, p) for p in platforms)
    j_count = sum(_weight(chain, p) for p in projects)
    sc = coverage_score(len(local), bool(local_leaders), p_count, j_count)

    parts = sc["score_parts"]
    explain = message("cov.explain", local=len(local), enterprises=parts["enterprises"],
                      leader=message("cov.leader.yes") if local_leaders else message("cov.leader.no"),
                      leader_points=parts["leader"], platforms=p_count, platform_points=parts["platforms"],
                      projects=j_count, project_points=parts["projects"], score=sc["score"])
    return {
        "id": seg,
        "name": chain.name(seg),
        "stage": d.get("stage"),
        "position": d.get("position") or 0,
        "depth": chain.seg_depth.get(seg, 0),
        "parent": chain.seg_parent.get(seg),
        "children": list(chain.seg_children.get(seg, ())),
        "upstream": sorted(chain.feeds_in.get(seg, ())),
        "downstream": sorted(chain.feeds_out.get(seg, ())),
        "counts": {
            "local_enterprises": len(local),
            "direct_local_enterprises": direct_local,
            "outside_enterprises": len(outside),
            "unknown_locality_enterprises": len(unknown),
            "platforms": len(platforms),
            "projects": len(projects),
            "chain_leaders": len(leaders),
        },
        "score": sc["score"],
        "level": sc["level"],
        "score_parts": parts,
        "score_explain": explain,
        **lists,
        "chain_leaders": [chain.firm_ref(f) for f in leaders],
        "local_leaders": local_leaders,
        "truncated": limit is not None and max(len(local), len(outside), len(unknown), len(platforms),
                                               len(projects)) > limit,
    }


def _coverage(chain: Chain, *, members_limit: int | None = None, progress: Progress = None) -> dict:
    progress = progress or noop_progress
    rows = []
    total = len(chain.seg_order)
    for i, seg in enumerate(chain.seg_order):
        rows.append(_row(chain, seg, members_limit))
        progress(i + 1, total, "coverage")
    levels = {name: 0 for name, _ in LEVELS}
    for r in rows:
        levels[r["level"]] += 1
    return {"score_formula": SCORE_FORMULA, "segments": rows, "levels": levels, "members_limit": members_limit}


def limit_members(coverage: dict, members_limit: int | None = 20) -> dict:
    """A coverage result with at most ``members_limit`` members per list (counts stay exact).

    The same as computing it with ``members_limit``, from a result computed with every member listed.
    """
    if members_limit is None or coverage.get("members_limit") is not None:
        return coverage
    rows = []
    for r in coverage["segments"]:
        row = dict(r)
        lists = ("local_enterprises", "outside_enterprises", "unknown_locality_enterprises", "platforms", "projects")
        for key in lists:
            row[key] = r[key][:members_limit]
        row["truncated"] = max(len(r[key]) for key in lists) > members_limit
        rows.append(row)
    return dict(coverage, segments=rows, members_limit=members_limit)


def chain_coverage(G, *, members_limit: int | None = None, progress: Progress = None) -> dict:
    """Coverage of every chain segment, in chain order (roots by position, children depth-first).

    For each segment: the local enterprises, enterprises outside the cluster
    (and of unknown locality), platforms, projects and chain leaders, counted
    directly and through its sub-segments (``PART_OF``), plus a coverage score::

        score = 40*min(E, 5)/5 + 20*L + 20*min(P, 2)/2 + 20*min(J, 2)/2

    E = local enterprises, L = 1 when a local chain leader or leading firm
    (链主/龙头) is there, P = platforms and J = projects not recorded outside
    the cluster (planned ones count half).  Levels: strong >= 70,
    medium >= 40, weak > 0, none = 0.  The formula is also returned as
    ``result["score_formula"]`` and each row explains its own score.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A graph from :func:`graph.build.build_graph`.
    members_limit : int, optional
        List at most this many members per list (counts stay exact).
    progress : callable(done, total, label), optional
        Called after each segment.

    Returns
    -------
    dict
        ``{"score_formula", "segments": [row, ...], "levels": {level: count}, "members_limit"}``.

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph(
    ...     [{"id": "mag", "kind": "segment", "name": "磁材"},
    ...      {"id": "ndfeb", "kind": "segment", "name": "钕铁硼"},
    ...      {"id": "a", "kind": "enterprise", "name": "甲", "locality": "cluster"}],
    ...     [{"type": "PART_OF", "source": "ndfeb", "target": "mag"},
    ...      {"type": "IN_SEGMENT", "source": "a", "target": "ndfeb"}])
    >>> [(r["id"], r["counts"]["local_enterprises"], r["score"]) for r in chain_coverage(G)["segments"]]
    [('mag', 1, 8.0), ('ndfeb', 1, 8.0)]
    """
    return _coverage(Chain(G), members_limit=members_limit, progress=progress)


def segment_coverage(G, segment: str, *, members_limit: int | None = None) -> dict:
    """The coverage row of one segment (see :func:`chain_coverage`).

    Raises
    ------
    EntityNotFound
        If ``segment`` is not a segment of ``G``.
    """
    chain = Chain(G)
    chain.require(segment, "segment")
    return dict(_row(chain, segment, members_limit), score_formula=SCORE_FORMULA)
