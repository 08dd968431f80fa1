"""The analysis graph behind the chain map, the gap dashboard and the partner lists.

The networkx graph is built from ``Registry.export_graph()`` and cached per app,
keyed by the newest entry of the change log: every write records a change, so
a write makes the next request rebuild, and a page never shows stale data.
Derived results (coverage, gap report) are memoised on the same snapshot.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from flask import current_app, g

from graph.build import build_graph
from graph.candidates import candidates_for_gap, chain_index

from .store import get_registry

EXT = "xijin_analysis"


class Snapshot:
    """One consistent view of the registry: its rows, its graph, and results computed from them."""

    def __init__(self, key: tuple, entities: list[dict], relations: list[dict]):
        self.key = key
        self.entities = entities
        self.relations = relations
        self.by_id = {e["id"]: e for e in entities}
        self.G = build_graph(entities, relations)
        # synthetic benchmark data (graph.synthetic) is labelled as such wherever it shows
        self.synthetic = any(e["id"].startswith("syn-") for e in entities)
        self._memo: dict[str, Any] = {}
        self._lock = threading.RLock()  # memoised results may use other memoised results

    def memo(self, name: str, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if name not in self._memo:
                self._memo[name] = compute()
            return self._memo[name]

    def name(self, n: str) -> str:
        d = self.by_id.get(n)
        return (d.get("name") or n) if d else n

    @property
    def doc_titles(self) -> dict[str, str]:
        return self.memo("doc_titles", lambda: {e["file"]: e["name"] for e in self.entities
                                                if e.get("kind") == "document" and e.get("file")})


class _Cache:
    def __init__(self):
        self.snapshot: Snapshot | None = None
        self.lock = threading.Lock()
        self.doc_titles: tuple[tuple, dict[str, str]] | None = None


def _cache() -> _Cache:
    app = current_app
    cache = app.extensions.get(EXT)
    if cache is None:
        cache = app.extensions.setdefault(EXT, _Cache())
    return cache


def change_marker() -> tuple:
    """What identifies the registry's current state: the newest change (id and time)."""
    latest = get_registry().changes(limit=1)
    if not latest:
        return ("empty",)
    return (latest[0].get("at"), latest[0].get("id"))


def snapshot() -> Snapshot:
    """The analysis snapshot of the registry as it is now (rebuilt after any write)."""
    cache = _cache()
    key = change_marker()
    snap = cache.snapshot
    if snap is None or snap.key != key:
        with cache.lock:
            snap = cache.snapshot
            if snap is None or snap.key != key:
                entities, relations = get_registry().export_graph()
                snap = Snapshot(key, entities, relations)
                cache.snapshot = snap
    g.synthetic = snap.synthetic
    return snap


def document_titles() -> dict[str, str]:
    """Source file name -> the document's title, so that a source reads as a title, not a file name.

    Read from the registry's document records (cheap: a handful), cached per change marker and request.
    """
    if "doc_titles" in g:
        return g.doc_titles
    cache = _cache()
    key = change_marker()
    got = cache.doc_titles
    if got is None or got[0] != key:
        docs = get_registry().list(kinds=["document"], per_page=500)["items"]
        got = cache.doc_titles = (key, {d["file"]: d["name"] for d in docs if d.get("file")})
    g.doc_titles = got[1]
    return got[1]


def doc_title(file: str | None) -> str | None:
    return document_titles().get(file) if file else None


# ------------------------------------------------------------------ results on a snapshot
def coverage(snap: Snapshot) -> dict:
    from graph.coverage import chain_coverage

    return snap.memo("coverage", lambda: chain_coverage(snap.G))


def coverage_by_segment(snap: Snapshot) -> dict[str, dict]:
    return snap.memo("coverage_by_segment", lambda: {r["id"]: r for r in coverage(snap)["segments"]})


def gap_report(snap: Snapshot) -> dict:
    """The full gap report (graph.report.gap_report) of the snapshot."""
    from graph.report import gap_report as _report

    return snap.memo("report", lambda: _report(snap.G, top=10, candidates_per_gap=3))


def categories() -> tuple[str, ...]:
    from graph.report import CATEGORIES

    return CATEGORIES


def all_gaps(snap: Snapshot) -> list[dict]:
    """Every gap of the report as one list: severity, then category, impact and id."""
    def compute():
        grouped = gap_report(snap)["gaps"]
        rank = {"high": 0, "medium": 1, "low": 2}
        cats = {c: i for i, c in enumerate(categories())}
        flat = [g for gs in grouped.values() for g in gs]
        flat.sort(key=lambda g: (rank.get(g.get("severity"), 3), cats.get(g.get("category"), 99),
                                 -(g.get("impact") or 0), g.get("id", "")))
        return flat
    return snap.memo("all_gaps", compute)


def gaps_by_id(snap: Snapshot) -> dict[str, dict]:
    return snap.memo("gaps_by_id", lambda: {g["id"]: g for g in all_gaps(snap)})


def candidates(snap: Snapshot, gap: dict, *, limit: int | None = 10) -> dict:
    """Ranked candidates for a gap: ``{"candidates", "total", "score_formula", "wanted"}``.

    A page lists dozens of gaps, so the graph's index is built once per snapshot and reused.
    """
    wanted = gap.get("wanted") or {}
    if not (wanted.get("segments") or wanted.get("product")):
        return {"candidates": [], "total": 0, "score_formula": None, "wanted": wanted}

    def compute():
        index = snap.memo("chain_index", lambda: chain_index(snap.G))
        return candidates_for_gap(snap.G, gap, limit=limit, index=index)
    return snap.memo(f"candidates:{gap['id']}:{limit}", compute)


def gap_candidates(snap: Snapshot, gap: dict, *, limit: int | None = 20) -> list[dict]:
    return candidates(snap, gap, limit=limit)["candidates"]


def target_progress(snap: Snapshot) -> list[dict]:
    """Rows of the plan-target progress table."""
    return gap_report(snap)["target_progress"]
