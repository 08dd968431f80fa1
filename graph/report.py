"""The full gap report.

``gap_report`` runs every analysis over one pass of the graph and returns
plain data (JSON-serialisable, deterministic order): counts, codes, ids and
messages (``registry.messages.localise`` spells them out; the CLI's text form
is ``xijin.report_text``).
"""

from __future__ import annotations

from collections import Counter
from operator import itemgetter
from typing import Callable, Optional

from registry.messages import message
from registry.model import LOCAL, OUTSIDE

from ._chain import SEVERITIES, SEVERITY_RANK, Chain, fact, noop_progress
from .candidates import CANDIDATE_FORMULA, _candidates
from .coverage import SCORE_FORMULA, _coverage
from .errors import GapNotFound, InvalidOption
from .gaps import DEFAULT_FEW, FIELDS, _capability_gaps, _data_gaps, _merge_needs, _segment_gaps, _upstream_gaps
from .supply import EXAMPLES, _bridge_gaps, _CutStructure, _cut_point_gaps, _dependence_gaps
from .targets import MEASURABILITY, _target_gaps, _target_progress

__all__ = ["gap_report", "all_gaps", "find_gap", "resolve_gap_id", "CATEGORIES", "DATA_CATEGORY"]

Progress = Optional[Callable[[int, int, str], None]]

# the order gaps are shown in: what the plan names first, then the chain, then dependence, then targets.
# Missing data is not a gap of the chain: data gaps (graph.gaps.data_gaps) go to the data to-do list and are
# only counted here (summary "data_todo").
CATEGORIES = ("capability", "segment", "upstream", "dependence", "cut_point", "bridge", "target")
DATA_CATEGORY = "data"
CATEGORY_RANK = {c: i for i, c in enumerate(CATEGORIES + (DATA_CATEGORY,))}
# how many first-screen entries get their candidates counted before the first screen is chosen
TOP_POOL_FACTOR = 3
MEMBERS_LIMIT = 20


def _order(g: dict) -> tuple:
    return (SEVERITY_RANK[g["severity"]], CATEGORY_RANK[g["category"]], -g.get("impact", 0), g["id"])


def _merge_clause_group(chain: Chain, first: dict) -> dict:
    """One first-screen entry for a plan clause that names several segments or targets."""
    gaps = [first] + first.pop("grouped")
    subjects = [s for g in gaps for s in g["subjects"]]
    ids = [s["id"] for s in subjects]
    names = [s["name"] for s in subjects]
    clause = first["clause"]
    segs = [x for g in gaps for x in g["wanted"]["segments"]]
    segs = list(dict.fromkeys(segs))
    empty = [chain.name(x) for x in segs if not chain.local_firms(x)]
    local = sorted({f for x in segs for f in chain.local_firms(x)})
    where = message("gap.part.where", doc=clause.get("doc"), section=clause.get("section")) \
        if clause.get("doc") else ""
    said = {
        "shown": {"list": [message("gap.part.quoted", name=n) for n in names[:8]], "total": len(names),
                  "more": "list.more.items_tight"},
        "where": where,
        "quote": " ".join((clause.get("quote") or "").split()).rstrip("。；，;, "),
    }
    state = {"empty": empty, "n": len(local), "names": [chain.name(f) for f in local[:5]]}
    if empty and local:
        reason = message("gap.capability.group.reason_empty_local", **said, **state)
    elif empty:
        reason = message("gap.capability.group.reason_empty", **said, empty=empty)
    elif local:
        reason = message("gap.capability.group.reason_local", **said, n=state["n"], names=state["names"])
    else:
        reason = message("gap.capability.group.reason", **said)
    merged = dict(first)
    merged.update(
        subjects=subjects, subject_ids=ids, group_ids=[g["id"] for g in gaps],
        title=message("gap.capability.group.title",
                      names={"list": names[:4], "total": len(names), "more": "list.more.items"}),
        reason=reason,
        facts=[f for g in gaps for f in g["facts"][:1]] + [
            fact("fact.capability.group", ids, n=len(gaps), names=names)],
        wanted={"segments": segs, "product": None, "exclude": []},
        impact=max(g["impact"] for g in gaps))
    return merged


