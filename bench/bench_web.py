"""Page timings of the web front end: p50 / p95 over N requests per page (a script, not a test).

    .venv/bin/python bench/bench_web.py                 # seed registry and a 10,000-firm SYNTHETIC one
    .venv/bin/python bench/bench_web.py --n 2000 --requests 50 --skip-seed

Each registry lives in its own graph of an embedded store in a temporary folder (nothing touches
the instance folder). Requests go through Flask's test client, so the figures are the app's own time
(views, registry, analysis, templates) without network. The first request of a page after a write
rebuilds the analysis snapshot; it is timed separately as "cold".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.repository import Registry  # noqa: E402
from registry.store import FalkorStore  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100 * (len(s) - 1)))))
    return s[k]


def make_app(data_dir: Path, graph: str):
    from web import create_app

    return create_app({"TESTING": False, "DATA_DIR": str(data_dir), "GRAPH_NAME": graph, "SEED_ON_START": False,
                       "NEO4J_URI": None}, instance_path=str(data_dir / f"instance-{graph}"))


def pick_urls(reg: Registry, *, synthetic: bool) -> dict[str, str]:
    """One URL per page: a busy enterprise, a populous segment, a query that finds many records."""
    from graph.build import build_graph

    ents, rels = reg.export_graph()
    G = build_graph(ents, rels)
    firms = [e["id"] for e in ents if e["kind"] == "enterprise"]
    busiest = max(firms, key=lambda n: G.degree(n)) if firms else None
    segs = [e["id"] for e in ents if e["kind"] == "segment"]
    seg = max(segs, key=lambda s: G.in_degree(s)) if segs else None
    q = "合成企业0001" if synthetic else "稀土"
    urls = {"home": "/", "search": f"/search?q={q}", "chain": "/chain"}
    if busiest:
        urls["entity"] = f"/entity/{busiest}"
        urls["export_xlsx"] = f"/export/partners.xlsx?scope=enterprise&id={busiest}"
    if seg:
        urls["segment"] = f"/chain/{seg}"
        urls["export_segment_csv"] = f"/export/partners.csv?scope=segment&id={seg}"
    urls["gaps"] = "/gaps"
    urls["api_chain_graph"] = "/api/v1/chain/graph"
    return urls


def run(label: str, app, urls: dict[str, str], n: int) -> list[dict]:
    from web.analysis import EXT

    client = app.test_client()
    rows = []
    for page, url in urls.items():
        app.extensions.pop(EXT, None)  # cold: the analysis snapshot is rebuilt (as after a write)
        t0 = time.perf_counter()
        r = client.get(url)
        cold = (time.perf_counter() - t0) * 1000
        if r.status_code != 200:
            raise SystemExit(f"{label} {url}: HTTP {r.status_code}\n{r.get_data(as_text=True)[:500]}")
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            r = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, (url, r.status_code)
        rows.append({"registry": label, "page": page, "url": url, "cold_ms": cold, "p50_ms": statistics.median(times),
                     "p95_ms": percentile(times, 95), "bytes": len(r.data)})
        print(f"  {page:<20} p50 {rows[-1]['p50_ms']:8.1f} ms   p95 {rows[-1]['p95_ms']:8.1f} ms   "
              f"cold {cold:8.1f} ms   {len(r.data) / 1024:8.1f} KiB   {url}", flush=True)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000, help="synthetic enterprises (default 10000)")
    ap.add_argument("--requests", type=int, default=100, help="requests per page (default 100)")
    ap.add_argument("--skip-seed", action="store_true")
    ap.add_argument("--skip-synthetic", action="store_true")
    args = ap.parse_args(argv)

    from web.store import close_store

    tmp = Path(tempfile.mkdtemp(prefix="xijin-bench-"))
    keeper = FalkorStore(tmp, graph="keeper")  # one embedded server for the run
    results = []
    try:
        if not args.skip_seed:
            from seed.loader import load_seed

            s = FalkorStore(tmp, graph="seed")
            s.setup_schema()
            reg = Registry(s)
            try:
                t0 = time.perf_counter()
                load_seed(reg)
                print(f"seed registry: loaded in {time.perf_counter() - t0:.1f} s, {reg.counts()['entities']}")
            except Exception as exc:  # the seed is being written by someone else: say so and go on
                print(f"seed registry: NOT AVAILABLE ({str(exc).splitlines()[0][:200]})")
                reg = None
            if reg is not None:
                app = make_app(tmp, "seed")
                with app.app_context():
                    urls = pick_urls(reg, synthetic=False)
                results += run("seed", app, urls, args.requests)
                close_store(app)
            s.close()
        if not args.skip_synthetic:
            from graph.synthetic import synthetic_registry

            label = f"SYNTHETIC-{args.n}"
            t0 = time.perf_counter()
            ents, rels = synthetic_registry(args.n)
            s = FalkorStore(tmp, graph="synthetic")
            s.setup_schema()
            reg = Registry(s)
            reg.upsert_many(ents, by="synthetic-generator", why="benchmark (SYNTHETIC data)")
            reg.upsert_relations(rels, by="synthetic-generator", why="benchmark (SYNTHETIC data)",
                                 known_kinds={e["id"]: e["kind"] for e in ents})
            print(f"{label} registry (synthetic, not real firms): {len(ents)} records, {len(rels)} relations, "
                  f"loaded in {time.perf_counter() - t0:.1f} s")
            app = make_app(tmp, "synthetic")
            urls = pick_urls(reg, synthetic=True)
            results += run(label, app, urls, args.requests)
            close_store(app)
            s.close()
    finally:
        keeper.close()
    print()
    print("| registry | page | p50 ms | p95 ms | cold ms | KiB |")
    print("|---|---|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['registry']} | {r['page']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['cold_ms']:.0f} | "
              f"{r['bytes'] / 1024:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
