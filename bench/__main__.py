"""The benchmarks of issue 12, side by side in one run (a script that prints figures; not a test).

    python -m bench --quick              # 10k synthetic firms; under 5 minutes on a 2-core machine
    python -m bench --full               # 10k and 100k firms, medians of more runs (a long run)
    python -m bench --quick --json       # one line per figure:
        {"figure": NAME, "value": X, "unit": U, "target": T, "met": true|false|null, "runs": N}
    python -m bench --quick --markdown out.md   # the same figures and the detail tables, for BENCHMARKS.md

Sections (each calls the existing bench scripts' functions where they have one):
  loader     Registry.upsert_many / upsert_relations against the engine's own ``UNWIND $rows ... MERGE`` of
             the same rows on the same embedded server, alternating, and an import (bench_import.run)
             against the raw ``UNWIND ... CREATE`` of the records as it stored them (every property; the
             input columns only, for reference); on Neo4j (NEO4J_URI set) also against one
             transaction per row.
  snapshot   a synthetic registry made with bench.synth; the first /gaps and /chain after one write
             (incremental analysis: web/analysis.py) against the same page warm, and the old path (the
             registry read whole) for comparison; with --profile, where the first page's time goes.
  search     Registry.search of a common term against Registry.get of one record, p95 each, same registry
             (bench/bench_search.py, when present, reports the search figures in detail).
  load       8 concurrent clients through the real waitress server (`xijin serve`) on loopback, bounded in
             requests and time: p95 of /, search, an entity page, /chain, /gaps and an XLSX partner list.
  graph      (--full) bench_graph.run_tree: build, chain index, gap report, betweenness at each size.
  million    (--full, or --only million; never --quick) bench/bench_million.py at 1M firms (--firms N for
             another size): the load, point lookup, search and 2-hop p95, the in-process analysis (gap
             report, partner XLSX) probed at 10% and 30% of the size first and run at the full size only
             if the projection fits in memory (else igraph over the supply network), peak memory of every
             process and of the store. A long run (about an hour at 1M).
Every record is synthetic (ids syn-..., names 合成.../SYNTHETIC). Progress and detail go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import platform
import pstats
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import bench_import, bench_store, bench_web  # noqa: E402
from bench.bench_web import percentile  # noqa: E402

PAGE_TARGET = 3.0      # first analysis page after one write: at most 3x the same page warm
LOADER_TARGET = 0.70   # the loader: at least 70% of the raw UNWIND ... MERGE rate
NAIVE_TARGET = 20.0    # on Neo4j: at least 20x one transaction per row
SEARCH_TARGET = 5.0    # search p95 at most 5x a point lookup's p95
CLIENTS = 8


def say(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def size_name(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


class Figures:
    def __init__(self, as_json: bool):
        self.rows: list[dict] = []
        self.tables: list[tuple[str, list[str], list[list]]] = []
        self.as_json = as_json

    def add(self, name: str, value, unit: str, *, target=None, met=None, runs: int = 1, note: str | None = None):
        if isinstance(value, float):
            value = round(value, 3)
        row = {"figure": name, "value": value, "unit": unit, "target": target, "met": met, "runs": runs}
        if note:
            row["note"] = note
        self.rows.append(row)
        if self.as_json:
            print(json.dumps(row, ensure_ascii=False), flush=True)
        say(f"  {name} = {value} {unit}" + (f" (target {target}: {'met' if met else 'NOT met'})"
                                            if met is not None else "") + (f"  [{note}]" if note else ""))

    def table(self, title: str, head: list[str], rows: list[list]) -> None:
        self.tables.append((title, head, rows))

    def markdown(self, meta: dict) -> str:
        out = [f"Run: {meta['started']} to {meta['ended']} (UTC), `{meta['command']}`", ""]
        out += ["| figure | value | unit | target | met | runs | note |", "|---|---:|---|---:|---|---:|---|"]
        for r in self.rows:
            met = {True: "yes", False: "**no**", None: "-"}[r["met"]]
            out.append(f"| `{r['figure']}` | {'null' if r['value'] is None else r['value']} | {r['unit']} | {'' if r['target'] is None else r['target']} "
                       f"| {met} | {r['runs']} | {r.get('note', '')} |")
        for title, head, rows in self.tables:
            out += ["", f"### {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
        return "\n".join(out) + "\n"


def ratio_met(value, target, *, at_most: bool):
    if value is None:
        return None
    return value <= target if at_most else value >= target


# ---------------------------------------------------------------- loader
# The raw baseline writes, with the engine's own UNWIND ... MERGE, the same rows with the same properties the
# loader stores (its derived fields included: search text and tokens, sort key, hash, bookkeeping), built
# before the clock starts; so the share measures what validation, the derived fields, the change log and
# the loader's own reads cost. A second baseline writes the input rows as they are (five properties a
# node): the engine's cost of the derived properties themselves (63 search tokens a record, each indexed).
RAW_NODES = "UNWIND $rows AS row MERGE (n:Entity:Enterprise {id: row.id}) SET n = row"
RAW_RELS = ("UNWIND $rows AS row MATCH (a:Entity {id: row.source}) MATCH (b:Entity {id: row.target}) "
            "MERGE (a)-[r:SUPPLIES {id: row.id}]->(b) SET r = row")
NAIVE_NODE = "MERGE (n:Entity:Enterprise {id: $row.id}) SET n = $row"
RAW_BATCH = 5000


def _loader_rows(n: int):
    records = bench_store.synthetic(n)
    rels = [{"type": "SUPPLIES", "source": f"syn-{i}", "target": f"syn-{(i * 7 + 1) % n}"} for i in range(n)]
    raw_rels = [{"id": f"syn-{i}>SUPPLIES>syn-{(i * 7 + 1) % n}", "source": f"syn-{i}",
                 "target": f"syn-{(i * 7 + 1) % n}"} for i in range(n)]
    return records, rels, raw_rels


def _stored_rows(records, rels):
    """The rows the loader stores for ``records`` and ``rels``: every property, derived ones included."""
    from registry.model import validate_entity, validate_relation
    from registry.repository import entity_props, now_iso, relation_props

    now = now_iso()
    meta = {"created_at": now, "updated_at": now, "version": 1, "updated_by": "bench"}
    return ([entity_props(validate_entity(r), meta=meta) for r in records],
            [relation_props(validate_relation(r), meta=meta) for r in rels])


def _forget_names() -> None:
    """Empty the loader's memo of names and words (pinyin, normalised text): each run meets its names as new,
    as a load of a new file does (the runs load the same synthetic names)."""
    from registry import repository as R

    for memo in (R._syllables, R._word_syllables, R._han_words, R._han_pinyin, R.normalise):
        memo.cache_clear()


def _time_loader(store, records, rels) -> tuple[float, float]:
    from registry.repository import Registry

    reg = Registry(store)
    reg.setup_schema()
    _forget_names()
    t0 = time.perf_counter()
    reg.upsert_many(records, by="bench", why="benchmark (SYNTHETIC data)")
    t1 = time.perf_counter()
    reg.upsert_relations(rels, by="bench", why="benchmark (SYNTHETIC data)")
    return t1 - t0, time.perf_counter() - t1


def _time_raw(store, records, raw_rels) -> tuple[float, float]:
    from registry.repository import Registry

    Registry(store).setup_schema()
    t0 = time.perf_counter()
    for i in range(0, len(records), RAW_BATCH):
        store.write(RAW_NODES, {"rows": records[i:i + RAW_BATCH]})
    t1 = time.perf_counter()
    for i in range(0, len(raw_rels), RAW_BATCH):
        store.write(RAW_RELS, {"rows": raw_rels[i:i + RAW_BATCH]})
    return t1 - t0, time.perf_counter() - t1


def _same_properties(loader_store, raw_store, node_id: str, rel_id: str) -> None:
    """The baseline stores what the loader stores: the same property names on a node and on a relation."""
    q_node = "MATCH (n:Entity {id: $id}) RETURN keys(n) AS k"
    q_rel = "MATCH ()-[r {id: $id}]->() RETURN keys(r) AS k"
    for q, key in ((q_node, node_id), (q_rel, rel_id)):
        a, b = (sorted(s.read(q, {"id": key})[0]["k"]) for s in (loader_store, raw_store))
        if a != b:
            raise SystemExit(f"the raw baseline does not store what the loader stores: {a} != {b}")


def _loader_profile(store, records, rels) -> list[list]:
    """cProfile of one loader run (nodes, then relations): where the time goes, by part. The statements are
    written from the profiled thread here (one chunk a kind or type), not overlapped with the preparation."""
    from registry.repository import Registry

    from registry import repository as R

    reg = Registry(store)
    reg.setup_schema()
    _forget_names()
    prof = cProfile.Profile()
    batch, R.WRITE_BATCH = R.WRITE_BATCH, len(records) + len(rels)  # every statement from this thread: profiled
    try:
        prof.enable()
        reg.upsert_many(records, by="bench", why="benchmark (SYNTHETIC data)")
        reg.upsert_relations(rels, by="bench", why="benchmark (SYNTHETIC data)")
        prof.disable()
    finally:
        R.WRITE_BATCH = batch
    stats = pstats.Stats(prof).stats
    parts = [  # (part, function names whose cumulative time is that part's)
        ("validation (pydantic models, endpoint kinds)", ("validate_entity", "check_endpoints", "validate_relation")),
        ("search tokens", ("search_tokens",)), ("search text", ("search_text",)), ("sort key (pinyin)", ("sort_key",)),
        ("hashing", ("_hash",)), ("the loader's reads (ids, kinds, stored relations)", ("kinds_of", "stored_relations")),
        ("parameter text and NUL check (store.params_text)", ("params_text",)),
        ("server's answer (engine time, seen from the client)", ("read_response",)),
    ]
    total = sum(v[3] for (f, _, name), v in stats.items() if name in ("upsert_many", "upsert_relations"))
    rows = []
    for label, names in parts:
        cum = sum(v[3] for (f, _, name), v in stats.items() if name in names and "registry" in f or
                  name in names and name == "read_response")
        rows.append([label, f"{cum:.2f}", f"{100 * cum / total:.0f}%"])
    rows.append(["whole loader (under cProfile)", f"{total:.2f}", "100%"])
    return rows


def _cpu_seconds(data_dir: str) -> tuple[float, float]:
    """CPU seconds so far of this process (every thread) and of the embedded server of ``data_dir``: the
    work done, whatever share of the machine's cores the other processes left."""
    from registry.embedded import PID_NAME

    pid = int(Path(data_dir, PID_NAME).read_text())
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return time.process_time(), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_loader(F: Figures, sizes: list[int], runs: int, headline: bool = True, profile: bool = False) -> None:
    from registry.store import FalkorStore

    say(f"== loader: Registry batch loader vs the engine's UNWIND ... MERGE, same embedded server, {runs} run(s)")
    tmp = tempfile.mkdtemp(prefix="xijin-bench-loader-")
    keeper = FalkorStore(tmp, graph="keeper")
    rows, input_rows, cpu_rows = [], [], []
    worst = None
    try:
        for n in sizes:
            records, rels, raw_rels = _loader_rows(n)
            stored_nodes, stored_rels = _stored_rows(records, rels)
            got = {"loader": [], "raw": [], "raw_input": []}
            cpu = {"loader": [], "raw": []}
            order = ("loader", "raw", "raw_input")
            for run in range(runs):
                made = {}
                for who in (order if run % 2 == 0 else order[::-1]):  # alternate the order
                    s = made[who] = FalkorStore(tmp, graph=f"{who}{n}_{run}")
                    s.clear()
                    c0 = _cpu_seconds(tmp)
                    got[who].append(_time_loader(s, records, rels) if who == "loader"
                                    else _time_raw(s, stored_nodes, stored_rels) if who == "raw"
                                    else _time_raw(s, records, raw_rels))
                    c1 = _cpu_seconds(tmp)
                    if who in cpu:  # (setup_schema's few statements included, on both sides)
                        cpu[who].append((c1[0] - c0[0], c1[1] - c0[1]))
                if run == 0:
                    _same_properties(made["loader"], made["raw"], records[0]["id"], stored_rels[0]["id"])
                for s in made.values():
                    s.drop_graph()
                    s.close()
            say(f"  {n:,} rows, seconds (nodes, relations) per run: "
                + "; ".join(f"{who} " + ", ".join(f"{a:.2f}/{b:.2f}" for a, b in v) for who, v in got.items()))
            ln, lr = (statistics.median(x[i] for x in got["loader"]) for i in (0, 1))
            rn, rr = (statistics.median(x[i] for x in got["raw"]) for i in (0, 1))
            inn, inr = (statistics.median(x[i] for x in got["raw_input"]) for i in (0, 1))
            node_share, rel_share = rn / ln, rr / lr
            F.add(f"loader_vs_raw_unwind_nodes_{size_name(n)}", node_share, "share of raw rate",
                  target=LOADER_TARGET, met=ratio_met(node_share, LOADER_TARGET, at_most=False), runs=runs,
                  note="raw: UNWIND ... MERGE of the same rows with every property the loader stores")
            F.add(f"loader_vs_raw_unwind_relations_{size_name(n)}", rel_share, "share of raw rate",
                  target=LOADER_TARGET, met=ratio_met(rel_share, LOADER_TARGET, at_most=False), runs=runs)
            F.add(f"loader_vs_raw_input_rows_nodes_{size_name(n)}", inn / ln, "share of raw rate", runs=runs,
                  note="raw: the input rows only (5 properties, no search tokens): for reference")
            F.add(f"loader_vs_raw_input_rows_relations_{size_name(n)}", inr / lr, "share of raw rate", runs=runs)
            rows.append([f"{n:,}", f"{ln:.2f}", f"{n / ln:,.0f}", f"{rn:.2f}", f"{n / rn:,.0f}", f"{node_share:.2f}",
                         f"{lr:.2f}", f"{n / lr:,.0f}", f"{rr:.2f}", f"{n / rr:,.0f}", f"{rel_share:.2f}"])
            input_rows.append([f"{n:,}", f"{inn:.2f}", f"{inn / ln:.2f}", f"{inr:.2f}", f"{inr / lr:.2f}"])
            lc, ls = (statistics.median(x[i] for x in cpu["loader"]) for i in (0, 1))
            rc, rs = (statistics.median(x[i] for x in cpu["raw"]) for i in (0, 1))
            F.add(f"loader_vs_raw_cpu_{size_name(n)}", (rc + rs) / (lc + ls), "share of raw CPU", runs=runs,
                  note="client (all threads) + embedded server CPU seconds, records and relations together")
            cpu_rows.append([f"{n:,}", f"{lc:.2f}", f"{ls:.2f}", f"{rc:.2f}", f"{rs:.2f}", f"{(rc + rs) / (lc + ls):.2f}"])
            worst = min(node_share, rel_share)
            if profile:
                s = FalkorStore(tmp, graph=f"profile{n}")
                s.clear()
                F.table(f"Where the loader's time goes, {n:,} rows (cProfile, cumulative s)",
                        ["part", "s", "share"], _loader_profile(s, records, rels))
                s.drop_graph()
                s.close()
    finally:
        keeper.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if headline and worst is not None:
        F.add("loader_vs_raw_unwind", worst, "share of raw rate", target=LOADER_TARGET,
              met=ratio_met(worst, LOADER_TARGET, at_most=False), runs=runs,
              note=f"the lower of nodes and relations at {size_name(sizes[-1])} rows")
    F.table("Loader against the engine's own UNWIND ... MERGE of the same rows and properties (embedded FalkorDB, "
            "medians)", ["rows", "loader nodes s", "rows/s", "raw MERGE s", "rows/s", "share",
                         "loader relations s", "rows/s", "raw MERGE s", "rows/s", "share"], rows)
    F.table("CPU seconds of the same runs, records and relations together (medians): the work, whatever the "
            "machine's load", ["rows", "loader client", "loader server", "raw client", "raw server", "share"], cpu_rows)
    F.table("For reference: raw UNWIND ... MERGE of the input rows only (no derived properties), same runs",
            ["rows", "raw nodes s", "loader share", "raw relations s", "loader share"], input_rows)


