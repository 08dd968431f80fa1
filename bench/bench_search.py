"""Search at scale (issue 12): p50/p95 of ``Registry.search`` beside a point lookup, in the same run.

    .venv/bin/python bench/bench_search.py                        # 10k and 100k SYNTHETIC firms
    .venv/bin/python bench/bench_search.py --sizes 10000 --requests 100
    .venv/bin/python bench/bench_search.py --data /tmp/xijin-bench-search   # keep (and reuse) the registries

Each registry is ``graph.synthetic.synthetic_registry(N)`` (every id ``syn-…``, every name 合成…/SYNTHETIC),
loaded through ``Registry.upsert_many`` / ``upsert_relations`` into its own graph of one embedded server.
Searches and point lookups (``Registry.get`` of a random firm) alternate, so both see the same machine
state; the figure of the issue is the ratio of their p95s. The query mix covers what staff type: a term
every firm holds (合成), a prefix, a whole name, digits only, pinyin, initials, two words, a segment's
name, a term nothing holds; a typo (with its suggestions) is timed on its own line, outside the mix.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.repository import Registry, entity_props  # noqa: E402
from registry.store import FalkorStore  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100 * (len(s) - 1)))))
    return s[k]


def load(data_dir: Path, n: int) -> tuple[FalkorStore, Registry, list[dict]]:
    """The N-firm synthetic registry in graph ``syn<N>`` (loaded unless it is there already)."""
    from graph.synthetic import synthetic_registry

    ents, rels = synthetic_registry(n)
    s = FalkorStore(data_dir, graph=f"syn{n}", timeout=600)
    s.setup_schema()
    reg = Registry(s)
    reg.setup_schema()
    have = reg.counts()["total_entities"]
    if have != len(ents):
        t0 = time.perf_counter()
        reg.upsert_many(ents, by="synthetic-generator", why="benchmark (SYNTHETIC data)")
        t1 = time.perf_counter()
        reg.upsert_relations(rels, by="synthetic-generator", why="benchmark (SYNTHETIC data)",
                             known_kinds={e["id"]: e["kind"] for e in ents})
        print(f"SYNTHETIC-{n}: {len(ents)} records in {t1 - t0:.1f} s, {len(rels)} relations in "
              f"{time.perf_counter() - t1:.1f} s", flush=True)
    else:
        print(f"SYNTHETIC-{n}: reusing {have} records", flush=True)
    return s, reg, ents


def token_cost(ents: list[dict], k: int = 2000) -> dict:
    """What the search fields add to preparing a record for writing (part of the loader's budget)."""
    from registry.model import validate_entity
    import registry.repository as R

    sample = [validate_entity(e) for e in ents[-k:]]
    R._syllables.cache_clear()  # as a loader meets new names: pinyin is looked up, not remembered
    saved = R.search_tokens
    R.search_tokens = lambda *a, **kw: []
    try:
        t0 = time.perf_counter()
        for e in sample:
            entity_props(e)  # without the tokens (sort_key and search_text still ask pypinyin)
        without = time.perf_counter() - t0
    finally:
        R.search_tokens = saved
    R._syllables.cache_clear()
    t0 = time.perf_counter()
    for e in sample:
        entity_props(e)
    with_tokens = time.perf_counter() - t0
    props = entity_props(sample[0])
    return {"per_record_us": (with_tokens - without) / k * 1e6, "share_of_props": (with_tokens - without) / with_tokens,
            "tokens_per_record": len(props["search_tokens"])}


def queries(ents: list[dict], rng: random.Random) -> dict[str, str]:
    firms = [e for e in ents if e["kind"] == "enterprise"]
    one = rng.choice(firms)
    digits = one["id"].rsplit("-", 1)[1]
    seg = next(e for e in ents if e["kind"] == "segment" and "冶炼" in e["name"])
    return {
        "common 合成": "合成",
        "prefix 合成企业": "合成企业",
        "whole name": one["name"],
        "digits": digits,
        "name + digits": "合成企业" + digits[:4],
        "pinyin hecheng": "hecheng",
        "initials hcqy": "hcqy",
        "two words": "合成 " + digits[2:],
        "segment name": seg["name"].split("·")[-1],
        "not held": "钕铁硼",
    }


def run(reg: Registry, ents: list[dict], requests: int, rng: random.Random) -> dict:
    ids = [e["id"] for e in ents if e["kind"] == "enterprise"]
    qs = queries(ents, rng)
    for q in qs.values():  # warm: the first call loads pypinyin's dictionaries
        reg.search(q, per_page=20)
    lookup: list[float] = []
    per: dict[str, list[float]] = {k: [] for k in qs}
    totals = {}
    for _ in range(requests):
        for label, q in qs.items():
            t0 = time.perf_counter()
            reg.get(rng.choice(ids))
            lookup.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            res = reg.search(q, per_page=20)
            per[label].append((time.perf_counter() - t0) * 1000)
            totals[label] = (res["total"], res["capped"])
    typo = []
    one = rng.choice([e for e in ents if e["kind"] == "enterprise"])["name"]
    q = one.replace("企业", "企叶")  # a homophone typo: nothing holds it, suggestions are asked for
    for _ in range(max(5, requests // 5)):
        t0 = time.perf_counter()
        res = reg.search(q, per_page=20)
        typo.append((time.perf_counter() - t0) * 1000)
    all_search = [t for ts in per.values() for t in ts]
    return {"lookup": lookup, "per": per, "totals": totals, "all": all_search, "typo": typo,
            "typo_suggested": [s["name"] for s in res["suggestions"][:1]], "typo_query": q}


def breakdown(reg: Registry, ents: list[dict], rounds: int, rng: random.Random) -> list[dict]:
    """Where a search's time goes, per query of the mix: the wall time of ``Registry.search`` (p50, p95),
    how many statements it sent, each statement's time on the client against the engine's own
    (FalkorDB's ``run_time_ms`` of the reply) and the rows it returned, and the Python outside the reads.
    Medians over ``rounds``; a point lookup (``Registry.get``) alongside for comparison. Embedded store only."""
    graph = reg.store.graph
    real = graph.ro_query
    log: list[tuple[float, float, int]] = []

    def timed(q, params=None, **kw):
        t0 = time.perf_counter()
        res = real(q, params, **kw)
        log.append(((time.perf_counter() - t0) * 1000, float(res.run_time_ms), len(res.result_set)))
        return res

    ids = [e["id"] for e in ents if e["kind"] == "enterprise"]
    qs = {"point lookup (Registry.get)": None, **queries(ents, rng)}
    out = []
    graph.ro_query = timed
    try:
        for label, q in qs.items():
            walls, stmts = [], []
            for _ in range(rounds):
                log.clear()
                t0 = time.perf_counter()
                res = reg.get(rng.choice(ids)) if q is None else reg.search(q, per_page=20)
                walls.append((time.perf_counter() - t0) * 1000)
                stmts.append(list(log))
            n = max(len(s) for s in stmts)
            row = {"query": label, "p50_ms": statistics.median(walls), "p95_ms": percentile(walls, 95),
                   "hits": None if q is None else res["total"], "statements": n,
                   "reads": [{"client_ms": statistics.median(s[i][0] for s in stmts if len(s) > i),
                              "engine_ms": statistics.median(s[i][1] for s in stmts if len(s) > i),
                              "rows": stmts[-1][i][2] if len(stmts[-1]) > i else None} for i in range(n)],
                   "python_ms": statistics.median(w - sum(x[0] for x in s) for w, s in zip(walls, stmts))}
            out.append(row)
    finally:
        graph.ro_query = real
    return out


def breakdown_rows(rows: list[dict]) -> tuple[list[str], list[list]]:
    """``breakdown``'s figures as a Markdown table's head and rows."""
    head = ["query (per_page=20)", "hits", "p50 ms", "p95 ms", "statements",
            "each read: client / engine ms (rows)", "Python outside the reads ms"]
    return head, [[r["query"], "" if r["hits"] is None else r["hits"], f"{r['p50_ms']:.2f}", f"{r['p95_ms']:.2f}",
                   r["statements"], "; ".join(f"{x['client_ms']:.2f} / {x['engine_ms']:.2f} ({x['rows']})"
                                              for x in r["reads"]), f"{r['python_ms']:.2f}"] for r in rows]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000", help="synthetic firm counts (default 10000,100000)")
    ap.add_argument("--requests", type=int, default=50, help="rounds of the query mix (default 50)")
    ap.add_argument("--data", help="data folder to keep and reuse the registries (default: a temporary one)")
    ap.add_argument("--json", action="store_true", help="one JSON line per figure as well")
    args = ap.parse_args(argv)
    data = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="xijin-bench-search-"))
    data.mkdir(parents=True, exist_ok=True)
    keeper = FalkorStore(data, graph="keeper", timeout=600)
    rng = random.Random(12)
    figures = []
    try:
        for n in [int(x) for x in args.sizes.split(",")]:
            s, reg, ents = load(data, n)
            cost = token_cost(ents)
            print(f"  search fields: {cost['tokens_per_record']} tokens a record, "
                  f"{cost['per_record_us']:.0f} µs a record, {cost['share_of_props'] * 100:.0f}% of entity_props")
            r = run(reg, ents, args.requests, rng)
            lk95 = percentile(r["lookup"], 95)
            print(f"\n| SYNTHETIC-{n} | p50 ms | p95 ms | p95 / lookup p95 | hits (capped) |")
            print("|---|---:|---:|---:|---|")
            print(f"| point lookup (Registry.get) | {statistics.median(r['lookup']):.2f} | {lk95:.2f} | 1.0 | |")
            for label, ts in r["per"].items():
                total, capped = r["totals"][label]
                print(f"| search: {label} | {statistics.median(ts):.2f} | {percentile(ts, 95):.2f} | "
                      f"{percentile(ts, 95) / lk95:.1f} | {total}{' (capped)' if capped else ''} |")
            s95 = percentile(r["all"], 95)
            print(f"| **search, whole mix** | {statistics.median(r['all']):.2f} | {s95:.2f} | **{s95 / lk95:.1f}** | |")
            print(f"| typo with suggestions ({r['typo_query']} -> {', '.join(r['typo_suggested']) or 'none'}) | "
                  f"{statistics.median(r['typo']):.2f} | {percentile(r['typo'], 95):.2f} | "
                  f"{percentile(r['typo'], 95) / lk95:.1f} | |\n", flush=True)
            head, rows = breakdown_rows(breakdown(reg, ents, max(10, args.requests // 5), rng))
            print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
            for row in rows:
                print("| " + " | ".join(str(x) for x in row) + " |")
            print(flush=True)
            tag = f"{n // 1000}k"
            figures += [
                {"figure": f"search_p95_vs_lookup_p95_{tag}", "value": round(s95 / lk95, 2), "unit": "ratio",
                 "target": 5, "met": s95 / lk95 <= 5, "runs": len(r["all"])},
                {"figure": f"search_p95_ms_{tag}", "value": round(s95, 2), "unit": "ms", "target": None, "met": None,
                 "runs": len(r["all"])},
                {"figure": f"lookup_p95_ms_{tag}", "value": round(lk95, 2), "unit": "ms", "target": None,
                 "met": None, "runs": len(r["lookup"])},
                {"figure": f"search_typo_p95_ms_{tag}", "value": round(percentile(r["typo"], 95), 2), "unit": "ms",
                 "target": None, "met": None, "runs": len(r["typo"])},
            ]
            if not args.data:
                s.drop_graph()
            s.close()
    finally:
        keeper.close()
    if args.json:
        for f in figures:
            print(json.dumps(f))
    return 0


if __name__ == "__main__":
    sys.exit(main())
