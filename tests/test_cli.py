"""The `xijin` command as a user runs it: real processes, real embedded store."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def xijin(*args, env=None, timeout=120):
    e = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "xijin", *args], capture_output=True, text=True,
                          timeout=timeout, env=e)


def test_status_on_a_new_instance(tmp_path):
    r = xijin("status", "--json", "--instance", str(tmp_path / "inst"))
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["store"]["store"] == "embedded FalkorDB"
    assert info["store"]["data_dir"] == str(tmp_path / "inst" / "store")
    assert info["counts"]["total_entities"] == 0
    assert not (tmp_path / "inst" / "store" / "falkordb.sock").exists()  # stopped again


def test_doctor_sets_nothing_up_and_says_what_is_missing(tmp_path):
    inst = str(tmp_path / "inst")
    r = xijin("doctor", "--instance", inst)
    assert r.returncode == 1
    assert "schema incomplete" in r.stderr
    r = xijin("serve", "--instance", inst, "--no-seed", "--get", "/api/v1/health")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["ok"] is True
    r = xijin("doctor", "--instance", inst)
    assert r.returncode == 0 and "schema in place" in r.stdout


def test_bad_port_exits_2_with_a_clear_message(tmp_path):
    r = xijin("serve", "--port", "70000", "--instance", str(tmp_path))
    assert r.returncode == 2
    assert "70000" in r.stderr and "Traceback" not in r.stderr


def test_unreachable_neo4j_is_one_clear_line(tmp_path):
    r = xijin("status", "--instance", str(tmp_path), env={"NEO4J_URI": "bolt://127.0.0.1:1",
                                                           "NEO4J_PASSWORD": "x"})
    assert r.returncode == 5
    assert "cannot reach Neo4j" in r.stderr and "Traceback" not in r.stderr
    assert len([l for l in r.stderr.splitlines() if l.strip()]) <= 3


def test_invalid_neo4j_uri(tmp_path):
    r = xijin("doctor", "--instance", str(tmp_path), env={"NEO4J_URI": "http://nowhere"})
    assert r.returncode == 5 and "Traceback" not in r.stderr


def test_get_of_a_missing_page_fails(tmp_path):
    r = xijin("serve", "--instance", str(tmp_path), "--no-seed", "--get", "/api/v1/entities/nope")
    assert r.returncode == 1
    assert json.loads(r.stdout)["status"] == 404


@pytest.mark.skipif(not os.environ.get("NEO4J_URI"), reason="NEO4J_URI is not set: wrong-password test skipped")
def test_wrong_neo4j_password(tmp_path):
    r = xijin("status", "--instance", str(tmp_path), env={"NEO4J_URI": os.environ["NEO4J_URI"],
                                                           "NEO4J_USER": os.environ.get("NEO4J_USER", "neo4j"),
                                                           "NEO4J_PASSWORD": "definitely-wrong"})
    assert r.returncode == 5 and "credentials" in r.stderr


@pytest.fixture(scope="module")
def seeded_instance(tmp_path_factory):
    inst = tmp_path_factory.mktemp("seeded") / "inst"
    r = xijin("seed", "--instance", str(inst))
    assert r.returncode == 0, r.stderr
    return str(inst)


def test_seed_twice_writes_nothing_the_second_time(seeded_instance):
    r = xijin("seed", "--instance", seeded_instance)
    assert r.returncode == 0 and "written now: 0 records, 0 relations" in r.stdout


def test_gaps_report_first_screen(seeded_instance):
    r = xijin("gaps", "--instance", seeded_instance)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("稀金图谱 · 产业链缺口报告")
    assert "优先处理的缺口" in r.stdout and "001_5d877c967d85b7a4.txt" in r.stdout
    data = json.loads(xijin("gaps", "--json", "--instance", seeded_instance).stdout)
    assert data["summary"]["gaps"]["total"] == sum(len(v) for v in data["gaps"].values())


def test_gaps_candidates_and_unknown_gap(seeded_instance):
    data = json.loads(xijin("gaps", "--json", "--instance", seeded_instance).stdout)
    gap_id = data["top_gaps"][0]["id"]
    r = xijin("gaps", "--instance", seeded_instance, "candidates", gap_id, "--json")
    assert r.returncode == 0, r.stderr
    assert "candidates" in json.loads(r.stdout)
    r = xijin("gaps", "--instance", seeded_instance, "candidates", "no-such-gap")
    assert r.returncode == 3 and "Traceback" not in r.stderr


def test_gaps_impact_of_an_unknown_firm(seeded_instance):
    r = xijin("gaps", "--instance", seeded_instance, "impact", "ent-nobody")
    assert r.returncode == 3 and "ent-nobody" in r.stderr
