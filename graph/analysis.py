"""One analysis object per registry snapshot: every result the pages, the API and the CLI ask for.

``Analysis(G)`` is built once per snapshot of the registry (a graph from
:func:`graph.build_graph`) and memoises what several pages reuse: the chain
index (built once), coverage (computed once), the gap report, candidates per
gap, the chain board, partner lists and the chain leaders. Results are plain
data — codes, ids, numbers, facts, clause references and messages
(``{"msg", "params"}``, spelled out by ``registry.messages``) — never words
for people.

The object never changes the graph; a write to the registry makes a new
snapshot and so a new ``Analysis`` — over a graph read whole from the store, or
over the previous snapshot's graph patched with what the write changed
(:meth:`Analysis.patched`, :func:`graph.build.patch_graph`).
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterable

from registry.model import ROLE_CHAIN_LEADER

from ._chain import Chain
from .candidates import _candidates
from .coverage import _coverage, limit_members
from .gaps import _data_gaps
from .report import CATEGORIES, DATA_CATEGORY, _gap_report

__all__ = ["Analysis", "gap_concerns", "gap_segments", "hop_distances", "SEVERITY_ORDER"]

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
REPORT_TOP = 10
REPORT_CANDIDATES = 3


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


class Analysis:
    """The analyses of one graph, each computed at most once (thread-safe)."""

    def __init__(self, G):
        self.G = G
        self._memo: dict[str, Any] = {}
        self._lock = threading.RLock()  # memoised results may use other memoised results

    def patched(self, delta: dict) -> "Analysis":
        """A new analysis over this one's graph with ``delta`` applied (see :func:`graph.build.patch_graph`);
        this one is left as it is, for the requests still using it."""
        from .build import patch_graph

        return Analysis(patch_graph(self.G, **delta))

    @property
    def size(self) -> int:
        """How many records the graph holds."""
        return self.G.number_of_nodes()

    def has_id_prefix(self, prefix: str) -> bool:
        """Whether any record's id starts with ``prefix`` (``syn-``: the registry holds synthetic data)."""
        return any(n.startswith(prefix) for n in self.G)

    def memo(self, name: str, compute: Callable[[], Any]) -> Any:
        with self._lock:
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
        return [self.G.nodes[n] for n in self.chain.by_kind.get(kind, ())]

    def segments_of(self, n: str) -> list[str]:
        """The segments a record is directly in, in the order the relations were recorded."""
        return [v for _, v, k in self.G.out_edges(n, keys=True) if k == "IN_SEGMENT"]

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
        """The look-up tables of the graph: built once per snapshot, shared by every analysis."""
        return self.memo("chain", lambda: Chain(self.G))

    def coverage(self) -> dict:
        """Coverage of every segment with every member listed (see :func:`graph.chain_coverage`)."""
        return self.memo("coverage", lambda: _coverage(self.chain))

    def coverage_by_segment(self) -> dict[str, dict]:
        return self.memo("coverage_by_segment", lambda: {r["id"]: r for r in self.coverage()["segments"]})

    def report(self) -> dict:
        """The gap report (see :func:`graph.gap_report`), on this snapshot's chain index and coverage."""
        def compute():
            return _gap_report(self.G, chain=self.chain, coverage=limit_members(self.coverage()),
                               top=REPORT_TOP, candidates_per_gap=REPORT_CANDIDATES)
        return self.memo("report", compute)

    def all_gaps(self) -> list[dict]:
        """Every gap of the report as one list: severity, then category, impact and id."""
        def compute():
            cats = {c: i for i, c in enumerate(CATEGORIES)}
            flat = [g for gs in self.report()["gaps"].values() for g in gs]
            flat.sort(key=lambda g: (SEVERITY_ORDER.get(g.get("severity"), 3), cats.get(g.get("category"), 99),
                                     -(g.get("impact") or 0), g.get("id", "")))
            return flat
        return self.memo("all_gaps", compute)

    def gap(self, gap_id: str) -> dict | None:
        """The gap with this id; the id of a gap folded into a need gives the need (:meth:`resolve_gap_id`)."""
        return self.memo("gaps_by_id", lambda: {g["id"]: g for g in self.all_gaps()}).get(self.resolve_gap_id(gap_id))

    def resolve_gap_id(self, gap_id: str) -> str:
        """The id a gap has now: a gap folded into a plan-named need answers with the need's id."""
        return self.report()["aliases"].get(gap_id, gap_id)

    def data_gaps(self) -> list[dict]:
        """What data to fill in first (see :func:`graph.data_gaps`): not gaps of the chain, the data to-do list."""
        return self.memo("data_gaps", lambda: _data_gaps(self.chain))

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

    def candidates(self, gap: dict, *, limit: int | None = 10) -> dict:
        """Ranked candidates for a gap: ``{"candidates", "total", "score_formula", "wanted", "gap_id"}``."""
        wanted = gap.get("wanted") or {}
        if not (wanted.get("segments") or wanted.get("product")):
            return {"candidates": [], "total": 0, "score_formula": None, "wanted": wanted, "data_needed": None}
        return self.memo(f"candidates:{gap['id']}:{limit}", lambda: _candidates(self.chain, gap, limit))

    def target_progress(self) -> list[dict]:
        return self.report()["target_progress"]

    def data_todo(self) -> dict:
        """The data to-do list (see :func:`graph.datatodo.data_todo`), on this snapshot's chain index and targets."""
        from .datatodo import _data_todo

        return self.memo("data_todo", lambda: _data_todo(self.chain, self.target_progress()))


    # ------------------------------------------------------------------ people and places
    def chain_leaders(self) -> list[dict]:
        """Enterprises with a CHAIN_LEADER relation (with its segments and sources), or the chain-leader role."""
        def compute():
            G = self.G
            leaders: dict[str, dict] = {}
            for u, v, k, d in G.edges(keys=True, data=True):
                if k == "CHAIN_LEADER" and G.nodes[u].get("kind") == "enterprise":
                    e = leaders.setdefault(u, {"id": u, "name": self.name(u), "segments": [], "sources": [],
                                               "locality": G.nodes[u].get("locality")})
                    e["segments"].append({"id": v, "name": self.name(v)})
                    e["sources"] += d.get("sources") or []
            for n in self.chain.by_kind.get("enterprise", ()):
                e = G.nodes[n]
                if n not in leaders and ROLE_CHAIN_LEADER in (e.get("roles") or ()):
                    leaders[n] = {"id": n, "name": e.get("name") or n, "segments": [], "sources": e.get("sources") or [],
                                  "locality": e.get("locality")}
            return sorted(leaders.values(), key=lambda x: x["name"])
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
        """The chain map's nodes and edges within a node budget (see :func:`graph.chainboard.chain_map`)."""
        from .chainboard import chain_map

        key = "chain_map:" + repr(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in filters.items()))
        views = self.memo("chain_maps", dict)
        with self._lock:
            got = views.get(key)
            if got is None:
                if len(views) > 64:
                    views.clear()
                got = views[key] = chain_map(self, **filters)
        return got

    def partners(self, scope: str, ident: str) -> list[dict]:
        """The partner rows of one enterprise, platform, segment or gap (see :mod:`graph.partners`)."""
        from . import partners

        return self.memo(f"partners:{scope}:{ident}", lambda: partners.partner_rows(self, scope, ident))