def bench_import_vs_raw(F: Figures, sizes: list[int]) -> None:
    say("== import: bench_import.run (read, preview, apply) vs raw UNWIND ... CREATE of the records it stored")
    rows = []
    for name, opener in bench_import.stores():
        for n in sizes:
            with contextlib.redirect_stdout(sys.stderr):
                r = bench_import.run(n, name, opener)
            share = r["raw_unwind_s"] / max(r["total_s"], 1e-9)
            F.add(f"import_vs_raw_unwind_{name}_{size_name(n)}", share, "share of raw rate", target=LOADER_TARGET,
                  met=ratio_met(share, LOADER_TARGET, at_most=False),
                  note="raw: UNWIND ... CREATE of the records with every property the import stored")
            F.add(f"import_vs_raw_input_rows_{name}_{size_name(n)}", r["raw_input_s"] / max(r["total_s"], 1e-9),
                  "share of raw rate", note="raw: the input columns only (3 properties, no search fields): for reference")
            cpu = r["cpu_client_s"] + r["cpu_server_s"]
            raw_cpu = r["raw_cpu_client_s"] + r["raw_cpu_server_s"]
            F.add(f"import_vs_raw_cpu_{name}_{size_name(n)}", raw_cpu / max(cpu, 1e-9), "share of raw CPU",
                  note="client + embedded server CPU seconds of the import and of the raw UNWIND of what it stored")
            rows.append([name, f"{n:,}", r["read_s"], r["preview_s"], r["apply_s"], r["total_s"], r["raw_unwind_s"],
                         f"{share:.2f}", r["raw_input_s"], f"{r['raw_input_s'] / max(r['total_s'], 1e-9):.2f}",
                         f"{r['cpu_client_s']:.2f} / {r['cpu_server_s']:.2f}",
                         f"{r['raw_cpu_client_s']:.2f} / {r['raw_cpu_server_s']:.2f}", f"{raw_cpu / max(cpu, 1e-9):.2f}"])
    F.table("Import (bench_import.run) against raw UNWIND ... CREATE of the records it stored (every property) "
            "and, for reference, of the input columns only",
            ["store", "rows", "read s", "preview s", "apply s", "total s", "raw (stored props) s", "share",
             "raw (input columns) s", "share", "import CPU s client / server", "raw CPU s client / server",
             "CPU share"], rows)