def _gaps_by_category(chain: Chain, *, few: int, progress: Callable, step: int, total: int) -> tuple[dict, list, int]:
    def tick(label: str) -> None:
        nonlocal step
        step += 1
        progress(step, total, label)

    out: dict[str, list] = {}
    for category, label, find in (
        ("segment", "segment gaps", lambda: _segment_gaps(chain, few)),
        ("upstream", "upstream gaps", lambda: _upstream_gaps(chain)),
        ("capability", "capability gaps", lambda: _capability_gaps(chain, few)),
        ("dependence", "dependence gaps", lambda: _dependence_gaps(chain)),
    ):
        out[category] = find()
        tick(label)
    # one gap per real need: a plan-named segment absorbs its segment gap and its sub-segments' gaps
    out["capability"], out["segment"], aliases = _merge_needs(chain, out["capability"], out["segment"])
    cs = _CutStructure(chain)
    tick("supply network structure")
    out["cut_point"] = _cut_point_gaps(chain, cs)
    out["bridge"] = _bridge_gaps(chain, cs)
    tick("cut points and bridges")
    rows = _target_progress(chain)
    out["target"] = _target_gaps(chain, rows)
    tick("targets")
    data = _data_gaps(chain)
    tick("data gaps")
    return {c: out[c] for c in CATEGORIES}, rows, step, aliases, data


def all_gaps(G, *, few: int = DEFAULT_FEW, progress: Progress = None) -> list[dict]:
    """Every gap of every category in one list: by severity, then category (``CATEGORIES``), impact and id.

    Data gaps are not in it (they are the data to-do list: :func:`graph.data_gaps`).

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": "s", "kind": "segment", "name": "储氢材料"},
    ...                  {"id": "a", "kind": "enterprise", "name": "甲", "locality": "cluster"}], [])
    >>> [g["id"] for g in all_gaps(G)]
    ['segment:s']
    """
    chain = Chain(G)
    grouped, _, _, _, _ = _gaps_by_category(chain, few=few, progress=progress or noop_progress, step=0, total=8)
    return sorted((g for gs in grouped.values() for g in gs), key=_order)


def find_gap(G, gap_id: str, *, few: int = DEFAULT_FEW) -> dict:
    """The gap with this id, recomputed from ``G`` (only its own category is computed).

    The id of a gap folded into a plan-named need (``segment:…`` of the need's
    segment or of a segment below it) gives the need (see :func:`resolve_gap_id`).
    A data gap's id (``data:…``) still gives that data gap.

    Raises
    ------
    GapNotFound
        If no gap of the current graph has this id.
    """
    category = gap_id.split(":", 1)[0]
    chain = Chain(G)
    if category in ("segment", "capability"):
        cap, seg, aliases = _merge_needs(chain, _capability_gaps(chain, few), _segment_gaps(chain, few))
        gap_id = aliases.get(gap_id, gap_id)
        gaps = cap + seg
    elif category == "upstream":
        gaps = _upstream_gaps(chain)
    elif category == "dependence":
        gaps = _dependence_gaps(chain)
    elif category in ("cut_point", "bridge"):
        cs = _CutStructure(chain)
        gaps = _cut_point_gaps(chain, cs) if category == "cut_point" else _bridge_gaps(chain, cs)
    elif category == "target":
        gaps = _target_gaps(chain)
    elif category == DATA_CATEGORY:
        gaps = _data_gaps(chain)
    else:
        gaps = []
    for g in gaps:
        if g["id"] == gap_id:
            return g
    raise GapNotFound(message("err.graph.no_gap", id=gap_id))


def resolve_gap_id(G, gap_id: str, *, few: int = DEFAULT_FEW) -> str:
    """The id a gap has now: the need's id for a gap folded into a plan-named need, else ``gap_id`` itself."""
    if gap_id.split(":", 1)[0] not in ("segment", "capability"):
        return gap_id
    chain = Chain(G)
    return _merge_needs(chain, _capability_gaps(chain, few), _segment_gaps(chain, few))[2].get(gap_id, gap_id)


