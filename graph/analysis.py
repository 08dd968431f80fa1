"""One analysis object per registry snapshot: every result the pages, the API and the CLI ask for.

``Analysis(G)`` is built over a graph from :func:`graph.build_graph` and memoises
what several pages reuse: the chain index (built once), coverage, the gap report,
candidates per gap, the chain board, partner lists and the chain leaders. Results
are plain data — codes, ids, numbers, facts, clause references and messages
(``{"msg", "params"}``, spelled out by ``registry.messages``) — never words for
people.

A write to the registry is applied to the same object (:meth:`Analysis.apply`): the
graph is changed in place and each memoised piece is brought up to date in
proportion to what the write touched — the chain index table by table, coverage and
segment gaps per touched segment, dependence and data gaps per touched firm,
candidates per gap whose scope the write reached, the chain map's views member by member
(:class:`graph.chainboard.MapView`), and the rest only when its inputs changed (see
:class:`Footprint`). Every computation, and the change itself, holds one lock, so a
request never sees a half-applied change (a request still holding the previous
snapshot sees the newer data). The result equals a fresh
``Analysis(build_graph(...))`` over the registry as it is now
(tests/graph/test_incremental.py holds it to that after random writes).
"""

from __future__ import annotations

import bisect
import threading
from typing import Any, Callable, Iterable

import numpy as np

from registry.model import ROLE_CHAIN_LEADER

from ._chain import Chain, chain_apply, gap_sort_key, patch_members
from .build import apply_changes, graph_changes
from .candidates import _candidates, _firm_fit, _rescored
from .coverage import LEVELS, SCORE_FORMULA, _row, limit_members, row_keys
from .gaps import DEFAULT_FEW, _ancestors, _capability_gaps, _firm_data_gap, _implied_gap, _merge_needs, _segment_gap, _upstream_gap
from .report import CATEGORIES, DATA_CATEGORY, _assemble, _order, _tallies, tally
from .supply import _bridge_gap, _CutStructure, _cut_point_gap, _firm_dependence_gaps
from .targets import _progress_row, _recounted_row, _target_gaps, _target_progress

__all__ = ["Analysis", "Footprint", "gap_concerns", "gap_segments", "hop_distances", "SEVERITY_ORDER",
           "UNREAD_FIELDS"]

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
REPORT_TOP = 10
REPORT_CANDIDATES = 3
# chain-map views kept (and patched by each write): each holds every member's lane, ~1.4 MB at 10k firms
MAP_VIEWS_KEPT = 16
# record fields no analysis reads (only the partner lists show them, and those are dropped on every write):
# a change to these alone keeps every result (tests/graph/test_incremental.py checks graph/ never names them)
UNREAD_FIELDS = frozenset({"address", "contact_person", "email", "phone", "website", "version", "date", "doc_no",
                           "file", "investment", "issuer", "listing_status", "size_band"})
# the fields of a firm the target rules count by (graph.targets: roles, revenue band, locality)
TARGET_FIRM_FIELDS = frozenset({"kind", "locality", "roles", "revenue_band", "status"})
# memoised results of the web layer (``presented:…``) kept across a write when what they show did not change
_KEEP_ALWAYS = ("presented:score_formula",)


def gap_concerns(gap: dict, segment: str) -> bool:
    """Whether a gap is about ``segment``: it is one of the gap's subjects or a segment the gap wants filled."""
    return segment in (gap.get("subject_ids") or ()) or segment in ((gap.get("wanted") or {}).get("segments") or ())


def gap_segments(gap: dict) -> set[str]:
    """Every segment a gap concerns (see :func:`gap_concerns`)."""
    return set(gap.get("subject_ids") or ()) | set((gap.get("wanted") or {}).get("segments") or ())


def hop_distances(centre: str, links: Iterable[tuple[str, str]]) -> dict[str, int]:
    """How many links (taken both ways) separate each reachable record from ``centre``.

    >>> hop_distances("a", [("a", "b"), ("c", "b"), ("d", "e")])
    {'a': 0, 'b': 1, 'c': 2}
    """
    adj: dict[str, set] = {}
    for u, v in links:
        adj.setdefault(u, set()).add(v)
        adj.setdefault(v, set()).add(u)
    dist = {centre: 0}
    frontier = [centre]
    while frontier:
        nxt = []
        for n in frontier:
            for m in sorted(adj.get(n, ())):
                if m not in dist:
                    dist[m] = dist[n] + 1
                    nxt.append(m)
        frontier = nxt
    return dist


class Footprint:
    """What a change touched, as the memoised pieces ask it (plain sets; computed by :meth:`Analysis.apply`).

    ``recs``: records whose analysed fields changed, that came or went, or at an end of a relation that
    changed; ``fields``: record id -> the analysed fields that changed (every field for one that came or
    went); ``types``: relation types added or removed; ``segments``: segments whose members or standing may
    have changed (the segments of every touched record, before and after, with every segment above them,
    and touched segments themselves); ``tree``: the segment tree changed (segments came, went or moved, or
    PART_OF / FEEDS relations changed) or a segment's own record changed; ``near``: ``recs`` and their
    supply and partner neighbours, before and after (whose candidate standing may have changed);
    ``supply_net``: touched records in the supply network before or after.
    """

    def __init__(self):
        self.recs: set[str] = set()
        self.fields: dict[str, set] = {}
        self.types: set[str] = set()
        self.segments: set[str] = set()
        self.tree = False
        self.near: set[str] = set()
        self.score_near: set[str] = set()  # the firms whose candidate score may have changed (see _touch)
        self.buy_near: dict[str, set] = {}  # customer -> segments a supplier of it joined or left
        self.standing_near: set[str] = set()  # neighbours of a record whose locality changed (their standing)
        self.edge_types: dict[str, set] = {}  # record -> types of the changed relations at it
        self.supply_net: set[str] = set()
        self.kinds: set[str] = set()

    @property
    def quiet(self) -> bool:
        """Nothing an analysis reads changed (e.g. a phone number)."""
        return not self.recs and not self.types

    def as_dict(self) -> dict:
        return {"records": len(self.recs), "types": sorted(self.types), "segments": len(self.segments),
                "tree": self.tree, "quiet": self.quiet}


