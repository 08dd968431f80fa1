"""The analysis snapshot behind the chain map, the gap dashboard and the partner lists.

One ``graph.Analysis`` per state of the registry, cached per app and keyed by
the newest entry of the change log: every write records a change, so a write
makes the next request build a new snapshot, and a page never shows stale
data. The change marker is read once per request. The new snapshot is the old
one's analysis brought up to date with the records and relations the logged
changes touched (read from the store by id; ``graph.Analysis.apply`` changes its
graph in place and recomputes only what they reach), not the registry read
whole, unless the log cannot say what changed (see ``_next_snapshot``).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from dataclasses import dataclass

from flask import current_app, g

from graph.analysis import Analysis
from graph.build import build_graph
from graph.errors import InvalidGraphData

from .store import get_registry

EXT = "xijin_analysis"
SYNTHETIC_PREFIX = "syn-"
# a write is applied to the snapshot's analysis (Registry.graph_delta, graph.Analysis.apply) unless more than this
# share of the records (and at least PATCH_MIN changes) changed since: then reading it whole is cheaper
PATCH_SHARE = 0.05
PATCH_MIN = 50
PATCH_LOOKBACK = 5.0  # seconds before the marker whose changes are applied again (a write's time precedes its commit)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """One consistent view of the registry and the analyses computed from it."""

    key: tuple
    analysis: Analysis
    synthetic: bool  # synthetic benchmark data (graph.synthetic) is labelled as such wherever it shows


class _Cache:
    def __init__(self):
        self.snapshot: Snapshot | None = None
        self.lock = threading.Lock()
        self.doc_titles: tuple[tuple, dict[str, str]] | None = None
        self.last: dict | None = None  # how the newest snapshot was made: {"mode": "patch"|"full", "seconds", ...}


def _cache() -> _Cache:
    return current_app.extensions.setdefault(EXT, _Cache())


def change_marker() -> tuple:
    """What identifies the registry's current state: the newest change (id and time); read once per request."""
    if "change_marker" not in g:
        latest = get_registry().changes(limit=1)
        g.change_marker = (latest[0].get("at"), latest[0].get("id")) if latest else ("empty",)
    return g.change_marker


def snapshot() -> Snapshot:
    """The analysis snapshot of the registry as it is now (rebuilt after any write)."""
    if "snapshot" in g:
        return g.snapshot
    cache = _cache()
    key = change_marker()
    snap = cache.snapshot
    if snap is None or snap.key != key:
        with cache.lock:
            snap = cache.snapshot
            if snap is None or snap.key != key:
                snap = cache.snapshot = _next_snapshot(snap, key)
    g.snapshot = snap
    g.synthetic = snap.synthetic
    return snap


def _next_snapshot(old: Snapshot | None, key: tuple) -> Snapshot:
    """The snapshot for ``key``: the previous one's analysis with the changes logged since its marker applied
    (the same object: requests still holding the previous snapshot see the newer data, never half of it), or,
    when that will not do (no previous one, its marker gone from the log, too many changes since, a
    batch whose ids were cut), the registry read whole."""
    t0 = time.perf_counter()
    reg = get_registry()
    if old is not None:
        limit = max(PATCH_MIN, int(old.analysis.size * PATCH_SHARE))
        delta = reg.graph_delta(old.key, limit=limit, lookback=PATCH_LOOKBACK)
        t_read = time.perf_counter() - t0
        if delta is not None:
            analysis = old.analysis
            try:
                touched = analysis.apply(delta)
            except InvalidGraphData as exc:  # e.g. a relation written between our reads: read it all
                log.warning("analysis snapshot: delta refused (%s); reading the registry whole", exc)
            except Exception:  # a defect in bringing the analysis up to date: never serve it, read it all
                log.exception("analysis snapshot: applying the delta failed; reading the registry whole")
            else:
                gone = any(row is None for row in delta["nodes"].values())
                synthetic = (analysis.has_id_prefix(SYNTHETIC_PREFIX) if gone else
                             old.synthetic or any(i.startswith(SYNTHETIC_PREFIX) for i in delta["nodes"]))
                gc.collect(1)  # the young generations first (cheap: what requests left since), so that their
                gc.freeze()    # cyclic garbage is not frozen with what the write added (see below)
                _cache().last = {"mode": "patch", "changes": delta["changes"], "records": len(delta["nodes"]),
                                 "relations": len(delta["relations"]), "read_seconds": t_read,
                                 "touched": touched.as_dict(), "seconds": time.perf_counter() - t0}
                return Snapshot(key, analysis, synthetic)
    # The snapshot holds about a hundred objects per record (a million at 10k firms) for as long as it lives. Left
    # to the cyclic collector, every full collection walks them all — 0.5 s at 10k firms, due every few writes,
    # landing on whichever page comes next (measured: a 583 ms collection inside a 1.4 s first /gaps). So after a
    # write is applied, whatever is alive is frozen (gc.freeze: out of the collector's sight; reference counting
    # still frees what is dropped). What is dropped in a reference cycle (networkx's cached views make some) waits
    # for the next whole read, which thaws everything (gc.unfreeze) so that the collector takes the old snapshot.
    gc.unfreeze()
    entities, relations = reg.export_graph()
    snap = Snapshot(key, Analysis(build_graph(entities, relations)),
                    any(e["id"].startswith(SYNTHETIC_PREFIX) for e in entities))
    _cache().last = {"mode": "full", "records": len(entities), "seconds": time.perf_counter() - t0}
    return snap


def current() -> Analysis:
    """The analysis of the registry as it is now."""
    return snapshot().analysis


def document_titles() -> dict[str, str]:
    """Source file name -> the document's title, so that a source reads as a title, not a file name.

    Read from the registry's document records (cheap: a handful) so that a page that needs no analysis
    does not build one; cached per change marker.
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
