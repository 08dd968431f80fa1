"""How long an import takes (issue 10): a 500-row and a 100k-row enterprise file, read, previewed and
applied, on the embedded store (and on Neo4j when NEO4J_URI is set), each stage timed, side by side
with the store's own raw ``UNWIND … CREATE`` of the same records in the same run.

Two baselines, as for the loader (bench/__main__.py): the records **as the import stored them** (every
property, the derived ones included: search text and tokens, sort key, hash, sources, bookkeeping; read
back from the import's graph before the clock starts, and checked to be the same property names) —
so the share measures what the import adds: reading the file, matching, the preview's diffs, validation,
the derived fields and its change set with undo data; and, for reference, the input columns only
(three properties a row, no search fields), the figure this benchmark gave first.

    python -m bench.bench_import [--rows 500 100000] [--json]

Every name is marked synthetic (合成企业…). The registry starts empty for each size.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import tempfile
import time

from registry import tabular
from registry.importer import apply_import, plan_import
from registry.messages import label
from registry.repository import Registry
from registry.store import FalkorStore, Neo4jStore

RAW = "UNWIND $rows AS row CREATE (n:Entity:Enterprise) SET n = row"
RAW_BATCH = 5000
Q_STORED = "MATCH (n:Entity) RETURN properties(n) AS n"
Q_KEYS = "MATCH (n:Entity {id: $id}) RETURN keys(n) AS k"


def csv_bytes(n: int) -> bytes:
    head = ",".join(c.zh for c in tabular.columns("enterprise") if c.field in ("name", "locality", "roles", "phone"))
    loc = [label("locality", x) for x in ("cluster", "ganzhou", "china")]
    lines = [head] + [f"合成企业{i:06d}（synthetic）,{loc[i % 3]},{'规上' if i % 4 == 0 else ''},0797-{i:07d}"
                      for i in range(n)]
    # the column order of the header is the template's: name, locality, roles, phone
    return ("\n".join(lines)).encode("utf-8-sig")


def stores():
    tmp = tempfile.mkdtemp(prefix="xijin-bench-import-")
    yield "embedded", lambda g: FalkorStore(tmp, graph=g)
    if os.environ.get("NEO4J_URI"):
        yield "neo4j", lambda g: Neo4jStore(os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"),
                                            os.environ.get("NEO4J_PASSWORD", ""))
    shutil.rmtree(tmp, ignore_errors=True)


def _cpu(store) -> tuple[float, float]:
    """CPU seconds so far of this process (all threads) and of the embedded server (0 for Neo4j): the work
    done, whatever share of the cores the machine's other processes left."""
    server = 0.0
    if getattr(store, "server", None) is not None:
        pid = int(store.server.pid_path.read_text())
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        server = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return time.process_time(), server


def run(n: int, name: str, opener) -> dict:
    from registry import importer

    importer.core_name.cache_clear()  # every run meets its names as new (the runs import the same names)
    data = csv_bytes(n)
    store = opener(f"bench_import_{n}")
    store.clear()
    reg = Registry(store)
    reg.setup_schema()
    c0 = _cpu(store)
    t0 = time.perf_counter()
    tables = tabular.read_file(data, "bench.csv", kind="enterprise")
    t1 = time.perf_counter()
    plan = plan_import(reg, tables, file="bench.csv", by="bench")
    t2 = time.perf_counter()
    result = apply_import(reg, plan, by="bench", why="benchmark")
    t3 = time.perf_counter()
    c1 = _cpu(store)
    assert result["created"] == n, result
    stored = [r["n"] for r in store.read(Q_STORED, slow=True)]
    assert len(stored) == n, len(stored)
    # the store's own rate for the same records, same run: (1) every property the import stored
    raw = opener(f"bench_import_raw_{n}")
    raw.clear()
    Registry(raw).setup_schema()
    c4 = _cpu(raw)
    t4 = time.perf_counter()
    for i in range(0, n, RAW_BATCH):
        raw.write(RAW, {"rows": stored[i:i + RAW_BATCH]})
    t5 = time.perf_counter()
    c5 = _cpu(raw)
    a, b = (sorted(s.read(Q_KEYS, {"id": stored[0]["id"]})[0]["k"]) for s in (store, raw))
    if a != b:
        raise SystemExit(f"the raw baseline does not store what the import stores: {a} != {b}")
    # (2) for reference: the input columns only, no search fields, no bookkeeping
    raw_in = opener(f"bench_import_raw_in_{n}")
    raw_in.clear()
    Registry(raw_in).setup_schema()
    rows = [{"id": f"raw-{i}", "kind": "enterprise", "name": f"合成企业{i:06d}（synthetic）"} for i in range(n)]
    t6 = time.perf_counter()
    for i in range(0, n, RAW_BATCH):
        raw_in.write(RAW, {"rows": rows[i:i + RAW_BATCH]})
    t7 = time.perf_counter()
    for s in (store, raw, raw_in):
        s.clear()
        s.close()
    return {"store": name, "rows": n, "read_s": round(t1 - t0, 2), "preview_s": round(t2 - t1, 2),
            "apply_s": round(t3 - t2, 2), "total_s": round(t3 - t0, 2), "raw_unwind_s": round(t5 - t4, 2),
            "raw_input_s": round(t7 - t6, 2), "import_vs_raw": round((t3 - t0) / max(t5 - t4, 1e-6), 1),
            "cpu_client_s": round(c1[0] - c0[0], 2), "cpu_server_s": round(c1[1] - c0[1], 2),
            "raw_cpu_client_s": round(c5[0] - c4[0], 2), "raw_cpu_server_s": round(c5[1] - c4[1], 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[500, 100_000])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    for name, opener in stores():
        for n in args.rows:
            r = run(n, name, opener)
            if args.json:
                print(json.dumps(r, ensure_ascii=False))
            else:
                print(f"{r['store']:9} {r['rows']:>7} rows: read {r['read_s']}s, preview {r['preview_s']}s, "
                      f"apply {r['apply_s']}s, total {r['total_s']}s; raw UNWIND of the stored records "
                      f"{r['raw_unwind_s']}s (import = {r['import_vs_raw']}x raw), of the input columns "
                      f"{r['raw_input_s']}s; peak RSS {r['peak_rss_mb']} MB", flush=True)


if __name__ == "__main__":
    main()