class Analysis:
    """The analyses of one graph, each computed at most once and kept up to date by :meth:`apply`
    (thread-safe: one lock for the computations and the changes)."""

    def __init__(self, G, *, few: int = DEFAULT_FEW):
        self.G = G
        self.few = few
        self._memo: dict[str, Any] = {}
        self._lock = threading.RLock()  # memoised results may use other memoised results
        self.last_apply: dict | None = None
        # the candidate lists' refresh after writes, done when a candidate list or a gap as shown is next asked
        # for (a page that shows none, like the chain map, does not wait for it): see _update_memo and settle
        self._pending: dict | None = None

    def patched(self, delta: dict) -> "Analysis":
        """A new analysis over a copy of this one's graph with ``delta`` applied (see
        :func:`graph.build.patch_graph`); this one is left as it is. (:meth:`apply` changes this one.)"""
        from .build import patch_graph

        return Analysis(patch_graph(self.G, **delta))

    @property
    def size(self) -> int:
        """How many records the graph holds."""
        return self.G.number_of_nodes()

    def has_id_prefix(self, prefix: str) -> bool:
        """Whether any record's id starts with ``prefix`` (``syn-``: the registry holds synthetic data)."""
        with self._lock:
            return any(n.startswith(prefix) for n in self.G)

    def memo(self, name: str, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if self._pending is not None and (name == "_cands" or name.startswith("presented-gap:")):
                self.settle()
            if name not in self._memo:
                self._memo[name] = compute()
            return self._memo[name]

    # ------------------------------------------------------------------ records
    def record(self, n: str) -> dict | None:
        return self.G.nodes[n] if n in self.G else None

    def name(self, n: str) -> str:
        d = self.record(n)
        return (d.get("name") or n) if d else n

    def records(self, kind: str) -> list[dict]:
        """Every record of one kind, in id order."""
        with self._lock:
            return [self.G.nodes[n] for n in self.chain.by_kind.get(kind, ())]

    def segments_of(self, n: str) -> list[str]:
        """The segments a record is directly in, by id (the order of their relations' ids, ``n>IN_SEGMENT>s``)."""
        return list(self.chain.ent_segs.get(n, ()))

    def counts(self) -> dict[str, Any]:
        """Records per kind and relations per type."""
        def compute():
            kinds: dict[str, int] = {}
            for _, kind in self.G.nodes(data="kind"):
                kinds[kind] = kinds.get(kind, 0) + 1
            rels: dict[str, int] = {}
            for _, _, k in self.G.edges(keys=True):
                rels[k] = rels.get(k, 0) + 1
            return {"entities": kinds, "relations": dict(sorted(rels.items())),
                    "total_entities": self.G.number_of_nodes(), "total_relations": self.G.number_of_edges()}
        return self.memo("counts", compute)

    # ------------------------------------------------------------------ chain
    @property
    def chain(self) -> Chain:
        """The look-up tables of the graph: built once, kept up to date by :meth:`apply`."""
        return self.memo("chain", lambda: Chain(self.G))

    def _cov_rows(self) -> dict[str, dict]:
        """Segment id -> its coverage row (every member listed), each computed once and again only when
        the segment is touched."""
        def compute():
            rows = {s: _row(self.chain, s, None) for s in self.chain.seg_order}
            # where each listed member stands in its rows (a write patches the rows with it: see _update_memo)
            self._memo["_cov_keys"] = {s: row_keys(self.chain, r) for s, r in rows.items()}
            return rows
        return self.memo("_cov_rows", compute)

    def coverage(self) -> dict:
        """Coverage of every segment with every member listed (see :func:`graph.chain_coverage`)."""
        def compute():
            by_seg = self._cov_rows()
            rows = [by_seg[s] for s in self.chain.seg_order]
            levels = {name: 0 for name, _ in LEVELS}
            for r in rows:
                levels[r["level"]] += 1
            return {"score_formula": SCORE_FORMULA, "segments": rows, "levels": levels, "members_limit": None}
        return self.memo("coverage", compute)

    def coverage_by_segment(self) -> dict[str, dict]:
        return self.memo("coverage_by_segment", lambda: {r["id"]: r for r in self.coverage()["segments"]})

    # ------------------------------------------------------------------ the gap report, piece by piece
    def _seg_gaps(self) -> dict[str, dict | None]:
        return self.memo("_seg_gaps", lambda: {s: _segment_gap(self.chain, s, self.few) for s in self.chain.seg_order})

    def _up_gaps(self) -> dict[tuple, dict | None]:
        return self.memo("_up_gaps", lambda: {(u, v): _upstream_gap(self.chain, u, v, d) for u, v, d in self.chain.feeds})

    def _dep_gaps(self) -> dict[str, list]:
        def compute():
            chain = self.chain
            return {c: got for c in chain.by_kind.get("enterprise", ()) if (got := _firm_dependence_gaps(chain, c))}
        return self.memo("_dep_gaps", compute)

    def _data_firm(self) -> dict[str, dict]:
        def compute():
            chain = self.chain
            return {n: g for n in chain.by_kind.get("enterprise", ()) if (g := _firm_data_gap(chain, n)) is not None}
        return self.memo("_data_firm", compute)

    def _implied(self) -> dict:
        """Relation id -> (its attributes, its data gap) for every relation only implied."""
        return self.memo("_implied", lambda: {d.get("id"): (d, _implied_gap(self.chain, d)) for d in self.chain.implied})

    def _cut(self) -> dict:
        """The supply network's cut structure and its two categories, gap by gap, with the ids each mentions."""
        return self.memo("_cut", lambda: self._cut_from(_CutStructure(self.chain)))

    def _cut_from(self, cs, old: dict | None = None, touched: set = frozenset()) -> dict:
        """The cut points and bridges of structure ``cs`` with their gaps. ``old``: the previous ``_cut`` (over
        another structure); each of its gaps is kept when its item's counts and examples are the same and
        no record it mentions is in ``touched``."""
        chain = self.chain
        items = {("c", a["node"]): a for a in cs.articulation_points()}
        items.update((("b", b["ends"]), b) for b in cs.bridges(BRIDGE_MIN_SIDE))  # the others have no gap
        by, sig, ment = {}, {}, {}
        index: dict[str, set] = old["index"] if old else {}
        if old:
            dirty = {k for n in touched for k in index.get(n, ())}
            ob, osig, oment = old["by"], old["sig"], old["ment"]
        for k, item in items.items():
            s = sig[k] = _cut_sig(cs, k, item)
            if old and k in osig and osig[k] == s and k not in dirty:
                by[k], ment[k] = ob[k], oment[k]
                continue
            g = by[k] = _cut_gap(chain, cs, k, item, s)
            ment[k] = _cut_mentions(k, g)
        if old:  # the index: out with what went or was made again, in with what came
            for k, ids in oment.items():
                if ment.get(k) is not ids:
                    for i in ids:
                        got = index.get(i)
                        if got is not None:
                            got.discard(k)
                            if not got:
                                del index[i]
        for k, ids in ment.items():
            if not old or oment.get(k) is not ids:
                for i in ids:
                    index.setdefault(i, set()).add(k)
        cut = {"cs": cs, "items": items, "by": by, "sig": sig, "ment": ment, "index": index, "path": "new"}
        cut["runs"] = None  # made when a locality first asks (_cut_runs)
        return self._cut_lists(cut)

    def _cut_updated(self, cut: dict, fp: "Footprint", changes) -> tuple[dict, set]:
        """``_cut`` after a write, and the ids of the gaps made again or gone. The structure is made again
        only when a cut point, a bridge or a piece can have changed: a SUPPLIES link removed, one added
        between two blocks or components or to a firm new to the network, a firm's kind changed in it.
        Else it stands: a new link inside one block changes no piece (only the gaps that mention its ends,
        and the order of the pieces at its ends, are made again); a firm's new locality is put in its place
        in the search order and only the gaps whose cut-off pieces hold it, or that mention it, are made
        again."""
        chain, cs = self.chain, cut["cs"]
        cut.pop("moved", None)  # (the gaps swapped by the write before: see the end)
        removed = {(u, v) for u, v, t, _ in changes.edges_removed if t == "SUPPLIES" and u != v}
        added = {(u, v) for u, v, t, _ in changes.edges_added if t == "SUPPLIES" and u != v}
        came = added - removed
        if (removed - added or any(not cs.same_block(u, v) for u, v in came)
                or any("kind" in fp.fields.get(n, ()) for n in fp.supply_net)):
            new = self._cut_from(_CutStructure(chain, previous=cs, removed=removed - added, added=came,
                                              touched=fp.recs), cut, fp.recs)
            new["path"] = "rebuild"
            was = {g["id"] for g in (*cut["cut_point"], *cut["bridge"])}
            kept = {id(g) for g in (*cut["cut_point"], *cut["bridge"])}
            changed = {g["id"] for g in (*new["cut_point"], *new["bridge"]) if id(g) not in kept}
            return new, changed | (was - {g["id"] for g in (*new["cut_point"], *new["bridge"])})
        redo = {k for n in fp.recs for k in cut["index"].get(n, ())}
        cs.add_links(sorted(came))
        for u, v in came:
            cs.resort(u)
            cs.resort(v)
        moved = [pos for n in sorted(fp.recs & fp.supply_net) if (pos := cs.set_local(n)) is not None]
        if moved:
            cs.refresh_counts()
            if cut["runs"] is None:
                cut["runs"] = _cut_runs(cut["items"])
            lo, hi, keys = cut["runs"]
            for pos in moved:
                redo.update(keys[i] for i in np.flatnonzero((lo <= pos) & (pos < hi)).tolist())
        # which way the last write went (the tests count them)
        cut["path"] = " ".join(w for w, on in (("same-block", came), ("locality", moved)) if on) or "mentions"
        if not redo:
            return cut, set()
        changed = set()
        items, by, sig, ment, index = cut["items"], cut["by"], cut["sig"], cut["ment"], cut["index"]
        runs_moved = False
        swaps = []  # (category, gap out, gap in)
        for k in redo:
            item = items[k]
            if by[k] is not None:
                changed.add(by[k]["id"])
            old_gap = by[k]
            new = cs.cut_point(item["v"]) if k[0] == "c" else cs.bridge(item["p"], item["c"])
            runs_moved |= _item_runs(new) != _item_runs(item)
            items[k] = new
            s = sig[k] = _cut_sig(cs, k, new)
            g = by[k] = _cut_gap(chain, cs, k, new, s)
            if g is not None:
                changed.add(g["id"])
            swaps.append(("cut_point" if k[0] == "c" else "bridge", old_gap, g))
            ids = _cut_mentions(k, g)
            for i in ment[k] - ids:
                index[i].discard(k)
            for i in ids - ment[k]:
                index.setdefault(i, set()).add(k)
            ment[k] = ids
        if runs_moved:
            cut["runs"] = None
        if len(swaps) > 200:
            return self._cut_lists(cut), changed
        # the sorted lists: new ones (the grouping compares them by identity), the gaps swapped in place
        for c in ("cut_point", "bridge"):
            lst = cut[c] = list(cut[c])
            for cat, out, came in swaps:
                if cat == c and out is not None:
                    del lst[_index_of(lst, out, gap_sort_key)]
            for cat, out, came in swaps:
                if cat == c and came is not None:
                    bisect.insort(lst, came, key=gap_sort_key)
        # the gaps that went out of the two lists and came in, for the grouping (instead of comparing every gap)
        cut["moved"] = ([out for _, out, _ in swaps if out is not None], [g for _, _, g in swaps if g is not None])
        return cut, changed

    @staticmethod
    def _cut_lists(cut: dict) -> dict:
        by = cut["by"]
        cut["cut_point"] = sorted((g for k, g in by.items() if k[0] == "c" and g is not None), key=gap_sort_key)
        cut["bridge"] = sorted((g for k, g in by.items() if k[0] == "b" and g is not None), key=gap_sort_key)
        return cut

    def _targets(self) -> dict:
        """Target progress rows and target gaps, with the ids each row names (to know which to make again)."""
        def compute():
            full: dict = {}  # target id -> every id its row counts (a write counts again only what it touched)
            return self._targets_from(_target_progress(self.chain, out=full), full)
        return self.memo("_targets", compute)

    def _targets_from(self, rows: list[dict], full: dict | None = None) -> dict:
        gaps = _target_gaps(self.chain, rows)
        ids = {r["id"]: _ids_in(r) for r in rows}
        return {"rows": rows, "gaps": gaps, "ids": ids, "counted": set().union(*ids.values()) | _mentioned(gaps),
                "full": full}

    def _grouped(self) -> dict:
        """Every gap of the report by category, the aliases of merged needs, and all of them in report order."""
        def compute():
            chain = self.chain
            seg = sorted((g for g in self._seg_gaps().values() if g is not None), key=gap_sort_key)
            cap = _capability_gaps(chain, self.few)
            cap, seg, aliases = _merge_needs(chain, cap, seg)
            dep = [g for gs in self._dep_gaps().values() for g in gs]
            dep.sort(key=gap_sort_key)
            cut = self._cut()
            out = {"capability": cap, "segment": seg,
                   "upstream": sorted((g for g in self._up_gaps().values() if g is not None), key=gap_sort_key),
                   "dependence": dep, "cut_point": cut["cut_point"], "bridge": cut["bridge"],
                   "target": self._targets()["gaps"]}
            grouped = {c: out[c] for c in CATEGORIES}
            ordered = sorted((g for c in CATEGORIES for g in grouped[c]), key=_order)
            return {"grouped": grouped, "aliases": aliases, "ordered": ordered}
        return self.memo("_grouped", compute)

    def _regrouped(self, old: dict, dep_out: list, dep_in: list) -> tuple[dict, set, list, list]:
        """The grouping of every gap after a write, from the previous one: each category list and the ordered
        list lose the gaps that went and take the new ones in place. Returns it, the ids of the gaps that
        changed (came, went, or differ from the gap of the same id before), and the gaps gone and come."""
        chain = self.chain
        seg = sorted((g for g in self._seg_gaps().values() if g is not None), key=gap_sort_key)
        cap, seg, aliases = _merge_needs(chain, _capability_gaps(chain, self.few), seg)
        cut, targets = self._cut(), self._targets()
        dep = list(old["grouped"]["dependence"])
        for g in dep_out:
            del dep[_index_of(dep, g, gap_sort_key)]
        for g in dep_in:
            bisect.insort(dep, g, key=gap_sort_key)
        grouped = {"capability": cap, "segment": seg,
                   "upstream": sorted((g for g in self._up_gaps().values() if g is not None), key=gap_sort_key),
                   "dependence": dep, "cut_point": cut["cut_point"], "bridge": cut["bridge"],
                   "target": targets["gaps"]}
        grouped = {c: grouped[c] for c in CATEGORIES}
        gone, came = list(dep_out), list(dep_in)
        moved = cut.get("moved")  # the cut-point and bridge gaps this write swapped (Analysis._cut_updated)
        if moved is not None:
            gone += moved[0]
            came += moved[1]
        for c in CATEGORIES:
            if c == "dependence" or moved is not None and c in ("cut_point", "bridge"):
                continue
            was, now = old["grouped"][c], grouped[c]
            if was is now:
                continue
            ids_was, ids_now = {id(g) for g in was}, {id(g) for g in now}
            gone += [g for g in was if id(g) not in ids_now]
            came += [g for g in now if id(g) not in ids_was]
        if len(gone) + len(came) > 2000:
            ordered = sorted((g for c in CATEGORIES for g in grouped[c]), key=_order)
        else:
            ordered = list(old["ordered"])
            for g in gone:
                del ordered[_index_of(ordered, g, _order)]
            for g in came:
                bisect.insort(ordered, g, key=_order)
        before = {g["id"]: g for g in gone}
        changed = {g["id"] for g in came if before.get(g["id"]) != g}
        changed |= set(before) - {g["id"] for g in came}
        return {"grouped": grouped, "aliases": aliases, "ordered": ordered}, changed, gone, came

    def report(self) -> dict:
        """The gap report (see :func:`graph.gap_report`), on this snapshot's chain index and coverage."""
        def compute():
            gr = self._grouped()
            tallies = self._counted()  # (so the data gaps themselves are not needed: their counts are in it)
            return _assemble(self.chain, limit_members(self.coverage()), gr["grouped"], self._targets()["rows"],
                             gr["aliases"], (), few=self.few, top=REPORT_TOP,
                             candidates_per_gap=REPORT_CANDIDATES, candidates=self._entry_candidates,
                             ordered=gr["ordered"], tallies=tallies)
        return self.memo("report", compute)

    def _counted(self) -> dict:
        """The counts of the report's summary (graph.report._tallies), kept up to date by difference."""
        return self.memo("_tallies", lambda: _tallies(self.chain, self._grouped()["grouped"], self.data_gaps()))

    def all_gaps(self) -> list[dict]:
        """Every gap of the report as one list: severity, then category, impact and id."""
        return self._grouped()["ordered"]

    def gap(self, gap_id: str) -> dict | None:
        """The gap with this id; the id of a gap folded into a need gives the need (:meth:`resolve_gap_id`)."""
        return self.memo("gaps_by_id", lambda: {g["id"]: g for g in self.all_gaps()}).get(self.resolve_gap_id(gap_id))

    def resolve_gap_id(self, gap_id: str) -> str:
        """The id a gap has now: a gap folded into a plan-named need answers with the need's id."""
        return self._grouped()["aliases"].get(gap_id, gap_id)

    def data_gaps(self) -> list[dict]:
        """What data to fill in first (see :func:`graph.data_gaps`): not gaps of the chain, the data to-do list."""
        def compute():
            gaps = list(self._data_firm().values()) + [g for _, g in self._implied().values()]
            gaps.sort(key=gap_sort_key)
            return gaps
        return self.memo("data_gaps", compute)

    def data_gap(self, gap_id: str) -> dict | None:
        if not gap_id.startswith(DATA_CATEGORY + ":"):
            return None
        return self.memo("data_gaps_by_id", lambda: {g["id"]: g for g in self.data_gaps()}).get(gap_id)

    def segment_gaps(self, segment: str) -> list[dict]:
        """The gaps concerning a segment (:func:`gap_concerns`), most urgent first."""
        return [g for g in self.all_gaps() if gap_concerns(g, segment)]

    def gap_counts(self) -> dict[str, int]:
        """Segment id -> number of gaps concerning it."""
        def compute():
            counts: dict[str, int] = {}
            for g in self.all_gaps():
                for s in gap_segments(g):
                    counts[s] = counts.get(s, 0) + 1
            return counts
        return self.memo("gap_counts", compute)

    def _cands(self, key: str, gap: dict, limit: int | None, gid: str | None = None) -> dict:
        """Candidates of one gap (or first-screen entry), memoised with what they depend on
        (``gid``: the gap's id, for the web layer's memo of the gap as shown)."""
        with self._lock:
            table = self.memo("_cands", dict)
            got = table.get(key)
            if got is None:
                deps: dict = {"gid": gid, "limit": limit, "gap": gap}
                result = _candidates(self.chain, gap, limit, deps)
                got = table[key] = (result, deps)
            return got[0]

    def _entry_candidates(self, entry: dict, limit: int) -> dict:
        w = entry.get("wanted") or {}
        key = "entry:" + repr((entry["id"], limit, w.get("segments"), w.get("product"), w.get("exclude")))
        return self._cands(key, entry, limit)

    def candidates(self, gap: dict, *, limit: int | None = 10) -> dict:
        """Ranked candidates for a gap: ``{"candidates", "total", "score_formula", "wanted", "gap_id"}``."""
        wanted = gap.get("wanted") or {}
        if not (wanted.get("segments") or wanted.get("product")):
            return {"candidates": [], "total": 0, "score_formula": None, "wanted": wanted, "data_needed": None}
        return self._cands("gap:" + repr((gap["id"], limit, wanted.get("segments"), wanted.get("product"),
                                          wanted.get("exclude"))), gap, limit, gid=gap["id"])

    def target_progress(self) -> list[dict]:
        return self._targets()["rows"]

    def data_todo(self) -> dict:
        """The data to-do list (see :func:`graph.datatodo.data_todo`), on this snapshot's chain index and targets."""
        from .datatodo import _data_todo

        return self.memo("data_todo", lambda: _data_todo(self.chain, self.target_progress()))

    # ------------------------------------------------------------------ people and places
    def chain_leaders(self) -> list[dict]:
        """Enterprises with a CHAIN_LEADER relation (with its segments and sources), or the chain-leader role."""
        def compute():
            G, chain = self.G, self.chain
            by_firm: dict[str, list[str]] = {}
            for seg, firms in chain.leaders.items():
                for u in firms:
                    if chain.kind(u) == "enterprise":
                        by_firm.setdefault(u, []).append(seg)
            leaders: dict[str, dict] = {}
            for u in sorted(by_firm):  # relations in id order ("source>CHAIN_LEADER>target")
                e = leaders[u] = {"id": u, "name": self.name(u), "segments": [], "sources": [],
                                  "locality": G.nodes[u].get("locality")}
                for v in sorted(by_firm[u], key=lambda v: G.edges[u, v, "CHAIN_LEADER"].get("id") or ""):
                    e["segments"].append({"id": v, "name": self.name(v)})
                    e["sources"] += G.edges[u, v, "CHAIN_LEADER"].get("sources") or []
            for n in chain.by_kind.get("enterprise", ()):
                e = G.nodes[n]
                if n not in leaders and ROLE_CHAIN_LEADER in (e.get("roles") or ()):
                    leaders[n] = {"id": n, "name": e.get("name") or n, "segments": [], "sources": e.get("sources") or [],
                                  "locality": e.get("locality")}
            return sorted(leaders.values(), key=lambda x: (x["name"], x["id"]))
        return self.memo("chain_leaders", compute)

    # ------------------------------------------------------------------ views of the chain
    def board(self) -> dict:
        """The chain board: how segments stand in columns (see :mod:`graph.chainboard`)."""
        from .chainboard import board

        return self.memo("board", lambda: board(self.coverage()["segments"], self.gap_counts()))

    def board_structure(self) -> dict:
        from .chainboard import structure

        return self.memo("board_structure", lambda: structure(self.coverage()["segments"]))

    def chain_map(self, **filters) -> dict:
        """The chain map's nodes and edges within a node budget (see :func:`graph.chainboard.chain_map`): the
        same object until a write touches the view; then the view kept for these filters is patched
        (:class:`graph.chainboard.MapView`), or made whole when the segment tree changed."""
        from .chainboard import MapView

        key = "chain_map:" + repr(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in filters.items()))
        views = self.memo("chain_maps", dict)
        with self._lock:
            got = views.pop(key, None)
            if got is None:
                while len(views) >= MAP_VIEWS_KEPT:  # the least recently asked for goes
                    del views[next(iter(views))]
                got = MapView(self, **filters)
            views[key] = got  # (last: the most recently asked for)
            try:
                return got.view(self)
            except BaseException:
                views.pop(key, None)  # never a half-patched view: the next request makes it whole
                raise

    def partners(self, scope: str, ident: str) -> list[dict]:
        """The partner rows of one enterprise, platform, segment or gap (see :mod:`graph.partners`)."""
        from . import partners

        return self.memo(f"partners:{scope}:{ident}", lambda: partners.partner_rows(self, scope, ident))

    # ------------------------------------------------------------------ a write
    def apply(self, delta: dict) -> Footprint:
        """Apply a delta (what ``registry.repository.Registry.graph_delta`` returns: records and relations as
        they are now) to this analysis: the graph changes in place and every memoised result is brought up
        to date, recomputing only what the change reaches. Rows are checked before anything changes
        (:class:`graph.errors.InvalidGraphData`: nothing changed). Returns what the change touched."""
        with self._lock:
            changes = graph_changes(self.G, **delta)
            fp = Footprint()
            if not changes:
                self.last_apply = fp.as_dict()
                return fp
            memo = self._memo
            chain: Chain | None = memo.get("chain")
            self._touch(fp, changes, chain, before=True)
            try:
                apply_changes(self.G, changes)
                if chain is not None:
                    nodes_before = {n: before for n, (before, _) in changes.nodes.items()}
                    if chain_apply(chain, nodes_before=nodes_before, edges_removed=changes.edges_removed,
                                   edges_added=changes.edges_added):
                        fp.tree = True
                self._touch(fp, changes, chain, before=False)
                if chain is not None and not fp.tree:
                    for seg in fp.segments:  # the members of a touched segment (and those above it)
                        patch_members(chain, seg, fp.recs)
                self._update_memo(fp, changes)
            except BaseException:
                memo.clear()  # never a result of a half-applied change; the next request recomputes from G
                self._pending = None
                raise
            self.last_apply = fp.as_dict()
            return fp

    def _touch(self, fp: Footprint, changes, chain: Chain | None, *, before: bool) -> None:
        """Fill the footprint with what the change touched, as the graph stands (before or after the change)."""
        G = self.G
        if before:
            for n, (old, row) in changes.nodes.items():
                if old is None or row is None:
                    fields = set(old or row)
                else:
                    fields = {k for k in set(old) | set(row) if old.get(k) != row.get(k)} - UNREAD_FIELDS
                if fields:
                    fp.recs.add(n)
                    fp.fields[n] = fields
                    for d in (old, row):
                        if d is not None:
                            fp.kinds.add(d.get("kind"))
            for u, v, t, _ in (*changes.edges_removed, *changes.edges_added):
                fp.types.add(t)
                fp.recs.update((u, v))
                fp.edge_types.setdefault(u, set()).add(t)
                fp.edge_types.setdefault(v, set()).add(t)
                for n in (u, v):
                    fp.fields.setdefault(n, set())
                    if G.has_node(n):
                        fp.kinds.add(G.nodes[n].get("kind"))
                    row = changes.nodes.get(n, (None, None))[1]
                    if row is not None:
                        fp.kinds.add(row.get("kind"))
            if "PART_OF" in fp.types or "FEEDS" in fp.types or "segment" in fp.kinds and any(
                    (G.nodes[n].get("kind") if n in G else None) == "segment" and fp.fields.get(n) for n in fp.recs):
                fp.tree = True
        if chain is None:
            return
        for n in fp.recs:
            if n not in chain.node:
                continue
            if chain.kind(n) == "segment":
                fp.segments.add(n)
                fp.segments.update(_ancestors(chain, n))
            else:
                fp.segments.update(chain.segments_with_ancestors(n))
                for m in G.succ[n] if n in G else ():  # a segment it leads (CHAIN_LEADER) or is about (ABOUT)
                    if m not in fp.segments and chain.kind(m) == "segment":
                        fp.segments.add(m)
                        fp.segments.update(_ancestors(chain, m))
            # near: the record and its supply and partner neighbours (whose candidate entries name it); of
            # them, the score of a neighbour changes only with the record's locality or kind (its standing
            # counts local links), and a customer's only with the record's segments (it buys their input)
            fp.near.add(n)
            fp.score_near.add(n)
            own = fp.fields.get(n, set())
            # a neighbour's fit changes with the record's kind (what it buys from an enterprise); its standing
            # alone (the local links it counts) with the record's locality: then only a neighbour that is a
            # candidate is scored again (see _refreshed)
            whole = "kind" in own
            standing = "locality" in own
            for table in (chain.sup_in, chain.sup_out, chain.partners):
                for x in table.get(n, ()):
                    fp.near.add(x[0])
                    if whole:
                        fp.score_near.add(x[0])
                    elif standing:
                        fp.standing_near.add(x[0])
            if "IN_SEGMENT" in fp.edge_types.get(n, ()):
                # a customer buys the input of the segments the record joined or left: its fit changes only
                # for a gap whose upstream scope holds one of them (see _refreshed)
                segs = {v for u, v, t, _ in (*changes.edges_added, *changes.edges_removed)
                        if t == "IN_SEGMENT" and u == n}
                for c, _ in chain.sup_out.get(n, ()):
                    fp.buy_near.setdefault(c, set()).update(segs)
            if n in chain.sup_in or n in chain.sup_out:
                fp.supply_net.add(n)

    # ------------------------------------------------------------------ bringing the memo up to date
    def _update_memo(self, fp: Footprint, changes) -> None:
        memo = self._memo
        old = dict(memo)
        keep: dict[str, Any] = {}
        for k in _KEEP_ALWAYS:
            if k in old:
                keep[k] = old[k]
        if fp.quiet:
            # nothing analysed changed: every result stands, except the partner lists (they show contacts)
            for k, v in old.items():
                if not k.startswith("partners:"):
                    keep[k] = v
            memo.clear()
            memo.update(keep)
            return
        chain: Chain | None = old.get("chain")
        if chain is None:  # nothing computed yet: nothing to keep
            memo.clear()
            self._pending = None
            return
        keep["chain"] = chain
        self._update_chain_caches(chain, fp, changes)
        if "counts" in old:
            keep["counts"] = self._updated_counts(old["counts"], changes)
        # the chain map's views: patched from the footprint on their next request, unless the tree changed;
        # the web layer's drawings of them check themselves against the view they were drawn from
        if "chain_maps" in old and not fp.tree:
            rels = {(u, v, t) for u, v, t, _ in (*changes.edges_removed, *changes.edges_added)}
            for view in old["chain_maps"].values():
                view.touch(fp.recs, rels)
            keep["chain_maps"] = old["chain_maps"]
        for k in ("vis_views", "vis_parts"):
            if k in old:
                keep[k] = old[k]
        tree = fp.tree
        segs = fp.segments
        changed_gaps: set[str] = set()
        changed_rows: set[str] = set()
        dep_out: list[dict] = []  # dependence gaps gone and come (kept apart: they are thousands)
        dep_in: list[dict] = []
        data_out: list[dict] = []  # data gaps gone and come (for the summary's counts)
        data_in: list[dict] = []
        # coverage rows: the touched segments (all of them when the tree changed)
        if "_cov_rows" in old and not tree:
            rows = old["_cov_rows"]  # in place: the one analysis, under its lock
            where = old.get("_cov_keys") or {}  # segment -> listed member -> (its list, its sort key)
            for s in segs:
                if s in rows:
                    rows[s] = _row(chain, s, None, patch=(rows[s], fp.recs, where.setdefault(s, {})))
                    changed_rows.add(s)
            keep["_cov_rows"] = rows
            keep["_cov_keys"] = where
        # segment gaps per segment, upstream gaps per FEEDS relation touching a touched segment
        if "_seg_gaps" in old and not tree:
            got = old["_seg_gaps"]  # in place: the one analysis, under its lock
            for s in segs:
                if s in got:
                    g = got[s] = _segment_gap(chain, s, self.few)
                    changed_gaps.add(f"segment:{s}")
            keep["_seg_gaps"] = got
        if "_up_gaps" in old and not tree:
            got = old["_up_gaps"]  # in place: the one analysis, under its lock
            for (u, v, d) in chain.feeds:
                if u in segs or v in segs:
                    got[(u, v)] = _upstream_gap(chain, u, v, d)
                    changed_gaps.add(f"upstream:{v}:{u}")
            keep["_up_gaps"] = got
        # dependence gaps: a touched firm, and every customer of a touched record (it names its suppliers)
        if "_dep_gaps" in old:
            got = old["_dep_gaps"]  # in place: the one analysis, under its lock
            redo = set()
            for n in fp.recs:
                redo.add(n)
                redo.update(c for c, _ in chain.sup_out.get(n, ()))
            for c in redo:
                dep_out.extend(got.pop(c, ()))
                if chain.kind(c) == "enterprise":
                    new = _firm_dependence_gaps(chain, c)
                    if new:
                        got[c] = new
                        dep_in.extend(new)
            keep["_dep_gaps"] = got
        # data gaps: per touched firm; the implied relations when a relation or a name changed
        if "_data_firm" in old:
            got = old["_data_firm"]  # in place: the one analysis, under its lock
            for n in fp.recs:
                g = got.pop(n, None)
                if g is not None:
                    data_out.append(g)
                if chain.kind(n) == "enterprise":
                    g = _firm_data_gap(chain, n)
                    if g is not None:
                        got[n] = g
                        data_in.append(g)
            keep["_data_firm"] = got
        if "_implied" in old:
            own = {n for n in fp.recs if fp.fields.get(n)}  # records whose own fields changed (names, kinds)
            was, now = old["_implied"], {}
            for d in chain.implied:
                rid = d.get("id")
                got = was.get(rid)
                if got is None or got[0] is not d or d.get("source") in own or d.get("target") in own:
                    if got is not None:
                        data_out.append(got[1])
                    got = (d, _implied_gap(chain, d))
                    data_in.append(got[1])
                now[rid] = got
            data_out.extend(was[rid][1] for rid in was.keys() - now.keys())
            keep["_implied"] = now
        # cut points and bridges: the structure kept when no cut point, bridge or piece changed; the gaps
        # made again whose pieces' counts or examples changed or that mention a touched record
        if "_cut" in old:
            keep["_cut"], ids = self._cut_updated(old["_cut"], fp, changes)
            changed_gaps.update(ids)
        # targets: when a target, a platform, a project, a counted field of a firm, or a counted firm's name changed
        if "_targets" in old:
            tg = old["_targets"]
            others = tree or any(k not in ("enterprise", "segment") for k in fp.kinds) or bool(
                fp.types & {"ABOUT", "RESPONSIBLE_FOR"})
            if others or tg.get("full") is None and any(fp.fields.get(n, ()) & TARGET_FIRM_FIELDS for n in fp.recs):
                pass  # made again on demand
            elif any(fp.fields.get(n, ()) & TARGET_FIRM_FIELDS for n in fp.recs):
                # a counted field of a firm changed (its locality, roles, revenue band…): every row again, a
                # rule's count only over the touched records (the others count as they did)
                full = dict(tg["full"])
                keep["_targets"] = self._targets_from(
                    [_recounted_row(chain, r["id"], tg["full"].get(r["id"]), fp.recs, full) for r in tg["rows"]], full)
            else:
                # no counted field, kind or target changed: a row counting by fields (roles, revenue band,
                # platforms…) counts the same, so it is made again only when it names a renamed firm (its
                # refs take the new name); a row counting the firms of its segments (about_segments) again
                # when a touched record or segment is among what it names
                renamed = {n for n in fp.recs if "name" in fp.fields.get(n, ()) and chain.kind(n) == "enterprise"}
                near = fp.recs | fp.segments
                rows, redone, full = [], False, dict(tg.get("full") or {})
                for r in tg["rows"]:
                    ids = tg["ids"][r["id"]]
                    if r.get("rule") == "about_segments" and not ids.isdisjoint(near):
                        r = _progress_row(chain, r["id"], out=full)
                        redone = True
                    elif not ids.isdisjoint(renamed):
                        r = _renamed_row(chain, r, renamed) or _progress_row(chain, r["id"], out=full)
                        redone = True
                    rows.append(r)
                keep["_targets"] = self._targets_from(rows, full) if redone else tg
        # capability gaps and merged needs are recomputed with the grouping (cheap: segments only); when the
        # tree changed, every per-segment piece is recomputed on demand
        if tree:
            for k in ("_cov_rows", "_seg_gaps", "_up_gaps"):
                keep.pop(k, None)
        # candidates: again for every gap whose scope the change reached — when a candidate list or a gap as
        # shown is next asked for (settle); the near records of several writes add up until then
        pend = self._pending
        if "_cands" in old and not tree:
            keep["_cands"] = old["_cands"]
            if pend is None:
                pend = {"score_near": set(), "near": set(), "buy_near": {}, "standing_near": set(), "changed": set(),
                        "before": dict(old["_cands"]),
                        "presented": {k: v for k, v in old.items() if k.startswith("presented-gap:")}}
            pend["score_near"] |= fp.score_near
            pend["near"] |= fp.near
            pend["standing_near"] |= fp.standing_near
            for c, segs_ in fp.buy_near.items():
                pend["buy_near"].setdefault(c, set()).update(segs_)
        else:
            if "_cands" in old:
                keep["_cands"] = {}
            pend = None
        # every gap of the report again, from the pieces above: the lists are kept in order by taking the gaps that
        # went out and putting the new ones in (a full sort only when the tree changed)
        memo.clear()
        memo.update(keep)
        if "_grouped" in old and not tree:
            memo["_grouped"], changed_gaps, gone, came = self._regrouped(old["_grouped"], dep_out, dep_in)
            if "_tallies" in old and "_data_firm" in old and "_implied" in old:  # by difference
                t = old["_tallies"]  # in place: the one analysis, under its lock
                for g in gone:
                    tally(t, gap=g, sign=-1)
                for g in came:
                    tally(t, gap=g)
                for g in data_out:
                    tally(t, data_gap=g, sign=-1)
                for g in data_in:
                    tally(t, data_gap=g)
                for before, row in changes.nodes.values():
                    if before is not None:
                        tally(t, firm=before, sign=-1)
                    if row is not None:
                        tally(t, firm=row)
                memo["_tallies"] = t
            if "data_gaps" in old and "_data_firm" in old and "_implied" in old and len(data_out) + len(data_in) < 2000:
                # the data to-do list: the data gaps gone taken out, the new ones put in (the list stays sorted)
                lst = list(old["data_gaps"])
                for g in data_out:
                    del lst[_index_of(lst, g, gap_sort_key)]
                for g in data_in:
                    bisect.insort(lst, g, key=gap_sort_key)
                memo["data_gaps"] = lst
            if "gap_counts" in old:  # the chain board's gap counts: the gaps that went out and came in, counted
                memo["gap_counts"] = _recounted(old["gap_counts"], gone, came)
        elif "_grouped" in old:
            changed_gaps = {g["id"] for g in old["_grouped"]["ordered"]}
        if pend is not None:
            pend["changed"] |= changed_gaps
        self._pending = pend
        for k, v in old.items():
            if k.startswith("presented:coverage-row:"):
                s = k[len("presented:coverage-row:"):]
                if not tree and s not in segs and "_cov_rows" in keep:
                    keep[k] = v
        memo.update(keep)
        self.last_apply = None

    def settle(self) -> None:
        """Bring the candidate lists up to date with the writes applied since they were last asked for (each
        list scored again only where a write came near it), and keep the gaps as shown (``presented-gap:``)
        whose gap and candidate lists did not change. Called by :meth:`memo` before either is asked for."""
        with self._lock:
            p, self._pending = self._pending, None
            table = self._memo.get("_cands")
            if p is None or table is None:
                return
            chain = self.chain
            new = {k: _refreshed(chain, v, p["score_near"], p["near"], p["buy_near"], p["standing_near"])
                   for k, v in table.items()}
            self._memo["_cands"] = new
            before = p["before"]
            # gap id:limit whose candidate lists (every one kept for it: the gap's wanted may have been other
            # before) all came out unchanged
            shown = {f"{d['gid']}:{d['limit']}" for r, d in new.values() if d.get("gid")}
            shown -= {f"{d['gid']}:{d['limit']}" for k, (r, d) in new.items()
                      if d.get("gid") and (k not in before or r is not before[k][0])}
            for k, v in p["presented"].items():
                gl = k[len("presented-gap:"):]
                if gl in shown and gl.rsplit(":", 1)[0] not in p["changed"] and k not in self._memo:
                    self._memo[k] = v

    def _update_chain_caches(self, chain: Chain, fp: Footprint, changes) -> None:
        """The per-chain caches of graph.candidates (product index, firm texts, standing of firms)."""
        index = getattr(chain, "_product_index", None)
        if index is not None:
            sups = {u for u, v, t, _ in (*changes.edges_removed, *changes.edges_added) if t == "SUPPLIES"}
            for u, v, t, d in changes.edges_removed:
                if t == "SUPPLIES":
                    ids = index.get((d.get("product") or "").strip())
                    if ids is not None:
                        ids.discard(u)
            for u in sups:
                for _, d in chain.sup_out.get(u, ()):
                    p = (d.get("product") or "").strip()
                    if p:
                        index.setdefault(p, set()).add(u)
            for p in [p for p, ids in index.items() if not ids]:
                del index[p]
        texts = getattr(chain, "_firm_texts", None)
        if texts is not None:
            for n in fp.recs:
                texts.pop(n, None)
            texts.update(_texts_of(chain, [n for n in fp.recs if chain.kind(n) == "enterprise"]))
        for name in ("_standing_points", "_standing"):
            memo = getattr(chain, name, None)
            if memo:
                for n in fp.near:
                    memo.pop(n, None)

    @staticmethod
    def _updated_counts(counts: dict, changes) -> dict:
        kinds = dict(counts["entities"])
        rels = dict(counts["relations"])
        for before, row in changes.nodes.values():
            for d, sign in ((before, -1), (row, 1)):
                if d is not None:
                    k = d.get("kind")
                    kinds[k] = kinds.get(k, 0) + sign
                    if not kinds[k]:
                        del kinds[k]
        for edges, sign in ((changes.edges_removed, -1), (changes.edges_added, 1)):
            for _, _, t, _ in edges:
                rels[t] = rels.get(t, 0) + sign
                if not rels[t]:
                    del rels[t]
        n_nodes = counts["total_entities"] + sum((row is not None) - (before is not None)
                                                 for before, row in changes.nodes.values())
        n_edges = counts["total_relations"] + len(changes.edges_added) - len(changes.edges_removed)
        return {"entities": kinds, "relations": dict(sorted(rels.items())), "total_entities": n_nodes,
                "total_relations": n_edges}