def bench_neo4j_naive(F: Figures, n: int) -> None:
    """On Neo4j (NEO4J_URI set): the loader against one transaction per row, same rows, same server."""
    from registry.repository import Registry
    from registry.store import Neo4jStore

    say(f"== loader on Neo4j: batch loader vs one transaction per row ({n} rows)")
    store = Neo4jStore(os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"),
                       os.environ.get("NEO4J_PASSWORD", ""))
    try:
        records, rels, raw_rels = _loader_rows(n)
        stored_nodes, _ = _stored_rows(records, rels[:0])  # naive and raw write what the loader stores
        store.clear()
        reg = Registry(store)
        reg.setup_schema()
        _forget_names()
        t0 = time.perf_counter()
        reg.upsert_many(records, by="bench", why="benchmark (SYNTHETIC data)")
        loader = time.perf_counter() - t0
        store.clear()
        reg.setup_schema()
        t0 = time.perf_counter()
        for row in stored_nodes:
            store.write(NAIVE_NODE, {"row": row})
        naive = time.perf_counter() - t0
        store.clear()
        t_raw, _ = _time_raw(store, stored_nodes, [])
        store.clear()
    finally:
        store.close()
    F.add("loader_vs_naive_neo4j", naive / loader, "x naive rate", target=NAIVE_TARGET,
          met=ratio_met(naive / loader, NAIVE_TARGET, at_most=False), note=f"{n} rows, one transaction a row")
    F.add(f"loader_vs_raw_unwind_neo4j_{size_name(n)}", t_raw / loader, "share of raw rate", target=LOADER_TARGET,
          met=ratio_met(t_raw / loader, LOADER_TARGET, at_most=False))


