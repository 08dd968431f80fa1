"""1M firms (issue 12): the registry at a national scale on one 2-core machine (a script that prints figures).

    python -m bench --only million --firms 1000000 --json      # the runner's section (in --full, never --quick)
    python -m bench.bench_million --probe DIR --hub ID          # (internal) the in-process analysis of one instance
    python -m bench.bench_million --igraph N                    # (internal) igraph over N firms' supply network

What the section measures, on the embedded store, at ``--firms`` SYNTHETIC firms (bench.synth: every id
``syn-…``, every name 合成…/SYNTHETIC):

* load: ``python -m bench.synth`` in its own process (the batch loader, a piece of 50k firms at a time), its
  records and relations per second and its own peak memory;
* point lookup p95 (``Registry.get`` of a random firm), and search p95 over a mix of terms (common, a name
  prefix, a whole name, digits, pinyin, a segment's name) through ``Registry.list(q=…, per_page=20)`` as the
  search page calls it, lookups and searches alternating;
* 2-hop neighbourhood p95: ``Registry.neighbourhood(id, hops=2, limit=400)``, what the entity page's graph
  asks for at two hops (``web.views_data.entity_detail``), for the busiest firm and random ones;
* the in-process analysis (registry read whole -> build_graph -> Analysis: the gap report, and the XLSX
  partner list of the busiest firm through ``/export/partners.xlsx``) in a child process per size, first
  at the smaller probe sizes (100k, 300k); at ``--firms`` only if the line through the probes' peak memory
  says it fits in what the machine has free less 4 GB. Otherwise the projection is reported, labelled as
  one, and igraph's times over the 1M supply network for the structural parts (components, cut points,
  bridges, sampled betweenness, PageRank) are measured instead;
* peak memory of this process (ru_maxrss: the app side of lookups, search, neighbourhoods), of each child,
  and of the store (redis-server VmHWM and VmRSS from /proc), at every size.

Memory is watched every 10 s (a line a minute in ``memory.log`` next to the instances); if the machine's
available memory drops under 3 GB the run stops and reports what it has.
"""

from __future__ import annotations

import _thread
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PROBES = (0.1, 0.3)      # the in-process analysis is probed at these shares of --firms first (100k, 300k of 1M)
# leave at least this much free for the other workers of the machine (BENCH_KEEP_FREE_MB overrides it: a
# smoke test sets it past the machine's memory to take the path a million firms take here)
KEEP_FREE_MB = int(os.environ.get("BENCH_KEEP_FREE_MB", 4096))
STOP_BELOW_MB = 3072     # stop the run when the machine's available memory falls under this
SEARCH_TARGET = 5.0