def gap_report(G, *, progress: Progress = None, few: int = DEFAULT_FEW, top: int = 10,
               candidates_per_gap: int = 3, members_limit: int | None = MEMBERS_LIMIT) -> dict:
    """The full gap report of a registry graph.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        From :func:`graph.build.build_graph`.
    progress : callable(done, total, label), optional
        Called after each step (for a CLI progress bar).
    few : int
        A segment with fewer local enterprises than this is a gap.
    top : int
        How many gaps to put in ``top_gaps`` (the first screen).
    candidates_per_gap : int
        Candidates attached to each top gap.
    members_limit : int or None
        Members listed per coverage list (counts stay exact).

    Returns
    -------
    dict
        ``summary`` (counts: entities, gaps by category and severity, targets by
        measurability, ``data_todo``: how many data gaps went to the data to-do
        list, by severity, and by missing field), ``top_gaps`` (the first screen,
        one per subject, each with ``candidates``, ``candidates_total`` and
        ``data_needed`` when there are none: plan-named needs and gaps with
        candidates first, then the others, each in severity, category, impact
        order), ``gaps`` (every gap, grouped by category in ``CATEGORIES`` order,
        one per real need: a plan-named segment carries its sub-segments as
        ``parts``; in ``top_gaps`` the capability gaps citing the same clause
        are merged into one entry whose ``group_ids`` lists them), ``aliases``
        (the id of each gap folded into a need -> the need's id),
        ``coverage`` (see :func:`graph.chain_coverage`), ``target_progress``,
        ``score_formula``, ``candidate_formula`` and ``approximations``
        (what is estimated or cut short, and when).

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": "s", "kind": "segment", "name": "储氢材料"}], [])
    >>> r = gap_report(G)
    >>> r["summary"]["gaps"]["total"], [g["id"] for g in r["top_gaps"]]
    (1, ['segment:s'])
    """
    if top < 0 or candidates_per_gap < 0:
        raise InvalidOption(message("err.graph.negative_option", top=top, candidates_per_gap=candidates_per_gap))
    return _gap_report(G, progress=progress or noop_progress, few=few, top=top,
                       candidates_per_gap=candidates_per_gap, members_limit=members_limit)


def _gap_report(G, *, progress=noop_progress, few=DEFAULT_FEW, top=10, candidates_per_gap=3,
                members_limit=MEMBERS_LIMIT, chain: Chain | None = None, coverage: dict | None = None) -> dict:
    """The report; ``chain`` and ``coverage`` may come from a caller that has them already (graph.Analysis)."""
    total = 11
    progress(0, total, "index")
    chain = chain if chain is not None else Chain(G)
    progress(1, total, "index")
    if coverage is None:
        coverage = _coverage(chain, members_limit=members_limit)
    members_limit = coverage["members_limit"]
    progress(2, total, "coverage")
    grouped, rows, step, aliases, data = _gaps_by_category(chain, few=few, progress=progress, step=2, total=total)
    report = _assemble(chain, coverage, grouped, rows, aliases, data, few=few, top=top,
                       candidates_per_gap=candidates_per_gap)
    progress(total, total, "done")
    return report


_severity = itemgetter("severity")


def _tallies(chain: Chain, grouped: dict, data: list) -> dict:
    """The counts the report's summary is made of: enterprises by locality, gaps by category and severity,
    data gaps by severity, missing field and kind. :func:`tally` keeps them up to date by difference."""
    t = {"locs": Counter(map(chain.loc.__getitem__, chain.by_kind.get("enterprise", ()))),
         "sev": {c: Counter(map(_severity, grouped[c])) for c in CATEGORIES},
         "data": {"total": 0, "sev": Counter(), "missing": Counter(), "implied": 0}}
    for g in data:
        tally(t, data_gap=g)
    return t


def tally(t: dict, *, gap: dict | None = None, data_gap: dict | None = None, firm: dict | None = None,
          sign: int = 1) -> None:
    """Count one gap, data gap or enterprise record into (``sign`` -1: out of) tallies of :func:`_tallies`."""
    if gap is not None:
        t["sev"][gap["category"]][gap["severity"]] += sign
    if data_gap is not None:
        dt = data_gap
        d = t["data"]
        d["total"] += sign
        d["sev"][dt["severity"]] += sign
        for f in dt.get("missing", ()):
            d["missing"][f] += sign
        if dt["kind"] == "implied_relation":
            d["implied"] += sign
    if firm is not None and firm.get("kind") == "enterprise":
        t["locs"][firm.get("locality") or "unknown"] += sign