# ---------------------------------------------------------------- snapshot: the first page after a write
class Instance:
    """A synthetic registry made by bench.synth, and the app over it (in-process, test client)."""

    def __init__(self, base: Path, n: int, reuse: bool = False):
        from bench import synth

        self.n, self.folder = n, base / f"syn-{size_name(n)}"
        made = self.folder / "synth.json"
        self.reused = False
        if reuse and made.exists() and not (self.folder / "synth.pid").exists():
            got = json.loads(made.read_text(encoding="utf-8"))
            if got.get("firms") == n:
                say(f"  reusing the SYNTHETIC registry made {got.get('made_at')} in {self.folder} (--reuse; earlier "
                    "runs' benchmark edits are in it)")
                self.made, self.load_s, self.reused, self.app = got, float(got["total_s"]), True, None
                return
        t0 = time.perf_counter()
        self.made = synth.make(n, self.folder)
        self.load_s = time.perf_counter() - t0
        self.app = None

    def open_app(self):
        from registry.repository import Registry
        from web.store import store_holder

        self.app = bench_web.make_app(self.folder / "store", "xijin")
        self.app.config["READ_OPEN"] = True
        self.client = self.app.test_client()
        with self.app.app_context():
            self.reg = Registry(store_holder(self.app).get())
        # as `xijin serve` does on start: an instance made by an older version (--reuse) is brought up to this
        # version's schema first (e.g. schema 4's search_parts, without which search finds almost nothing)
        self.reg.setup_schema()
        return self

    def close_app(self):
        from web.store import close_store

        if self.app is not None:
            close_store(self.app)
            self.app = None

    def get(self, url: str) -> float:
        t0 = time.perf_counter()
        r = self.client.get(url)
        took = (time.perf_counter() - t0) * 1000
        if r.status_code != 200:
            raise SystemExit(f"{url}: HTTP {r.status_code}\n{r.get_data(as_text=True)[:500]}")
        return took

    def write(self, i: int, kind: str = "phone") -> None:
        """One edit by a person, of one of WRITE_KINDS: a firm's phone number (a field no analysis reads), its
        locality, a new segment membership, a new supply link, or its name."""
        fid = self.firms[i % len(self.firms)]
        why = "benchmark edit (SYNTHETIC data)"
        if kind in ("phone", "locality", "rename"):
            cur = self.reg.get(fid)
            change = {"phone": {"phone": f"0797-{9000000 + i:07d}"},
                      "locality": {"locality": "china" if cur.get("locality") == "cluster" else "cluster"},
                      "rename": {"name": f"合成企业改名{i}（SYNTHETIC）"}}[kind]
            self.reg.update(fid, change, version=cur["version"], by="bench", why=why)
        elif kind == "in_segment":  # a segment the firm is not in yet: a new membership
            seg = self._new_end(fid, "IN_SEGMENT", self.segments, i * 7)
            self.reg.relate({"type": "IN_SEGMENT", "source": fid, "target": seg}, by="bench", why=why)
        elif kind == "supplies":  # a firm it does not supply yet: a new supply link
            other = self._new_end(fid, "SUPPLIES", [f for f in self.firms if f != fid], i * 13 + 5)
            self.reg.relate({"type": "SUPPLIES", "source": fid, "target": other, "product": "合成产品（SYNTHETIC）"},
                            by="bench", why=why)
        else:
            raise ValueError(kind)

    def _new_end(self, source: str, rtype: str, ends: list[str], start: int) -> str:
        """The first of ``ends`` (from ``start`` on, round) that ``source`` has no ``rtype`` relation to."""
        from registry.errors import NotFound

        for j in range(len(ends)):
            end = ends[(start + j) % len(ends)]
            try:
                self.reg.get_relation(f"{source}>{rtype}>{end}")
            except NotFound:
                return end
        raise SystemExit(f"{source} has a {rtype} relation to every candidate end")

    def last(self) -> dict:
        from web.analysis import EXT

        cache = self.app.extensions.get(EXT)
        return dict(cache.last or {}) if cache else {}


