"""The benchmark commands of issue 12 answer (smoke tests: the benchmarks themselves never run in pytest)."""

from __future__ import annotations

import sys
from pathlib import Path

from registry.instance import open_registry


def test_bench_synth_makes_a_synthetic_registry_in_an_instance_folder(run, tmp_path):
    folder = tmp_path / "syn"
    r = run([sys.executable, "-m", "bench.synth", "--firms", "200", "--instance", str(folder)], timeout=300)
    assert r.returncode == 0, r.stderr
    assert "SYNTHETIC" in r.stderr and "records: " in r.stderr  # progress on stderr
    config = (folder / "config.py").read_text(encoding="utf-8")
    assert "SYNTHETIC" in config and "SEED_ON_START = False" in config
    with open_registry(folder) as reg:
        counts = reg.counts()
        assert counts["entities"]["enterprise"] == 200 and counts["total_relations"] > 200
        records, _ = reg.export_graph()
    assert all(e["id"].startswith("syn-") for e in records)
    assert all("合成" in e["name"] or "SYNTHETIC" in e["name"] for e in records)


def test_bench_synth_refuses_a_bad_size(run, tmp_path):
    r = run([sys.executable, "-m", "bench.synth", "--firms", "0", "--instance", str(tmp_path / "x")])
    assert r.returncode == 2 and "--firms" in r.stderr
    assert not (tmp_path / "x").exists()


def test_bench_help_answers_and_names_its_modes(run):
    r = run([sys.executable, "-m", "bench", "--help"])
    assert r.returncode == 0, r.stderr
    for option in ("--quick", "--full", "--json"):
        assert option in r.stdout


def test_bench_million_runs_end_to_end_at_a_small_size(run, tmp_path):
    """`--only million` at 300 firms, memory made to look short (BENCH_KEEP_FREE_MB), so that it takes the
    path it takes at 1M here: probes, load, lookups, search, 2-hop, then the projection and igraph instead of
    the in-process gap report. A smoke test of the section (about 20 s), not a benchmark."""
    import json

    keep = tmp_path / "keep"
    r = run([sys.executable, "-m", "bench", "--only", "million", "--firms", "300", "--json", "--keep", str(keep)],
            env={"BENCH_KEEP_FREE_MB": str(10**9)}, timeout=180)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = {f["figure"]: f for f in map(json.loads, r.stdout.splitlines())}
    assert all(set(f) >= {"figure", "value", "unit", "target", "met", "runs"} for f in rows.values())
    assert rows["load_s_300"]["value"] > 0 and "1,331 relations" in rows["load_s_300"]["note"]
    for name in ("lookup_p95_ms_300", "search_p95_ms_300", "two_hop_p95_ms_300", "app_peak_rss_mb_300",
                 "store_rss_mb_300", "analysis_peak_rss_mb_30", "analysis_peak_rss_mb_90"):
        assert rows[name]["value"] > 0, name
    ratio = rows["search_p95_vs_lookup_p95_300"]
    assert ratio["target"] == 5.0 and ratio["met"] == (ratio["value"] <= 5.0)
    gap = rows["gap_report_s_300"]
    assert gap["value"] is None and "PROJECTED" in gap["note"]  # labelled as a projection, never as a measurement
    assert rows["igraph_structure_s_300"]["value"] >= 0 and rows["igraph_betweenness_s_300"]["value"] >= 0
    made = json.loads((keep / "million" / "syn-300" / "synth.json").read_text(encoding="utf-8"))
    assert made["records"] == 349 and made["relations"] == 1331


def test_bench_million_is_in_full_but_never_in_quick(run):
    r = run([sys.executable, "-m", "bench", "--help"])
    assert "million" in r.stdout
    src = (Path(__file__).resolve().parents[2] / "bench" / "__main__.py").read_text(encoding="utf-8")
    assert '("graph", "million") if full else ()' in src
