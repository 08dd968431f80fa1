"""The benchmark commands of issue 12 answer (smoke tests: the benchmarks themselves never run in pytest)."""

from __future__ import annotations

import sys

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