def _recounted(counts: dict[str, int], gone: list[dict], came: list[dict]) -> dict[str, int]:
    """Segment id -> number of gaps concerning it (``Analysis.gap_counts``) after a write, from the counts
    before and the gaps that went out and came in (a gap made again about the same segments counts as it did)."""
    def about(g: dict) -> tuple:
        return tuple(g.get("subject_ids") or ()), tuple((g.get("wanted") or {}).get("segments") or ())
    was = {g["id"]: g for g in gone}
    out = dict(counts)
    for g in came:
        o = was.get(g["id"])
        if o is not None and about(o) == about(g):
            del was[g["id"]]
            continue
        for s in gap_segments(g):
            out[s] = out.get(s, 0) + 1
    for g in was.values():
        for s in gap_segments(g):
            n = out[s] = out[s] - 1
            if not n:
                del out[s]
    return out


_REF_LISTS = ("counted", "about", "responsible_units")


def _renamed_row(chain: Chain, row: dict, renamed: set) -> dict | None:
    """A target row with the refs of the ``renamed`` firms made again (their names), or None when the row
    names one of them elsewhere than in its lists of refs (then it is made again whole)."""
    listed = {e.get("id") for k in _REF_LISTS for e in row.get(k) or ()}
    if (_ids_in(row) & renamed) - listed:
        return None
    return dict(row, **{k: [chain.ref(e["id"]) if e.get("id") in renamed else e for e in row[k]]
                        for k in _REF_LISTS if row.get(k)})