def _assemble(chain: Chain, coverage: dict, grouped: dict, rows: list, aliases: dict, data: list, *, few: int,
              top: int, candidates_per_gap: int, candidates: Callable | None = None,
              ordered: list | None = None, tallies: dict | None = None) -> dict:
    """The report from its parts: every gap by category, target rows, aliases and data gaps, computed here or
    kept up to date by ``graph.Analysis``; ``candidates(entry, limit)`` gives a first-screen entry's
    candidates (default: computed); ``ordered``: every gap in :func:`_order` already, when the caller has it;
    ``tallies``: the counts of the summary (:func:`_tallies`), when the caller keeps them (then ``data`` is not
    read)."""
    candidates = candidates or (lambda entry, k: _candidates(chain, entry, k))
    members_limit = coverage["members_limit"]
    if ordered is None:
        ordered = sorted((g for c in CATEGORIES for g in grouped[c]), key=_order)
    # a pool larger than the first screen: its candidates decide which gaps make the first screen
    pool_size = top * TOP_POOL_FACTOR
    pool, seen_subjects, by_clause = [], set(), {}
    for g in ordered:
        if len(pool) >= pool_size and g["category"] != "capability":
            continue  # the pool is full; later capability gaps may still join a clause shown
        key = tuple(sorted(g["subject_ids"]))
        if key in seen_subjects:
            continue  # the same segment named by the plan and empty: show it once, with the clause
        clause = g.get("clause") if g["category"] == "capability" else None
        where = (clause.get("doc"), clause.get("section")) if clause else None
        quote = "".join((clause.get("quote") or "").split()) if clause else ""
        # one clause naming several segments (or one quoted more or less fully): one entry
        same = next((e for q, e in by_clause.get(where, ()) if quote and (quote in q or q in quote)), None)
        if same is not None:
            same["grouped"].append(g)
            seen_subjects.add(key)
            continue
        if len(pool) >= pool_size:
            continue
        seen_subjects.add(key)
        entry = dict(g, grouped=[])
        if where:
            by_clause.setdefault(where, []).append((quote, entry))
        pool.append(entry)
    for i, entry in enumerate(pool):
        if entry["grouped"]:
            entry = pool[i] = _merge_clause_group(chain, entry)
        if entry["wanted"]["segments"] or entry["wanted"]["product"]:
            got = candidates(entry, candidates_per_gap)
            entry["candidates"], entry["candidates_total"] = got["candidates"], got["total"]
            entry["data_needed"] = got["data_needed"]
        else:
            entry["candidates"], entry["candidates_total"], entry["data_needed"] = [], 0, None
    # the first screen: gaps someone can act on first — a plan-named need or a gap with candidates —
    # then the rest; within each, the order above (severity, category, impact, id)
    top_gaps = sorted(pool, key=lambda e: 0 if e["category"] == "capability" or e["candidates_total"] else 1)[:top]
    if not candidates_per_gap:
        for entry in top_gaps:
            entry["candidates"] = []

    kinds = {k: len(v) for k, v in sorted(chain.by_kind.items()) if k}
    firms = chain.by_kind.get("enterprise", [])
    t = tallies if tallies is not None else _tallies(chain, grouped, data)
    locs, dt = t["locs"], t["data"]
    n_local = locs[LOCAL]
    n_outside = sum(locs[x] for x in OUTSIDE)
    by_cat = {}
    for c in CATEGORIES:
        sev = t["sev"][c]
        by_cat[c] = {s: sev[s] for s in SEVERITIES}
        by_cat[c]["total"] = len(grouped[c])
    by_sev = {s: sum(by_cat[c][s] for c in CATEGORIES) for s in SEVERITIES}
    missing = {f: dt["missing"][f] for f in FIELDS}
    implied = dt["implied"]
    data_sev = dt["sev"]
    summary = {
        "entities": kinds,
        "relations": chain.n_edges,
        "enterprises": {"total": len(firms), "local": n_local, "outside": n_outside,
                        "unknown_locality": len(firms) - n_local - n_outside},
        "segments": {"total": len(chain.seg_order), "levels": coverage["levels"]},
        "gaps": {"total": sum(by_sev.values()), "by_severity": by_sev, "by_category": by_cat},
        "targets": {m: sum(1 for r in rows if r["measurability"] == m) for m in MEASURABILITY}
        | {"behind": sum(1 for r in rows if r["status"] == "behind"),
           "met": sum(1 for r in rows if r["status"] == "met")},
        "data_missing_fields": missing,
        "implied_relations": implied,
        # what went to the data to-do list instead of the gaps
        "data_todo": {"total": dt["total"], "by_severity": {s: data_sev[s] for s in SEVERITIES}},
        "merged_gaps": len(aliases),
    }
    approximations = [
        dict(message("analysis.approx.cut_points_bridges"), what="cut_points_bridges", exact=True),
        dict(message("analysis.approx.listing_limits", members=members_limit, examples=EXAMPLES) if members_limit
             else message("analysis.approx.listing_limits_cut_points", examples=EXAMPLES),
             what="listing_limits", exact=True),
        dict(message("analysis.approx.betweenness"), what="betweenness", exact=None),
    ]
    return {
        "summary": summary,
        "top_gaps": top_gaps,
        "gaps": grouped,
        "coverage": coverage,
        "target_progress": rows,
        "score_formula": SCORE_FORMULA,
        "candidate_formula": CANDIDATE_FORMULA,
        "approximations": approximations,
        "options": {"few": few, "top": top, "candidates_per_gap": candidates_per_gap, "members_limit": members_limit},
        "aliases": aliases,
    }
