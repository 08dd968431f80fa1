"""Make a SYNTHETIC registry in an instance folder, for benchmarks and load tests (issue 12).

    python -m bench.synth --firms 10000 --instance /tmp/syn10k
    python -m xijin serve --instance /tmp/syn10k --port 8080     # then browse or load-test it

The records come from ``graph.synthetic`` (a realistic rare-earth chain: segments, ~5 relations per firm,
supply links by preferential attachment). Every id starts with ``syn-``, every name says 合成 or
SYNTHETIC and every source says ``by: synthetic-generator``: nothing here describes a real firm, and the
pages label such a registry as synthetic. They are written through the registry's own batch loader
(``Registry.upsert_many`` / ``upsert_relations``: validation, search fields, change log), with progress
on stderr. The folder gets a ``config.py`` (no seed on start: the seed's real records would mix with the
synthetic ones; reading open, for the load benchmark on loopback) unless it has one already.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

CONFIG = '''# A SYNTHETIC benchmark registry, made by `python -m bench.synth` ({firms} firms): not real enterprises.
SEED_ON_START = False   # the seed's real records must not mix with synthetic ones
READ_OPEN = True        # pages readable without signing in (benchmarks on loopback)
'''


def _progress(stage: str):
    last = [0.0]

    def show(done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - last[0] >= 1.0:
            last[0] = now
            print(f"  {stage}: {done:,}/{total:,}", file=sys.stderr, flush=True)
    return show


def make(firms: int, instance: str | Path, *, seed: int = 0, quiet: bool = False) -> dict:
    """Write ``firms`` synthetic firms (and the chain around them) into the registry of ``instance``;
    returns what was written and how long it took."""
    from graph.synthetic import synthetic_registry
    from registry.instance import open_registry

    folder = Path(instance).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.py"
    if not config.exists():
        config.write_text(CONFIG.format(firms=firms), encoding="utf-8")
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    t0 = time.perf_counter()
    entities, relations = synthetic_registry(firms, seed=seed)
    t_gen = time.perf_counter() - t0
    say(f"SYNTHETIC registry: {len(entities):,} records, {len(relations):,} relations "
        f"(generated in {t_gen:.1f} s) -> {folder}")
    why = "合成基准数据 / SYNTHETIC benchmark data (bench.synth)"
    with open_registry(folder, setup=True) as reg:
        t1 = time.perf_counter()
        written = reg.upsert_many(entities, by="synthetic-generator", why=why,
                                  progress=None if quiet else _progress("records"))
        t2 = time.perf_counter()
        rel_written = reg.upsert_relations(relations, by="synthetic-generator", why=why,
                                           known_kinds={e["id"]: e["kind"] for e in entities},
                                           progress=None if quiet else _progress("relations"))
        t3 = time.perf_counter()
        counts = reg.counts()
    out = {"instance": str(folder), "firms": firms, "records": len(entities), "relations": len(relations),
           "records_written": sum(written.values()), "relations_written": sum(rel_written.values()),
           "generate_s": round(t_gen, 2), "records_s": round(t2 - t1, 2), "relations_s": round(t3 - t2, 2),
           "total_entities": counts["total_entities"], "total_relations": counts["total_relations"],
           "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    say(f"loaded: records {out['records_s']} s ({len(entities) / max(t2 - t1, 1e-9):,.0f}/s), relations "
        f"{out['relations_s']} s ({len(relations) / max(t3 - t2, 1e-9):,.0f}/s); the registry holds "
        f"{counts['total_entities']:,} records, {counts['total_relations']:,} relations; peak RSS "
        f"{out['peak_rss_mb']} MB")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.synth", description=__doc__.splitlines()[0])
    ap.add_argument("--firms", type=int, required=True, help="synthetic enterprises to make (e.g. 10000)")
    ap.add_argument("--instance", required=True, help="instance folder (made if missing; its store gets the data)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (same seed, same registry)")
    args = ap.parse_args(argv)
    if args.firms < 1:
        ap.error("--firms must be 1 or more")
    make(args.firms, args.instance, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