BRIDGE_MIN_SIDE = 2  # supply._bridge_gap's default min_side: a bridge to one firm is a dependence gap


def _cut_sig(cs, k: tuple, item: dict) -> tuple | None:
    """What a cut-point or bridge gap shows of the structure: sizes, local counts and examples (with the
    records it mentions, it makes the gap; None: no gap)."""
    if k[0] == "c":
        return (item["cut_total"], item["cut_local"], len(item["cut"]), item["rest"]["size"],
                tuple(cs.cut_point_examples(item)))
    cut = item["cut"]
    if cut["size"] < BRIDGE_MIN_SIDE:
        return None
    return cut["size"], cut["local"], item["rest_size"], tuple(cs.piece_members(cut))


def _cut_gap(chain: Chain, cs, k: tuple, item: dict, sig: tuple | None) -> dict | None:
    if k[0] == "c":
        return _cut_point_gap(chain, cs, item, examples=list(sig[4]))
    return None if sig is None else _bridge_gap(chain, cs, item, examples=list(sig[3]))


def _cut_mentions(k: tuple, g: dict | None) -> frozenset:
    return frozenset(_mentioned([g] if g else [])) | ({k[1]} if k[0] == "c" else set(k[1]))


def _item_runs(item: dict) -> list:
    """The runs of the search order a cut point's or a bridge's cut-off pieces cover."""
    if "cut_total" in item:
        return [r for p in item["cut"] for r in p["ranges"]]
    return list(item["cut"]["ranges"])


