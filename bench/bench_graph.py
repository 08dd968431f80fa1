"""Benchmark of the graph analyses on SYNTHETIC registries (1k, 10k, 100k enterprises), before and after.

Not a test: run it by hand and read the tables.

    /work/main/.venv/bin/python bench/bench_graph.py                 # 1k, 10k, 100k; this tree vs 3224fdc
    /work/main/.venv/bin/python bench/bench_graph.py --sizes 1000 10000 --before none --json out.json

Two tables:

1. The graph/ functions of this tree and of ``--before`` (a git revision,
   default 3224fdc: the hand-written Brandes, PageRank and Tarjan, private
   networkx fields, the collector paused), each size and tree in its own
   process so that the peak memory (ru_maxrss) is that run's alone.
   Columns: build_graph; the Chain index; the full gap_report and the time
   the cyclic garbage collector spent inside it; betweenness sampled (k
   sources, fixed seed); pagerank; supply_cut_structure; the candidates for
   one gap; departure_impact of the biggest hub; peak RSS.
2. The libraries side by side on the same inputs (business network,
   PageRank graph, undirected supply links built by this tree), one process
   per algorithm and library: networkx, igraph, rustworkx.  Times include
   the conversion from the networkx graph or edge list; "extra MB" is how far
   the call raised the process's peak memory; "max |d|" compares the values
   with networkx's.

Times are CPU seconds of the process (time.process_time): the machine is
shared, and CPU time is what contention disturbs least.  The registries come
from ``graph.synthetic.synthetic_registry``: every id starts with ``syn-``
and every name says 合成/SYNTHETIC.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _GcClock:
    """CPU time spent in the cyclic collector's passes, read through gc.callbacks (it switches nothing)."""

    def __init__(self):
        self.seconds, self.full, self._t = 0.0, 0, 0.0

    def __call__(self, phase, info):
        if phase == "start":
            self._t = time.process_time()
        else:
            self.seconds += time.process_time() - self._t
            self.full += info["generation"] == 2


def _graph(n: int):
    from graph import build_graph
    from graph.synthetic import synthetic_registry

    entities, relations = synthetic_registry(n, seed=0)
    t = time.process_time()
    G = build_graph(entities, relations)
    return G, time.process_time() - t, len(entities), len(relations)


def run_tree(n: int, k: int) -> dict:
    """Time the public graph/ functions of the tree on sys.path (this one or an older revision)."""
    import graph
    from graph import betweenness, candidates_for_gap, departure_impact, gap_report, pagerank, supply_cut_structure
    from graph._chain import Chain

    row: dict = {"enterprises": n, "graph": os.path.dirname(graph.__file__)}
    G, row["build_s"], row["entities"], row["relations"] = _graph(n)

    def timed(key, f):
        # below 100k firms a single run is a few milliseconds and noisy: the best of three
        best, out = None, None
        for _ in range(3 if n < 100000 else 1):
            t = time.process_time()
            out = f()
            took = time.process_time() - t
            best = took if best is None else min(best, took)
        row[key] = best
        return out

    timed("chain_s", lambda: Chain(G))
    clock = _GcClock()
    gc.callbacks.append(clock)
    t = time.process_time()
    report = gap_report(G)  # once, measured with the collector's share (the first run is the one a page waits for)
    row["report_s"] = time.process_time() - t
    gc.callbacks.remove(clock)
    row["report_gc_s"], row["report_full_gcs"] = clock.seconds, clock.full
    row["gaps"] = report["summary"]["gaps"]["total"]
    gap = next((g for g in report["gaps"]["segment"] + report["gaps"]["capability"] if g["wanted"]["segments"]), None)
    del report
    if gap is not None:
        timed("candidates_s", lambda: candidates_for_gap(G, gap))
    hub = max((f for f in G if G.nodes[f].get("kind") == "enterprise"), key=lambda f: (G.degree(f), f))
    timed("what_if_s", lambda: departure_impact(G, hub))
    b = timed("betweenness_s", lambda: betweenness(G, k=k, seed=0))
    row["betweenness_k"] = b["k"]
    timed("pagerank_s", lambda: pagerank(G))
    timed("cut_s", lambda: supply_cut_structure(G))
    row["peak_rss_mb"] = _rss_mb()
    return row


# --- the libraries side by side -------------------------------------------------------------------
ALGORITHMS = ("betweenness", "pagerank", "cut")
LIBRARIES = ("networkx", "igraph", "rustworkx")