def say(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[max(0, min(len(s) - 1, int(round(p / 100 * (len(s) - 1)))))]


def size_name(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def fig(name: str, n: int) -> str:
    """A figure's name at n firms: ``million_<name>`` at 1M and more, ``<name>_<size>`` below."""
    return f"million_{name}" if n >= 1_000_000 else f"{name}_{size_name(n)}"


def available_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) // 1024
    return 0


def own_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def store_memory(folder: Path) -> dict:
    from bench.synth import store_rss_mb

    return store_rss_mb(folder)


class MemoryWatch:
    """Available memory every 10 s; a line a minute in ``log``; below ``STOP_BELOW_MB`` the main thread is
    interrupted (KeyboardInterrupt; a running child process is killed by subprocess.run)."""

    def __init__(self, log: Path):
        self.log, self.low, self.stopped = log, None, False
        self._done = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._t.join(5)

    def _run(self):
        last = 0.0
        with self.log.open("a", encoding="utf-8") as fh:
            while not self._done.is_set():
                avail = available_mb()
                self.low = avail if self.low is None else min(self.low, avail)
                now = time.monotonic()
                if now - last >= 60:
                    last = now
                    fh.write(f"{datetime.now(timezone.utc):%H:%M:%S} available {avail} MB\n")
                    fh.flush()
                if avail < STOP_BELOW_MB and not self.stopped:
                    self.stopped = True
                    fh.write(f"{datetime.now(timezone.utc):%H:%M:%S} available {avail} MB < {STOP_BELOW_MB}: "
                             "stopping the run\n")
                    fh.flush()
                    _thread.interrupt_main()
                self._done.wait(10)


def _child(args: list[str], timeout: float | None = None) -> dict:
    """Run this module (or bench.synth) in a process of its own: its peak memory is its own."""
    out = subprocess.run([sys.executable, *args], cwd=str(ROOT), capture_output=True, text=True, timeout=timeout,
                         env=dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")))
    if out.returncode:
        raise RuntimeError(f"{' '.join(args[:4])}: exit {out.returncode}\n{out.stderr[-3000:]}")
    for line in reversed(out.stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}


def make_instance(folder: Path, n: int, *, keeper: bool = True) -> dict:
    """The n-firm SYNTHETIC registry in ``folder`` (bench.synth in a child process), or the one made there
    before with the same size (its synth.json says so, and the store holds that many records)."""
    from registry.instance import open_registry

    info = folder / "synth.json"
    busy = folder / "synth.pid"  # a bench.synth filling this folder already (started by hand or another run)
    while busy.exists() and not info.exists():
        try:
            os.kill(int(busy.read_text().split()[0]), 0)
        except (OSError, ValueError):
            break
        say(f"  waiting for the bench.synth already filling {folder} (pid file {busy.name}) ...")
        time.sleep(30)
    if info.exists():
        made = json.loads(info.read_text(encoding="utf-8"))
        if made.get("firms") == n and made.get("seed", 0) == 0:
            with open_registry(folder) as reg:
                if reg.counts()["total_entities"] == made["records"]:
                    say(f"  reusing the {n:,}-firm registry made {made.get('made_at')} in {folder}")
                    return dict(made, reused=True)
    t0 = time.perf_counter()
    _child(["-m", "bench.synth", "--firms", str(n), "--instance", str(folder)])
    made = json.loads(info.read_text(encoding="utf-8"))
    made["wall_s"] = round(time.perf_counter() - t0, 1)
    return made


def busiest_firm(reg, among: int = 40) -> str:
    """The busiest of the first firms (preferential attachment makes the oldest ones the hubs)."""
    ids = [f"syn-ent-{i:06d}" for i in range(among)]
    deg = reg.store.degrees(ids)
    return max(ids, key=lambda x: (deg.get(x, 0), x))


# ---------------------------------------------------------------- the in-process analysis of one instance (child)
def probe(folder: Path, hub: str) -> dict:
    """The app's in-process analysis over the instance: the registry read whole, build_graph, the gap report,
    the partner XLSX of ``hub`` through the export route and the /gaps page; times and peak memory."""
    import gc

    from bench.bench_web import make_app
    from web import analysis as web_analysis
    from web.store import close_store, get_registry

    app = make_app(folder / "store", "xijin")
    app.config["READ_OPEN"] = True
    out: dict = {"base_rss_mb": round(own_peak_mb())}
    try:
        with app.test_request_context("/"):
            t0 = time.perf_counter()
            ents, rels = get_registry().export_graph()  # the read alone, to say where the time goes
            out["read_s"] = round(time.perf_counter() - t0, 2)
            out["records"], out["relations"] = len(ents), len(rels)
            del ents, rels
            gc.collect()
            out["read_peak_rss_mb"] = round(own_peak_mb())
        with app.test_request_context("/"):
            t0 = time.perf_counter()
            a = web_analysis.current()  # the snapshot: the registry read whole and build_graph, as a page does
            out["snapshot_s"] = round(time.perf_counter() - t0, 2)
            out["snapshot_peak_rss_mb"] = round(own_peak_mb())
            t0 = time.perf_counter()
            report = a.report()
            out["report_s"] = round(time.perf_counter() - t0, 2)
            out["gaps"] = report["summary"]["gaps"]["total"]
            out["report_peak_rss_mb"] = round(own_peak_mb())
        client = app.test_client()
        times, size = [], 0
        for _ in range(3):
            t0 = time.perf_counter()
            r = client.get(f"/export/partners.xlsx?scope=enterprise&id={hub}")
            times.append(time.perf_counter() - t0)
            if r.status_code != 200:
                raise SystemExit(f"partner export: HTTP {r.status_code}")
            size = len(r.data)
        with app.test_request_context("/"):
            out["partner_rows"] = len(web_analysis.current().partners("enterprise", hub))
        out["partner_xlsx_s"] = round(max(times), 2)
        out["partner_xlsx_bytes"] = size
        t0 = time.perf_counter()
        r = client.get("/gaps")
        out["gaps_page_s"] = round(time.perf_counter() - t0, 2)
        if r.status_code != 200:
            raise SystemExit(f"/gaps: HTTP {r.status_code}")
        out["peak_rss_mb"] = round(own_peak_mb())
        out.update(store_memory(folder))
    finally:
        close_store(app)
    return out


# ---------------------------------------------------------------- igraph over the supply network (child)
def igraph_supply(n: int, k: int = 64) -> dict:
    """igraph over the n-firm supply network (SUPPLIES links, taken from the generator's pieces: the rows
    the registry holds): components, cut points and blocks, bridges, betweenness from k sampled sources,
    PageRank; CPU seconds and peak memory."""
    import igraph

    from graph.synthetic import synthetic_chunks

    t0 = time.process_time()
    edges: list[tuple[int, int]] = []
    for _, rels in synthetic_chunks(n):
        edges += [(int(r["source"][8:]), int(r["target"][8:])) for r in rels if r["type"] == "SUPPLIES"]
    out = {"firms": n, "supply_links": len(edges), "edges_s": round(time.process_time() - t0, 2),
           "edges_rss_mb": round(own_peak_mb())}

    def timed(key, f):
        t = time.process_time()
        value = f()
        out[key] = round(time.process_time() - t, 2)
        return value

    g = timed("build_s", lambda: igraph.Graph(n=n, edges=edges, directed=True))
    del edges
    u = timed("undirected_s", lambda: g.as_undirected(mode="each"))
    comps = timed("components_s", lambda: u.connected_components())
    out["components"], out["largest_component"] = len(comps), max(comps.sizes())
    blocks, cuts = timed("cut_points_s", lambda: u.biconnected_components(return_articulation_points=True))
    out["blocks"], out["cut_points"] = len(blocks), len(cuts)
    out["bridges"] = len(timed("bridges_s", lambda: u.bridges()))
    sources = random.Random(0).sample(range(n), k)
    timed("betweenness_s", lambda: u.betweenness(directed=False, sources=sources))
    out["betweenness_k"] = k
    timed("pagerank_s", lambda: g.pagerank(damping=0.85))
    out["peak_rss_mb"] = round(own_peak_mb())
    return out


# ---------------------------------------------------------------- the section
def _queries(reg, n: int, rng: random.Random) -> dict[str, str]:
    one = reg.get(f"syn-ent-{rng.randrange(n):06d}")
    digits = one["id"].rsplit("-", 1)[1]
    seg = reg.get("syn-seg-metal")["name"]
    return {
        "common 合成": "合成",
        "name prefix 合成企业0012": "合成企业" + f"{rng.randrange(n):06d}"[:4],
        "whole name (rare)": one["name"],
        "digits (rare)": digits,
        "pinyin hecheng": "hecheng",
        "segment name": seg.split("·")[-1],
        "not held": "钕铁硼",
    }


def bench_registry_ops(F, folder: Path, n: int, rounds: int) -> dict:
    """Lookups, searches and 2-hop neighbourhoods at n firms, in this process; returns the table rows."""
    from registry.instance import open_registry

    sz = size_name(n)
    rng = random.Random(12)
    rows = []
    with open_registry(folder) as reg:
        t0 = time.perf_counter()
        reg.counts()
        open_s = time.perf_counter() - t0
        qs = _queries(reg, n, rng)
        for q in qs.values():  # warm: pypinyin's dictionaries, the store's caches
            reg.list(q=q, per_page=20)
        lookup, per = [], {k: [] for k in qs}
        totals = {}
        for _ in range(rounds):
            for label, q in qs.items():
                t0 = time.perf_counter()
                reg.get(f"syn-ent-{rng.randrange(n):06d}")
                lookup.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                res = reg.list(q=q, per_page=20)
                per[label].append((time.perf_counter() - t0) * 1000)
                totals[label] = (res["total"], res.get("capped"))
        lp = pct(lookup, 95)
        searches = [t for ts in per.values() for t in ts]
        sp = pct(searches, 95)
        F.add(fig("lookup_p95_ms", n), lp, "ms", runs=len(lookup),
              note=f"Registry.get of a random firm, {n:,} firms")
        F.add(fig("search_p95_ms", n), sp, "ms", runs=len(searches),
              note="Registry.list(q=…, per_page=20), the mix in the table")
        F.add(fig("search_p95_vs_lookup_p95", n), sp / lp, "x lookup", target=SEARCH_TARGET, met=sp / lp <= SEARCH_TARGET,
              runs=len(searches), note="lookups and searches alternating")
        rows.append(["point lookup (Registry.get)", len(lookup), f"{statistics.median(lookup):.2f}", f"{lp:.2f}",
                     "1.0", ""])
        for label, ts in per.items():
            total, capped = totals[label]
            rows.append([f"search: {label}", len(ts), f"{statistics.median(ts):.2f}", f"{pct(ts, 95):.2f}",
                         f"{pct(ts, 95) / lp:.1f}", f"{total:,}{' (capped)' if capped else ''}"])
        rows.append(["**search, whole mix**", len(searches), f"{statistics.median(searches):.2f}", f"{sp:.2f}",
                     f"**{sp / lp:.1f}**", ""])
        hub = busiest_firm(reg)
        firms = [hub] + [f"syn-ent-{rng.randrange(n):06d}" for _ in range(5)]
        hops, sizes = [], {}
        for _ in range(3):
            for fid in firms:
                t0 = time.perf_counter()
                nb = reg.neighbourhood(fid, hops=2, limit=400)
                hops.append((time.perf_counter() - t0) * 1000)
                sizes[fid] = (len(nb["nodes"]), len(nb["relations"]), nb["truncated"])
        hp = pct(hops, 95)
        F.add(fig("two_hop_p95_ms", n), hp, "ms", runs=len(hops),
              note=f"Registry.neighbourhood(hops=2, limit=400) of {hub} (the busiest firm: "
                   f"{sizes[hub][0]} records, {sizes[hub][1]} relations{', cut at 400' if sizes[hub][2] else ''}) "
                   f"and 5 random firms, 3 rounds")
        rows.append([f"2-hop neighbourhood (limit 400), {hub} + 5 random firms", len(hops),
                     f"{statistics.median(hops):.2f}", f"{hp:.2f}", f"{hp / lp:.1f}", ""])
        rows.append(["(opening the registry: first counts())", 1, f"{open_s * 1000:.0f}", "", "", ""])
    return {"rows": rows, "hub": hub, "lookup_p95": lp, "search_p95": sp, "two_hop_p95": hp}


def run(F, firms: int, base: Path, *, probes=PROBES) -> None:
    """The ``million`` section of ``python -m bench`` (see the module's docstring)."""
    from registry.instance import instance_holder

    sz = size_name(firms)
    base.mkdir(parents=True, exist_ok=True)
    probes = [int(firms * share) for share in probes if 1 <= int(firms * share) < firms]
    say(f"== {firms:,} firms: load, lookup, search, 2-hop, partner list, gap report; probes at "
        f"{', '.join(f'{p:,}' for p in probes) or 'none'}; available memory {available_mb():,} MB")
    mem_rows, probe_rows, notes = [], [], []
    watch = MemoryWatch(base / "memory.log")
    with watch:
        try:
            # the in-process analysis at the probe sizes first: does it fit at `firms`?
            got = {}
            for p in probes:
                folder = base / f"syn-{size_name(p)}"
                made = make_instance(folder, p)
                from registry.instance import open_registry
                with open_registry(folder) as reg:
                    hub = busiest_firm(reg)
                say(f"  in-process analysis at {p:,} firms (child process) ...")
                r = _child(["-m", "bench.bench_million", "--probe", str(folder), "--hub", hub])
                got[p] = r
                probe_rows.append([f"{p:,}", f"{r['records']:,}", f"{r['relations']:,}", r["read_s"],
                                   r["snapshot_s"], r["report_s"], f"{r['partner_xlsx_s']} ({r['partner_rows']} rows)",
                                   r["gaps_page_s"], r["snapshot_peak_rss_mb"], r["peak_rss_mb"],
                                   r.get("store_peak_rss_mb")])
                mem_rows.append([f"{p:,}", f"load (bench.synth){' — reused' if made.get('reused') else ''}",
                                 made.get("peak_rss_mb"), made.get("store_peak_rss_mb")])
                mem_rows.append([f"{p:,}", "in-process analysis (probe child)", r["peak_rss_mb"],
                                 r.get("store_peak_rss_mb")])
                for key in ("snapshot_s", "report_s", "partner_xlsx_s"):
                    F.add(f"{key[:-2]}_s_{size_name(p)}", r[key], "s", note="in-process analysis, child process")
                F.add(f"analysis_peak_rss_mb_{size_name(p)}", r["peak_rss_mb"], "MB",
                      note="the in-process analysis's process (ru_maxrss)")
            projection = None
            if len(got) >= 2:
                (a, ra), (b, rb) = sorted(got.items())[-2:]

                def line(key):
                    return rb[key] + (rb[key] - ra[key]) / (b - a) * (firms - b)
                # the partner list is not projected: it grows with the firm's partners, not with the registry
                projection = {k: line(k) for k in ("peak_rss_mb", "snapshot_s", "report_s")}
                F.add(fig("projected_analysis_peak_rss_mb", firms), projection["peak_rss_mb"], "MB",
                      note=f"PROJECTION: the line through the measured {size_name(a)} and {size_name(b)} peaks")

            # the load: bench.synth in its own process; this process holds the store open so that it is not
            # compacted and stopped between the load and the measurements
            folder = base / f"syn-{sz}"
            folder.mkdir(parents=True, exist_ok=True)
            if not (folder / "config.py").exists():
                from bench.synth import CONFIG
                (folder / "config.py").write_text(CONFIG.format(firms=firms), encoding="utf-8")
            holder = instance_holder(folder)
            holder.get()
            try:
                say(f"  loading {firms:,} firms (python -m bench.synth, child process) ...")
                made = make_instance(folder, firms)
                load_s = made.get("total_s")
                F.add(fig("load_s", firms), load_s, "s",
                      note=f"{made['records']:,} records in {made['records_s']} s "
                           f"({made['records'] / max(made['records_s'], 1e-9):,.0f}/s), {made['relations']:,} "
                           f"relations in {made['relations_s']} s "
                           f"({made['relations'] / max(made['relations_s'], 1e-9):,.0f}/s), generating "
                           f"{made['generate_s']} s" + (f"; reused, made {made.get('made_at')}" if made.get("reused")
                                                        else ""))
                F.add(fig("loader_peak_rss_mb", firms),
                      made.get("peak_rss_mb"), "MB", note="bench.synth's process (ru_maxrss)")
                mem_rows.append([f"{firms:,}", "load (bench.synth)", made.get("peak_rss_mb"),
                                 made.get("store_peak_rss_mb")])
                ops = bench_registry_ops(F, folder, firms, rounds=30)
                store = store_memory(folder)
                app_mb = own_peak_mb()
                F.add(fig("app_peak_rss_mb", firms), app_mb, "MB",
                      note="this process after lookups, searches and neighbourhoods (ru_maxrss)")
                F.add(fig("store_rss_mb", firms),
                      store.get("store_rss_mb"), "MB",
                      note=f"the embedded FalkorDB server: VmRSS; peak (VmHWM) {store.get('store_peak_rss_mb')} MB")
                mem_rows.append([f"{firms:,}", "lookups, search, 2-hop (this process)", round(app_mb),
                                 store.get("store_peak_rss_mb")])
                F.table(f"{firms:,} SYNTHETIC firms: point lookup, search and 2-hop neighbourhood "
                        f"(embedded FalkorDB; {made['records']:,} records, {made['relations']:,} relations)",
                        ["operation", "runs", "p50 ms", "p95 ms", "p95 / lookup p95", "hits"], ops["rows"])

                # the in-process analysis at `firms`: only if the projection says it fits
                free = available_mb()
                fits = projection is not None and projection["peak_rss_mb"] < free - KEEP_FREE_MB
                if projection is None or fits:
                    say(f"  in-process analysis at {firms:,} firms (child process; available {free:,} MB) ...")
                    r = _child(["-m", "bench.bench_million", "--probe", str(folder), "--hub", ops["hub"]])
                    probe_rows.append([f"{firms:,}", f"{r['records']:,}", f"{r['relations']:,}", r["read_s"],
                                       r["snapshot_s"], r["report_s"],
                                       f"{r['partner_xlsx_s']} ({r['partner_rows']} rows)", r["gaps_page_s"],
                                       r["snapshot_peak_rss_mb"], r["peak_rss_mb"], r.get("store_peak_rss_mb")])
                    mem_rows.append([f"{firms:,}", "in-process analysis (child)", r["peak_rss_mb"],
                                     r.get("store_peak_rss_mb")])
                    F.add(fig("gap_report_s", firms), r["snapshot_s"] + r["report_s"], "s",
                          note=f"registry read whole + build_graph {r['snapshot_s']} s, Analysis.report {r['report_s']} s")
                    F.add(fig("partner_xlsx_s", firms), r["partner_xlsx_s"], "s",
                          note=f"/export/partners.xlsx of {ops['hub']} ({r['partner_rows']} rows), snapshot warm")
                    F.add(fig("analysis_peak_rss_mb", firms), r["peak_rss_mb"], "MB")
                else:
                    why = (f"not run: PROJECTED peak {projection['peak_rss_mb']:,.0f} MB for the in-process analysis "
                           f"(line through the {', '.join(size_name(p) for p in got)} probes) against {free:,} MB "
                           f"available less {KEEP_FREE_MB:,} MB kept free")
                    notes.append(why)
                    F.add(fig("gap_report_s", firms), None, "s", note=why + f"; PROJECTED time "
                          f"{projection['snapshot_s'] + projection['report_s']:,.0f} s "
                          f"(read+build {projection['snapshot_s']:,.0f} s, report {projection['report_s']:,.0f} s)")
                    F.add(fig("partner_xlsx_s", firms), None, "s", note="the export route needs the same in-process "
                          f"analysis: {why}; once it is built, the list took "
                          + ", ".join(f"{r['partner_xlsx_s']} s at {size_name(p)}" for p, r in got.items())
                          + " (it grows with the firm's partners, not with the registry)")
                    say(f"  igraph over the {firms:,}-firm supply network (child process) ...")
                    g = _child(["-m", "bench.bench_million", "--igraph", str(firms)])
                    F.table(f"igraph over the {firms:,}-firm supply network (child process; CPU s)",
                            ["firms", "supply links", "edges from the rows s", "build s", "undirected s",
                             "components s", "cut points s", "bridges s", f"betweenness k={g['betweenness_k']} s",
                             "PageRank s", "components / largest", "cut points / blocks", "bridges",
                             "peak RSS MB"],
                            [[f"{firms:,}", f"{g['supply_links']:,}", g["edges_s"], g["build_s"], g["undirected_s"],
                              g["components_s"], g["cut_points_s"], g["bridges_s"], g["betweenness_s"],
                              g["pagerank_s"], f"{g['components']:,} / {g['largest_component']:,}",
                              f"{g['cut_points']:,} / {g['blocks']:,}", f"{g['bridges']:,}", g["peak_rss_mb"]]])
                    F.add(fig("igraph_structure_s", firms), sum(g[k] for k in ("build_s", "undirected_s", "components_s",
                                                                          "cut_points_s", "bridges_s")), "s CPU",
                          note="igraph: build, components, cut points and blocks, bridges of the supply network")
                    F.add(fig("igraph_betweenness_s", firms), g["betweenness_s"], "s CPU",
                          note=f"k={g['betweenness_k']} sampled sources")
                    mem_rows.append([f"{firms:,}", "igraph over the supply network (child)", g["peak_rss_mb"], "-"])
            finally:
                holder.close()
        except KeyboardInterrupt:
            notes.append(f"STOPPED: available memory fell under {STOP_BELOW_MB} MB (lowest {watch.low} MB); "
                         "the figures above are what was measured before")
            F.add(fig("stopped", firms), True, "", note=notes[-1])
    if probe_rows:
        F.table("In-process analysis (registry read whole -> build_graph -> Analysis), one child process per size",
                ["firms", "records", "relations", "read whole s", "snapshot (read + build) s", "gap report s",
                 "partner XLSX s (busiest firm)", "/gaps page s", "peak RSS after snapshot MB", "peak RSS MB",
                 "store peak MB"], probe_rows)
    if mem_rows:
        F.table(f"Peak memory at each size (MB; available at the lowest {watch.low:,} MB)" if watch.low else
                "Peak memory at each size (MB)", ["firms", "process", "process peak RSS", "store peak (VmHWM)"],
                mem_rows)
    F.add(fig("lowest_available_mb", firms), watch.low, "MB", note="the machine's available memory during the section")


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m bench.bench_million", description=__doc__.splitlines()[0])
    ap.add_argument("--probe", metavar="DIR", help="the in-process analysis of the instance DIR (JSON on stdout)")
    ap.add_argument("--hub", help="the firm whose partner list is exported (with --probe)")
    ap.add_argument("--igraph", type=int, metavar="N", help="igraph over the N-firm supply network (JSON on stdout)")
    args = ap.parse_args(argv)
    if args.probe:
        print(json.dumps(probe(Path(args.probe), args.hub)))
    elif args.igraph:
        print(json.dumps(igraph_supply(args.igraph)))
    else:
        ap.error("the section runs through the runner: python -m bench --only million --firms N")
    return 0


if __name__ == "__main__":
    sys.exit(main())