def _cut_runs(items: dict) -> tuple:
    """Every cut-off run as arrays (start, end) with its item's key: which items a firm's position falls in."""
    lo, hi, keys = [], [], []
    for k, item in items.items():
        for a, b in _item_runs(item):
            lo.append(a)
            hi.append(b)
            keys.append(k)
    return np.asarray(lo, dtype=np.int64), np.asarray(hi, dtype=np.int64), keys


def _index_of(lst: list, item, key) -> int:
    """Where ``item`` itself stands in ``lst`` (sorted by ``key``, keys unique)."""
    i = bisect.bisect_left(lst, key(item), key=key)
    if i >= len(lst) or lst[i] is not item and key(lst[i]) != key(item):
        raise LookupError(item.get("id"))
    return i


def _mentioned(gaps: list[dict]) -> set[str]:
    """Every id a list of gaps mentions: subjects, facts, wanted segments and exclusions, examples."""
    out: set[str] = set()
    for g in gaps:
        out.update(g.get("subject_ids") or ())
        for f in g.get("facts") or ():
            out.update(f.get("ids") or ())
        w = g.get("wanted") or {}
        out.update(w.get("segments") or ())
        out.update(w.get("exclude") or ())
        out.update(g.get("cut_off_examples") or ())
    return out


def _ids_in(obj) -> set[str]:
    """Every record id a plain-data result names (``id`` and ``ids`` at any depth)."""
    out: set[str] = set()
    stack = [obj]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            if isinstance(x.get("id"), str):
                out.add(x["id"])
            if isinstance(x.get("ids"), list):
                out.update(i for i in x["ids"] if isinstance(i, str))
            stack.extend(v for v in x.values() if isinstance(v, (dict, list)))
        elif isinstance(x, list):
            stack.extend(v for v in x if isinstance(v, (dict, list)))
    return out