def prepare(n: int, folder: str) -> dict:
    """Write each algorithm's input, built by this tree, to ``folder`` (the library runs load only that)."""
    from graph._chain import Chain
    from graph.measures import NETWORK_KINDS, _business

    G, _, _, _ = _graph(n)
    chain = Chain(G)
    H = _business(chain)
    inputs = {"betweenness": (list(H), list(H.edges()))}
    nodes = sorted(x for kind in NETWORK_KINDS for x in chain.by_kind.get(kind, ()))
    inside = set(nodes)
    edges = {(c, s) for c, ins in chain.sup_in.items() for s, _ in ins}
    edges |= {(a, b) for a, lst in chain.partners.items() if a in inside for b, _, _ in lst if b in inside and b != a}
    inputs["pagerank"] = (nodes, sorted(edges))
    inputs["cut"] = (sorted(set(chain.sup_in) | set(chain.sup_out)),
                     [(s, c) for c, lst in chain.sup_in.items() for s, _ in lst])
    for algorithm, data in inputs.items():
        with open(os.path.join(folder, f"{algorithm}-{n}.json"), "w", encoding="utf-8") as f:
            json.dump(data, f)
    return {"enterprises": n, **{a: [len(x) for x in d] for a, d in inputs.items()}}


def _indexed(nodes, edges):
    idx = {x: i for i, x in enumerate(nodes)}
    return [(idx[u], idx[v]) for u, v in edges]


def _betweenness(lib: str, H, k: int):
    import networkx as nx

    if lib == "networkx":
        return nx.betweenness_centrality(H, k=k, seed=0)
    if lib == "igraph":
        from graph.measures import _betweenness_values

        return _betweenness_values(H, k=k, seed=0)
    return None  # rustworkx: no betweenness from sampled sources, only exact (27 s at 10k firms)


def _pagerank(lib: str, data):
    nodes, edges = data
    if lib == "networkx":
        import networkx as nx

        D = nx.DiGraph()
        D.add_nodes_from(nodes)
        D.add_edges_from(edges)
        return nx.pagerank(D, alpha=0.85, tol=1e-8, max_iter=100)
    if lib == "igraph":
        import igraph

        return dict(zip(nodes, igraph.Graph(n=len(nodes), edges=_indexed(nodes, edges), directed=True)
                        .pagerank(damping=0.85)))
    import rustworkx as rx

    g = rx.PyDiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from_no_data(_indexed(nodes, edges))
    v = rx.pagerank(g, alpha=0.85, tol=1e-8, max_iter=100)
    return {x: v[i] for i, x in enumerate(nodes)}


def _cut(lib: str, data):
    """Blocks, cut points, bridges and (where the library has one in id order) the depth-first order."""
    nodes, links = data
    if lib == "networkx":
        import networkx as nx

        U = nx.MultiGraph()
        U.add_nodes_from(nodes)
        U.add_edges_from(sorted((u, v) if u < v else (v, u) for u, v in links))  # adjacency in id order
        return (len(list(nx.biconnected_components(U))), len(list(nx.articulation_points(U))),
                len(list(nx.bridges(U))), len(list(nx.dfs_preorder_nodes(U))))
    if lib == "igraph":
        import igraph

        net = igraph.Graph(n=len(nodes), edges=_indexed(nodes, links))
        blocks, cut_points = net.biconnected_components(return_articulation_points=True)
        order = [v.index for members in net.connected_components()
                 for v, _, _ in net.dfsiter(min(members), mode="all", advanced=True)]
        return len(blocks), len(cut_points), len(net.bridges()), len(order)
    import rustworkx as rx

    g = rx.PyGraph()  # neighbours come in no fixed order: its depth-first order cannot list examples as before
    g.add_nodes_from(nodes)
    g.add_edges_from_no_data(_indexed(nodes, links))
    return (len(set(rx.biconnected_components(g).values())), len(rx.articulation_points(g)), len(rx.bridges(g)),
            None)


def run_library(n: int, algorithm: str, lib: str, k: int, folder: str) -> dict:
    import networkx as nx

    with open(os.path.join(folder, f"{algorithm}-{n}.json"), encoding="utf-8") as f:
        nodes, edges = json.load(f)
    edges = [tuple(e) for e in edges]
    if algorithm == "betweenness":  # the business network as graph.measures builds it
        data = nx.Graph()
        data.add_nodes_from(nodes)
        data.add_edges_from(edges)
    else:
        data = nodes, edges
    __import__(lib)  # the library's own import is not the algorithm's cost
    if lib == "networkx" and algorithm == "pagerank":
        import scipy.sparse  # noqa: F401 - nx.pagerank imports it on first use
    if lib == "igraph" and algorithm == "betweenness":
        import graph.measures  # noqa: F401
    gc.collect()
    base = _rss_mb()
    t = time.process_time()
    if algorithm == "betweenness":
        out = _betweenness(lib, data, k)
    elif algorithm == "pagerank":
        out = _pagerank(lib, data)
    else:
        out = _cut(lib, data)
    row = {"enterprises": n, "algorithm": algorithm, "library": lib}
    if out is None:
        return dict(row, note="no sampled sources")
    row.update(seconds=time.process_time() - t, extra_mb=_rss_mb() - base)
    reference = os.path.join(folder, f"{algorithm}-{n}-networkx.json")
    if isinstance(out, dict):
        if lib == "networkx":
            with open(reference, "w", encoding="utf-8") as f:
                json.dump(out, f)
        elif os.path.exists(reference):
            with open(reference, encoding="utf-8") as f:
                ref = json.load(f)
            row["max_diff"] = max(abs(out[x] - ref[x]) for x in ref)
    else:
        row["counts"] = list(out)
        if lib == "rustworkx":
            row["note"] = "no depth-first order by id"
    return row


