"""Make a SYNTHETIC registry in an instance folder, for benchmarks and load tests (issue 12).

    python -m bench.synth --firms 10000 --instance /tmp/syn10k
    python -m xijin serve --instance /tmp/syn10k --port 8080     # then browse or load-test it

The records come from ``graph.synthetic`` (a realistic rare-earth chain: segments, ~5 relations per firm,
supply links by preferential attachment). Every id starts with ``syn-``, every name says 合成 or
SYNTHETIC and every source says ``by: synthetic-generator``: nothing here describes a real firm, and the
pages label such a registry as synthetic. They are written through the registry's own batch loader
(``Registry.upsert_many`` / ``upsert_relations``: validation, search fields, change log), a piece of
``--chunk`` firms at a time (``graph.synthetic.synthetic_chunks``: the same rows, never all held at once),
with progress on stderr. The folder gets a ``config.py`` (no seed on start: the seed's real records would mix with the
synthetic ones; reading open, for the load benchmark on loopback) unless it has one already, and a
``synth.json`` saying what was made, when and how long the load took (the 1M benchmark reads it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

CONFIG = '''# A SYNTHETIC benchmark registry, made by `python -m bench.synth` ({firms} firms): not real enterprises.
SEED_ON_START = False   # the seed's real records must not mix with synthetic ones
READ_OPEN = True        # pages readable without signing in (benchmarks on loopback)
STORE_TIMEOUT = 60.0    # counting the relations of a million records takes longer than a page's 3 s
'''


def _progress(stage: str, offset: int = 0):
    last = [0.0]

    def show(done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - last[0] >= 1.0:
            last[0] = now
            print(f"  {stage}: {offset + done:,} (this piece {done:,}/{total:,})", file=sys.stderr, flush=True)
    return show


def store_rss_mb(folder: Path) -> dict[str, float | None]:
    """Peak and current resident memory of an instance's embedded store server (VmHWM, VmRSS from /proc)."""
    out: dict[str, float | None] = {"store_peak_rss_mb": None, "store_rss_mb": None}
    try:
        pid = int((folder / "store" / "falkordb.pid").read_text().split()[0])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmHWM:", "VmRSS:")):
                key = "store_peak_rss_mb" if line.startswith("VmHWM") else "store_rss_mb"
                out[key] = round(int(line.split()[1]) / 1024)
    except (OSError, ValueError):
        pass
    return out


def make(firms: int, instance: str | Path, *, seed: int = 0, quiet: bool = False, chunk: int = 50_000) -> dict:
    """Write ``firms`` synthetic firms (and the chain around them) into the registry of ``instance``;
    returns what was written and how long it took.

    The rows come from ``graph.synthetic.synthetic_chunks`` a piece (``chunk`` firms) at a time and go
    through the batch loader piece by piece, so a million firms are never held whole; the rows are
    ``synthetic_registry(firms, seed=seed)``'s, whatever the piece size."""
    from graph.synthetic import synthetic_chunks
    from registry.instance import open_registry

    folder = Path(instance).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.py"
    if not config.exists():
        config.write_text(CONFIG.format(firms=firms), encoding="utf-8")
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    say(f"SYNTHETIC registry of {firms:,} firms, in pieces of {chunk:,} firms -> {folder}")
    why = "合成基准数据 / SYNTHETIC benchmark data (bench.synth)"
    kinds: dict[str, str] = {}
    n_ents = n_rels = w_ents = w_rels = 0
    t_gen = t_ents = t_rels = 0.0
    t_start = time.perf_counter()
    busy = folder / "synth.pid"  # says "being filled" to a benchmark that wants this folder (bench_million)
    busy.write_text(str(os.getpid()), encoding="utf-8")
    with open_registry(folder, setup=True) as reg:
        pieces = synthetic_chunks(firms, seed=seed, chunk=chunk)
        while True:
            t0 = time.perf_counter()
            piece = next(pieces, None)
            t_gen += time.perf_counter() - t0
            if piece is None:
                break
            entities, relations = piece
            if entities:
                t0 = time.perf_counter()
                written = reg.upsert_many(entities, by="synthetic-generator", why=why,
                                          progress=None if quiet else _progress("records", n_ents))
                t_ents += time.perf_counter() - t0
                w_ents += sum(written.values())
                n_ents += len(entities)
                kinds.update((e["id"], e["kind"]) for e in entities)
            if relations:
                ends = {x: kinds[x] for r in relations for x in (r["source"], r["target"]) if x in kinds}
                t0 = time.perf_counter()
                rel_written = reg.upsert_relations(relations, by="synthetic-generator", why=why, known_kinds=ends,
                                                   progress=None if quiet else _progress("relations", n_rels))
                t_rels += time.perf_counter() - t0
                w_rels += sum(rel_written.values())
                n_rels += len(relations)
            del entities, relations, piece
        counts = reg.counts()
        store = store_rss_mb(folder / "")
    out = {"instance": str(folder), "firms": firms, "records": n_ents, "relations": n_rels,
           "records_written": w_ents, "relations_written": w_rels,
           "generate_s": round(t_gen, 2), "records_s": round(t_ents, 2), "relations_s": round(t_rels, 2),
           "total_s": round(time.perf_counter() - t_start, 2),
           "total_entities": counts["total_entities"], "total_relations": counts["total_relations"],
           "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), **store}
    say(f"loaded: records {out['records_s']} s ({n_ents / max(t_ents, 1e-9):,.0f}/s), relations "
        f"{out['relations_s']} s ({n_rels / max(t_rels, 1e-9):,.0f}/s), generating {out['generate_s']} s; the "
        f"registry holds {counts['total_entities']:,} records, {counts['total_relations']:,} relations; peak RSS "
        f"{out['peak_rss_mb']} MB (this process), store {out['store_peak_rss_mb']} MB (peak)")
    out["made_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    out["seed"] = seed
    (folder / "synth.json").write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    busy.unlink(missing_ok=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.synth", description=__doc__.splitlines()[0])
    ap.add_argument("--firms", type=int, required=True, help="synthetic enterprises to make (e.g. 10000)")
    ap.add_argument("--instance", required=True, help="instance folder (made if missing; its store gets the data)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (same seed, same registry)")
    ap.add_argument("--chunk", type=int, default=50_000, help="firms generated and loaded per piece (default 50000)")
    args = ap.parse_args(argv)
    if args.firms < 1:
        ap.error("--firms must be 1 or more")
    if args.chunk < 1:
        ap.error("--chunk must be 1 or more")
    make(args.firms, args.instance, seed=args.seed, chunk=args.chunk)
    return 0


if __name__ == "__main__":
    sys.exit(main())