# the writes the first page after a write is measured after, side by side (Instance.write)
WRITE_KINDS = ("phone", "locality", "in_segment", "supplies", "rename")


def bench_snapshot(F: Figures, inst: Instance, runs: int, profile: bool) -> None:
    from web.analysis import EXT

    n = inst.n
    sz = size_name(n)
    say(f"== snapshot at {n:,} synthetic firms: the first page after one write vs the same page warm, {runs} run(s) "
        f"per page and kind of write ({', '.join(WRITE_KINDS)})")
    inst.open_app()
    inst.firms = [e["id"] for e in inst.reg.list(kinds=["enterprise"], per_page=50)["items"]]
    inst.segments = [e["id"] for e in inst.reg.list(kinds=["segment"], per_page=200)["items"]]
    pages = {"gaps": "/gaps", "chain": "/chain"}
    t_build = inst.get("/gaps")  # the first snapshot: the registry read whole
    inst.write(0)                # one write first, so that the bulk load's changes are behind the marker
    inst.get("/gaps")
    rows, worst, worst_at = [], None, None
    k = 1
    for page, url in pages.items():
        for kind in WRITE_KINDS:
            firsts, warms, patches, reads, touched = [], [], [], [], []
            for _ in range(runs):
                for _ in range(3):
                    inst.get(url)
                warm = statistics.median(inst.get(url) for _ in range(5))
                inst.write(k, kind)
                k += 1
                first = inst.get(url)
                last = inst.last()
                firsts.append(first)
                warms.append(warm)
                patches.append(last.get("seconds", float("nan")) * 1000)
                reads.append(last.get("read_seconds", float("nan")) * 1000)
                t = last.get("touched") or {}
                touched.append(f"{t.get('records', '?')} rec., {'+'.join(t.get('types') or ()) or '-'}"
                               f"{', quiet' if t.get('quiet') else ''}")
                if last.get("mode") != "patch":
                    say(f"  warning: the snapshot after the write was read whole ({last})")
            ratios = [f / w for f, w in zip(firsts, warms)]
            ratio = statistics.median(ratios)
            if worst is None or ratio > worst:
                worst, worst_at = ratio, f"/{page} after a {kind} write"
            F.add(f"first_{page}_after_write_vs_warm_{sz}_{kind}", ratio, "x warm", target=PAGE_TARGET,
                  met=ratio_met(ratio, PAGE_TARGET, at_most=True), runs=runs)
            F.add(f"first_{page}_after_write_ms_{sz}_{kind}", statistics.median(firsts), "ms", runs=runs)
            rows.append([page, kind, touched[-1], f"{statistics.median(warms):.0f}", f"{statistics.median(firsts):.0f}",
                         f"{statistics.median(patches):.0f}", f"{statistics.median(reads):.0f}", f"{ratio:.1f}"])
        # the old path, side by side: the registry read whole and the analysis built again
        full = []
        for _ in range(max(1, runs // 2)):
            inst.app.extensions.pop(EXT, None)
            full.append(inst.get(url))
        F.add(f"first_{page}_registry_read_whole_ms_{sz}", statistics.median(full), "ms", runs=len(full),
              note="the path before incremental analysis (for comparison)")
        rows.append([page, "(registry read whole, old path)", "", "", f"{statistics.median(full):.0f}", "", "", ""])
    F.add(f"first_page_after_write_vs_warm_{sz}", worst, "x warm", target=PAGE_TARGET,
          met=ratio_met(worst, PAGE_TARGET, at_most=True), runs=runs,
          note=f"the worst of /gaps and /chain over the kinds of write {', '.join(WRITE_KINDS)}: {worst_at}")
    F.table(f"First analysis page after one write, {n:,} synthetic firms (medians of {runs}; ms)",
            ["page", "write", "touched (last run)", "warm", "first after write", "of it: snapshot brought up to date",
             "of that: change log + rows read", "ratio"], rows)
    F.add(f"first_snapshot_ms_{sz}", t_build, "ms", note="first /gaps of the process: the registry read whole")
    if profile:
        for kind in WRITE_KINDS:
            inst.get("/gaps")
            inst.write(k, kind)
            k += 1
            prof = cProfile.Profile()
            prof.enable()
            inst.get("/gaps")
            prof.disable()
            stats = pstats.Stats(prof).stats
            total = max(v[3] for v in stats.values())
            # the project's own functions (graph/, web/, registry/), biggest first: where the page's time went
            mine = [(v[3], v[2], f"{Path(k_[0]).parent.name}/{Path(k_[0]).name}:{k_[1]}({k_[2]})")
                    for k_, v in stats.items() if Path(k_[0]).parent.name in ("graph", "web", "registry")]
            top = sorted(mine, reverse=True)[:15]
            F.table(f"cProfile of the first /gaps after a {kind} write, {n:,} firms (cumulative s, own s)",
                    ["function", "cumulative s", "share", "own s"],
                    [[name, f"{c:.3f}", f"{c / total:.0%}", f"{o:.3f}"] for c, o, name in top])
    inst.close_app()


# ---------------------------------------------------------------- search against a point lookup
def bench_search(F: Figures, inst: Instance, lookups: int, searches: int) -> None:
    say(f"== search vs point lookup at {inst.n:,} firms")
    inst.open_app()
    try:
        if (ROOT / "bench" / "bench_search.py").exists():  # the search bench's own query mix, when it is here
            try:
                _bench_search_mix(F, inst, max(5, searches // 3))
                return
            except Exception as exc:  # noqa: BLE001 - an older or newer bench_search: fall back, and say so
                say(f"  bench_search.run did not run here ({type(exc).__name__}: {exc}); Registry.search('合成') instead")
        firms = [e["id"] for e in inst.reg.list(kinds=["enterprise"], per_page=200)["items"]]
        got, found = [], []
        for i in range(lookups):
            t0 = time.perf_counter()
            inst.reg.get(firms[i % len(firms)])
            got.append((time.perf_counter() - t0) * 1000)
        for i in range(searches):
            t0 = time.perf_counter()
            res = inst.reg.search("合成")
            found.append((time.perf_counter() - t0) * 1000)
        lp, sp = percentile(got, 95), percentile(found, 95)
        sz = size_name(inst.n)
        F.add(f"lookup_p95_ms_{sz}", lp, "ms", runs=lookups)
        F.add(f"search_p95_ms_{sz}", sp, "ms", runs=searches, note=f"q=合成 ({res['total']:,} hits, first page)")
        F.add(f"search_p95_vs_lookup_p95_{sz}", sp / lp, "x lookup", target=SEARCH_TARGET,
              met=ratio_met(sp / lp, SEARCH_TARGET, at_most=True), runs=searches)
    finally:
        inst.close_app()


def _bench_search_mix(F: Figures, inst: Instance, rounds: int) -> None:
    """bench/bench_search.py's query mix (searches and lookups alternating) on this run's registry."""
    import random

    from bench import bench_search
    from graph.synthetic import synthetic_registry

    ents, _ = synthetic_registry(inst.n)  # the registry bench.synth made (same generator, same seed)
    r = bench_search.run(inst.reg, ents, rounds, random.Random(0))
    lp, sp = percentile(r["lookup"], 95), percentile(r["all"], 95)
    sz = size_name(inst.n)
    F.add(f"lookup_p95_ms_{sz}", lp, "ms", runs=len(r["lookup"]))
    F.add(f"search_p95_ms_{sz}", sp, "ms", runs=len(r["all"]), note="bench_search.run's query mix")
    F.add(f"search_p95_vs_lookup_p95_{sz}", sp / lp, "x lookup", target=SEARCH_TARGET,
          met=ratio_met(sp / lp, SEARCH_TARGET, at_most=True), runs=len(r["all"]),
          note="bench_search.run's query mix, lookups alternating")
    if hasattr(bench_search, "breakdown") and hasattr(inst.reg.store, "graph"):  # the embedded store's run_time_ms
        head, rows = bench_search.breakdown_rows(bench_search.breakdown(inst.reg, ents, max(10, rounds * 2),
                                                                        random.Random(1)))
        F.table(f"Where a search's time goes at {inst.n:,} firms (medians; client vs the engine's run_time_ms)",
                head, rows)
        for row in rows:
            say("  " + " | ".join(str(x) for x in row))


# ---------------------------------------------------------------- pages under load, through the real server
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int, field: str = "VmHWM") -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def bench_load(F: Figures, inst: Instance, per_client: int, seconds: float) -> None:
    from registry.instance import open_registry

    sz = size_name(inst.n)
    say(f"== pages under load at {inst.n:,} firms: {CLIENTS} clients through `xijin serve` (waitress) on loopback, "
        f"at most {per_client} requests per client per page or {seconds:.0f} s")
    with open_registry(inst.folder) as reg:
        urls = bench_web.pick_urls(reg, synthetic=True)
    pages = {"home": urls["home"], "search": urls["search"], "entity": urls["entity"], "chain": urls["chain"],
             "gaps": urls["gaps"], "export_xlsx": urls["export_xlsx"]}
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "xijin", "serve", "--instance", str(inst.folder), "--port", str(port),
                             "--no-seed", "--threads", str(CLIENTS)], cwd=str(ROOT), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    rows, errors_total = [], 0
    try:
        t0 = time.monotonic()
        while True:
            if proc.poll() is not None:
                raise SystemExit("`xijin serve` exited before answering")
            try:
                with urllib.request.urlopen(base + "/api/v1/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
            if time.monotonic() - t0 > 120:
                raise SystemExit("`xijin serve` did not answer within 120 s")

        def fetch(url: str) -> tuple[float, bool]:
            t = time.perf_counter()
            try:
                with urllib.request.urlopen(base + urllib.parse.quote(url, safe="/?=&"), timeout=120) as r:
                    r.read()
                    ok = r.status == 200
            except (OSError, urllib.error.HTTPError):
                ok = False
            return (time.perf_counter() - t) * 1000, ok

        for page, url in pages.items():
            fetch(url)  # warm: the analysis snapshot is built once, as on a running server
            times, errors = [], [0]
            lock = threading.Lock()
            deadline = time.monotonic() + seconds

            def client():
                for _ in range(per_client):
                    if time.monotonic() > deadline:
                        return
                    took, ok = fetch(url)
                    with lock:
                        times.append(took)
                        errors[0] += not ok

            t1 = time.perf_counter()
            threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t1
            errors_total += errors[0]
            p95 = percentile(times, 95)
            F.add(f"load_p95_ms_{page}_{sz}", p95, "ms", runs=len(times),
                  note=f"{CLIENTS} clients; {len(times) / wall:.1f} req/s; {errors[0]} errors")
            rows.append([page, url if len(url) < 60 else url[:57] + "...", len(times), f"{statistics.median(times):.0f}",
                         f"{p95:.0f}", f"{len(times) / wall:.1f}", errors[0]])
        F.add(f"load_errors_{sz}", errors_total, "errors", target=0, met=errors_total == 0,
              runs=sum(r[2] for r in rows))
        serve_mb = _rss_mb(proc.pid)
        store_pid = int((inst.folder / "store" / "falkordb.pid").read_text())
        F.add(f"serve_peak_rss_mb_{sz}", serve_mb, "MB", note="the app process (VmHWM)")
        F.add(f"store_rss_mb_{sz}", _rss_mb(store_pid, "VmRSS"), "MB", note="the embedded FalkorDB server")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)
    F.table(f"Pages under load: {CLIENTS} concurrent clients, `xijin serve` on loopback, {inst.n:,} synthetic firms",
            ["page", "url", "requests", "p50 ms", "p95 ms", "req/s", "errors"], rows)


# ---------------------------------------------------------------- analyses (bench_graph)
def bench_graph_sizes(F: Figures, sizes: list[int]) -> None:
    from bench import bench_graph

    say("== graph analyses (bench_graph.run_tree), CPU seconds")
    rows = []
    for n in sizes:
        r = bench_graph.run_tree(n, 64)
        sz = size_name(n)
        for key in ("build_s", "chain_s", "report_s", "betweenness_s"):
            F.add(f"{key[:-2]}_cpu_s_{sz}", r.get(key), "s CPU")
        rows.append([f"{n:,}", f"{r['build_s']:.2f}", f"{r['chain_s']:.2f}", f"{r['report_s']:.2f}",
                     f"{r.get('betweenness_s', float('nan')):.2f}", f"{r['peak_rss_mb']:.0f}"])
    F.table("Graph analyses (bench_graph.run_tree; CPU s)",
            ["firms", "build_graph", "chain index", "gap report", "betweenness (k=64)", "peak RSS MB"], rows)


# ---------------------------------------------------------------- the run
def machine() -> dict:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    mem = next((int(ln.split()[1]) // 1024 for ln in Path("/proc/meminfo").read_text().splitlines()
                if ln.startswith("MemTotal")), None)
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_mb": mem, "python": platform.python_version(),
            "load": os.getloadavg()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0],
                                 epilog="Sections: see the module's docstring (python -m pydoc bench.__main__).")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="10k firms, few runs: under 5 minutes on 2 cores (default)")
    mode.add_argument("--full", action="store_true", help="10k and 100k firms, more runs: a long run")
    ap.add_argument("--json", action="store_true", help="one JSON line per figure on stdout")
    ap.add_argument("--markdown", metavar="PATH", help="write the figures and tables of this run as Markdown")
    ap.add_argument("--only", nargs="+", choices=("loader", "import", "snapshot", "search", "load", "graph", "million"),
                    help="run only these sections")
    ap.add_argument("--profile", action="store_true",
                    help="cProfile one first /gaps after a write, and one loader run (per size)")
    ap.add_argument("--firms", type=int, metavar="N",
                    help="size of the synthetic registries instead of 10k (and 100k with --full): a smaller run "
                         "names its figures by its size")
    ap.add_argument("--runs", type=int, metavar="N",
                    help="runs of the first page after a write (default 2; 3 with --full) and of the loader "
                         "(default 1; 3 with --full)")
    ap.add_argument("--keep", metavar="DIR", help="make the synthetic instances in DIR and keep them")
    ap.add_argument("--reuse", action="store_true",
                    help="with --keep: use a synthetic instance of the same size already made in DIR instead of "
                         "making it again (its load time is the one recorded when it was made)")
    args = ap.parse_args(argv)
    full = args.full
    want = set(args.only or ("loader", "import", "snapshot", "search", "load") + (("graph", "million") if full else ()))
    F = Figures(args.json)
    started = datetime.now(timezone.utc)
    info = machine()
    given = " ".join(sys.argv[1:] if argv is None else argv) or "--quick"
    say(f"python -m bench {given}: {info['nproc']} CPUs ({info['cpu']}), "
        f"{info['ram_mb']} MB RAM, load {info['load'][0]:.1f}; started {started:%Y-%m-%d %H:%M:%S} UTC")
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="xijin-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    made: dict[int, Instance] = {}

    def instance(n: int) -> Instance:
        if n not in made:
            say(f"== making a SYNTHETIC registry of {n:,} firms (python -m bench.synth)")
            made[n] = Instance(base, n, reuse=bool(args.reuse and args.keep))
            F.add(f"synth_load_s_{size_name(n)}", made[n].load_s, "s",
                  note=f"{made[n].made['records']:,} records, {made[n].made['relations']:,} relations through the batch "
                       f"loader" + (f" (made {made[n].made.get('made_at')}, reused)" if made[n].reused else ""))
        return made[n]

    try:
        small = [args.firms] if args.firms else None
        if "loader" in want:
            bench_loader(F, small or ([10_000, 100_000] if full else [10_000]), args.runs or (3 if full else 1),
                         profile=args.profile)
            if os.environ.get("NEO4J_URI"):
                bench_neo4j_naive(F, 10_000 if full else 2_000)
            else:
                say("  loader on Neo4j: NEO4J_URI is not set, loader_vs_naive_neo4j not measured")
                F.add("loader_vs_naive_neo4j", None, "x naive rate", target=NAIVE_TARGET, met=None, runs=0,
                      note="NEO4J_URI is not set: not measured")
        if "import" in want:
            bench_import_vs_raw(F, small or ([10_000, 100_000] if full else [5_000]))
        sizes = small or ([10_000, 100_000] if full else [10_000])
        if "snapshot" in want:
            for n in sizes:
                bench_snapshot(F, instance(n), args.runs or (3 if full else 2), args.profile)
            if 100_000 not in sizes:
                F.add("first_page_after_write_vs_warm_100k", None, "x warm", target=PAGE_TARGET, met=None,
                      runs=0, note="100k firms run in --full only")
        if "search" in want:
            for n in sizes:
                bench_search(F, instance(n), 200, 30 if full else 15)
            if 100_000 not in sizes:
                F.add("search_p95_vs_lookup_p95_100k", None, "x lookup", target=SEARCH_TARGET, met=None, runs=0,
                      note="100k firms run in --full only; Registry.search measured here, "
                      "bench/bench_search.py reports search in detail")
            if not (ROOT / "bench" / "bench_search.py").exists():
                say("  (bench/bench_search.py is not in this tree: the figures above are Registry.search's own)")
        if "load" in want:
            bench_load(F, instance(sizes[0]), 10 if full else 4, 120 if full else 45)
        if "graph" in want:
            bench_graph_sizes(F, sizes)
        if "million" in want:
            from bench import bench_million

            bench_million.run(F, args.firms or 1_000_000, base / "million")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    ended = datetime.now(timezone.utc)
    F.add("run_s", (ended - started).total_seconds(), "s", note=f"peak RSS of the runner "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.markdown:
        meta = {"started": f"{started:%Y-%m-%d %H:%M:%S}", "ended": f"{ended:%H:%M:%S}",
                "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])}
        Path(args.markdown).write_text(F.markdown(meta), encoding="utf-8")
    if not args.json:
        print(F.markdown({"started": f"{started:%Y-%m-%d %H:%M:%S}", "ended": f"{ended:%H:%M:%S}",
                          "command": "python -m bench " + " ".join(sys.argv[1:])}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
