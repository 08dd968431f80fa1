"""`xijin ingest FILE [--json] [--instance]` (issue 14): one JSON object of proposals, every quote verbatim."""

from __future__ import annotations

import json
import re
from pathlib import Path

from xijin.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DOC_001 = ROOT / "seed" / "documents" / "001_5d877c967d85b7a4.txt"

FIELDS = {"organisations": {"kind", "name", "match", "quote"},
          "targets": {"metric", "comparison", "value", "unit", "period", "quote"},
          "tasks": {"number", "title", "responsible_units", "quote"},
          "relations": {"type", "source", "target", "quote"},
          "segments": {"name", "parent", "match", "quote", "span", "section"}}


def test_json_shape_and_verbatim_quotes(runner):
    r = runner.invoke(cli, ["ingest", str(DOC_001), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    text = DOC_001.read_text(encoding="utf-8")
    for key, fields in FIELDS.items():
        assert out[key], key
        for item in out[key]:
            assert fields <= set(item), (key, item)
            assert item["quote"] in text
    assert len(out["tasks"]) == 23
    keys = [item["key"] for k in FIELDS for item in out[k]]
    assert len(keys) == len(set(keys))
    motors = [s for s in out["segments"] if s["parent"] == "永磁电机"]
    assert len(motors) == 8 and all(text[s["span"][0]:s["span"][1]] == s["quote"] for s in motors)
    assert out["tasks"][16]["responsible_units"][-1] == "高新投"
    assert all(o["match"]["status"] == "new" for o in out["organisations"])


def test_text_output_and_refusals(runner, tmp_path):
    r = runner.invoke(cli, ["ingest", str(DOC_001)])
    assert r.exit_code == 0
    assert "任务 23 项" in r.stdout and "23 tasks" in r.stdout and re.search(r"\d+ chain segments", r.stdout)
    assert "  伺服电机 < 永磁电机  +" in r.stdout and "中国稀土集团 -CHAIN_LEADER-> 产业链" in r.stdout
    doc = tmp_path / "plan.docx"
    doc.write_bytes(b"PK\x03\x04")
    r = runner.invoke(cli, ["ingest", str(doc)], catch_exceptions=True)
    assert r.exit_code == 2 and "is not a valid Word (.docx) file" in r.output  # a broken .docx: said so
    missing = tmp_path / "nowhere"
    r = runner.invoke(cli, ["ingest", str(DOC_001), "--instance", str(missing)], catch_exceptions=True)
    assert r.exit_code == 3 and "no registry at" in r.output and not missing.exists()  # read-only: never creates the instance folder


def test_matches_a_seeded_registry(runner, seeded_instance):
    r = runner.invoke(cli, ["ingest", str(DOC_001), "--json", "--instance", seeded_instance])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    segs = {s["name"]: s["match"] for s in out["segments"]}
    assert segs["伺服电机"] == {"status": "exact", "id": "seg-motor-servo", "kind": "segment"}
    assert segs["永磁电机"]["status"] == "exact"  # an alias of seg-pm-motors
    by = {o["name"]: o["match"] for o in out["organisations"]}
    assert by["中国稀土集团"] == {"status": "exact", "id": "ent-china-rare-earth-group", "kind": "enterprise"}
    assert by["江西理工大学"]["status"] == "exact"
    exact = sum(m["status"] == "exact" for m in by.values())
    assert exact >= 0.9 * len(by)