# --- driver -------------------------------------------------------------------------------------------
def _child(args: list[str], path: str) -> dict:
    env = dict(os.environ, PYTHONPATH=path + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, os.path.abspath(__file__), *args], capture_output=True, text=True, env=env,
                         cwd=path)
    if out.returncode:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _checkout(rev: str, into: str) -> str:
    """graph/ and registry/ of a git revision, unpacked into a folder of their own."""
    archive = os.path.join(into, "tree.tar")
    subprocess.run(["git", "-C", ROOT, "archive", "-o", archive, rev, "graph", "registry"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(os.path.join(into, "tree"), filter="data")
    return os.path.join(into, "tree")


def _table(rows: list[dict], cols: list[tuple[str, str]]) -> str:
    def cell(v):
        if isinstance(v, float):
            return f"{v:.1e}" if 0 < abs(v) < 0.005 else f"{v:.2f}"
        if isinstance(v, list):
            return "/".join("—" if x is None else str(x) for x in v)
        return "—" if v is None else str(v)

    body = [[cell(r.get(k)) for k, _ in cols] for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, (_, h) in enumerate(cols)]
    lines = ["  ".join(h.rjust(w) for (_, h), w in zip(cols, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.rjust(w) for c, w in zip(b, widths)) for b in body]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--k", type=int, default=100, help="sampled sources for betweenness (default 100)")
    ap.add_argument("--before", default="3224fdc", help="git revision to compare with, or 'none' (default 3224fdc)")
    ap.add_argument("--no-libraries", action="store_true", help="skip the libraries side by side")
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--tree", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--prepare", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--library", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.tree:
        print(json.dumps(run_tree(args.tree, args.k)))
        return 0
    if args.prepare:
        print(json.dumps(prepare(int(args.prepare[0]), args.prepare[1])))
        return 0
    if args.library:
        n, algorithm, lib, folder = args.library
        print(json.dumps(run_library(int(n), algorithm, lib, args.k, folder)))
        return 0

    trees, libraries = [], []
    with tempfile.TemporaryDirectory() as tmp:
        paths = [("after", ROOT)]
        if args.before != "none":
            paths.insert(0, (f"before {args.before}", _checkout(args.before, tmp)))
        for n in args.sizes:
            for label, path in paths:
                print(f"... {n:,} synthetic enterprises, {label}", file=sys.stderr, flush=True)
                trees.append(dict(_child(["--tree", str(n), "--k", str(args.k)], path), tree=label))
            if args.no_libraries:
                continue
            _child(["--prepare", str(n), tmp], ROOT)
            for algorithm in ALGORITHMS:
                for lib in LIBRARIES:
                    print(f"... {n:,} synthetic enterprises, {algorithm} by {lib}", file=sys.stderr, flush=True)
                    libraries.append(_child(["--library", str(n), algorithm, lib, tmp, "--k", str(args.k)], ROOT))

    print(f"graph benchmark on SYNTHETIC registries (合成数据) — Python {platform.python_version()}, "
          f"{os.cpu_count()} CPU(s); CPU seconds")
    cols = [("enterprises", "firms"), ("tree", "tree"), ("relations", "relations"), ("build_s", "build"),
            ("chain_s", "chain index"), ("report_s", "gap report"), ("report_gc_s", "of it GC"),
            ("report_full_gcs", "full GCs"), ("gaps", "gaps"), ("candidates_s", "candidates"), ("what_if_s", "what-if"),
            ("betweenness_s", "betw. sampled"), ("betweenness_k", "k"), ("pagerank_s", "pagerank"),
            ("cut_s", "cut structure"), ("peak_rss_mb", "peak RSS MB")]
    print(_table(trees, cols))
    if libraries:
        print()
        cols = [("enterprises", "firms"), ("algorithm", "algorithm"), ("library", "library"), ("seconds", "CPU s"),
                ("extra_mb", "extra MB"), ("max_diff", "max |d| vs nx"), ("counts", "blocks/cuts/bridges/order"),
                ("note", "note")]
        print(_table(libraries, cols))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"trees": trees, "libraries": libraries}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
