"""Benchmark of the graph analyses on SYNTHETIC registries (1k, 10k, 100k enterprises).

Not a test: run it by hand and read the table.

    /work/main/.venv/bin/python bench/bench_graph.py                 # 1k, 10k, 100k
    /work/main/.venv/bin/python bench/bench_graph.py --sizes 1000 10000 --json out.json

Each size runs in its own process so that the peak memory (ru_maxrss) is that
size's alone.  The registries come from ``graph.synthetic.synthetic_registry``:
every id starts with ``syn-`` and every name says 合成/SYNTHETIC.
Timings: build_graph; the full gap_report; betweenness on the business network
exact (1k only: it is quadratic) and sampled (k sources, fixed seed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def run_one(n: int, k: int, exact_limit: int) -> dict:
    from graph import betweenness, build_graph, candidates_for_gap, departure_impact, gap_report
    from graph.synthetic import synthetic_registry
    from registry.messages import localise
    from xijin.report_text import format_report_text

    row: dict = {"enterprises": n}
    t = time.perf_counter()
    entities, relations = synthetic_registry(n, seed=0)
    row["generate_s"] = time.perf_counter() - t
    row["entities"], row["relations"] = len(entities), len(relations)
    t = time.perf_counter()
    G = build_graph(entities, relations)
    row["build_s"] = time.perf_counter() - t
    del entities, relations
    t = time.perf_counter()
    report = gap_report(G)
    row["report_s"] = time.perf_counter() - t
    row["gaps"] = report["summary"]["gaps"]["total"]
    t = time.perf_counter()
    format_report_text(localise(report))  # the CLI's path: messages spelled out, then the text
    row["text_s"] = time.perf_counter() - t
    t = time.perf_counter()
    json.dumps(report, ensure_ascii=False)
    row["json_s"] = time.perf_counter() - t
    gap = next((g for g in report["gaps"]["segment"] + report["gaps"]["capability"] if g["wanted"]["segments"]), None)
    del report
    if gap is not None:
        t = time.perf_counter()
        candidates_for_gap(G, gap)
        row["candidates_s"] = time.perf_counter() - t
    hub = max((f for f in G if G.nodes[f].get("kind") == "enterprise"), key=lambda f: (G.degree(f), f))
    t = time.perf_counter()
    departure_impact(G, hub)
    row["what_if_s"] = time.perf_counter() - t
    if n <= exact_limit:
        t = time.perf_counter()
        b = betweenness(G, exact=True)
        row["betweenness_exact_s"] = time.perf_counter() - t
        row["betweenness_nodes"] = b["nodes"]
    t = time.perf_counter()
    b = betweenness(G, k=k, seed=0)
    row["betweenness_sampled_s"] = time.perf_counter() - t
    row["betweenness_k"] = b["k"]
    row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--k", type=int, default=100, help="sampled sources for betweenness (default 100)")
    ap.add_argument("--exact-limit", type=int, default=1000, help="exact betweenness up to this many firms")
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.k, args.exact_limit)))
        return 0
    rows = []
    for n in args.sizes:
        print(f"... {n:,} synthetic enterprises", file=sys.stderr, flush=True)
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--one", str(n), "--k", str(args.k),
                              "--exact-limit", str(args.exact_limit)], capture_output=True, text=True)
        if out.returncode:
            print(out.stderr, file=sys.stderr)
            return out.returncode
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    from xijin.report_text import format_table

    print(f"graph benchmark on SYNTHETIC registries (合成数据) — Python {platform.python_version()}, "
          f"{os.cpu_count()} CPU(s)")
    cols = [("enterprises", "firms"), ("entities", "entities"), ("relations", "relations"), ("build_s", "build s"),
            ("report_s", "gap report s"), ("gaps", "gaps"), ("text_s", "text s"), ("json_s", "json s"),
            ("candidates_s", "candidates s"), ("what_if_s", "what-if s"),
            ("betweenness_exact_s", "betw. exact s"), ("betweenness_sampled_s", "betw. sampled s"),
            ("betweenness_k", "k"), ("peak_rss_mb", "peak RSS MB")]
    table = [{k: (f"{r[k]:.2f}" if isinstance(r.get(k), float) else r.get(k, "—")) for k, _ in cols} for r in rows]
    print(format_table(table, cols, align={k: "right" for k, _ in cols}))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