def _texts_of(chain: Chain, firms: list[str]) -> dict[str, str]:
    got = {}
    for f in firms:
        d = chain.node[f]
        bits = [d.get("name") or "", *(d.get("aliases") or ()), d.get("description") or ""]
        bits += [(s.get("quote") or "") for s in d.get("sources") or () if isinstance(s, dict)]
        got[f] = " ".join(bits)
    return got


def _refreshed(chain: Chain, entry: tuple, near: set, shown_near: set, buy_near: dict | None = None,
               standing_near: set = frozenset()) -> tuple:
    """A memoised candidate list brought up to date: the same when no firm near the change was or is now a
    candidate; else those firms scored again (graph.candidates._rescored). ``buy_near``: customers of a firm
    whose segments changed, each with those segments; they count as near only for a gap whose upstream scope
    holds one of the segments (what they buy is all that changed for them)."""
    result, deps = entry
    ctx, firms = deps["ctx"], deps["firms"]
    if buy_near:
        ups = ctx["ups_below"]
        extra = {c for c, segs in buy_near.items()
                 if c not in near and any(not b.isdisjoint(segs) for b in ups)} if ups else ()
        if extra:
            near = near | extra
    # their fit is as it was: only the ones that are candidates have a new score (their standing)
    restanding = {x for x in standing_near if x in firms and x not in near} if standing_near else set()
    if not restanding and not any(f in firms or _firm_fit(chain, ctx, f) is not None for f in near) and \
            not shown_near.intersection(c["id"] for c in result["candidates"]):
        return entry  # no score changed, and no candidate shown names a record that changed
    new = _rescored(chain, deps["gap"], deps["limit"], deps, near, prev=result, shown_near=shown_near,
                    restanding=restanding)
    return (result if new == result else new), deps
