"""`xijin seed` on a real store: loads everything, twice is the same graph, a bad row loads nothing."""

from __future__ import annotations

import shutil

import pytest

from registry.errors import InvalidInput
from registry.repository import Registry
from seed.dataset import default_data_dir, load_dataset
from seed.loader import load_seed, seed_if_empty


def test_seed_loads_everything_and_twice_is_the_same_graph(falkor):
    reg = Registry(falkor)
    entities, relations = load_dataset()
    first = load_seed(reg)
    counts = reg.counts()
    assert counts["total_entities"] == len(entities) == first["entities"]
    assert counts["total_relations"] == len(relations) == first["relations"]
    versions = {n["id"]: n["version"] for n in reg.export_graph()[0]}
    again = load_seed(reg)
    assert reg.counts() == counts
    assert sum(again["written"].values()) == 0 and sum(again["relations_written"].values()) == 0
    assert {n["id"]: n["version"] for n in reg.export_graph()[0]} == versions
    assert seed_if_empty(reg) is None  # not empty: the app's first-run seeding leaves it alone


def test_a_broken_seed_row_stops_the_load_and_writes_nothing(falkor, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(default_data_dir(), data)
    text = (data / "enterprises.yaml").read_text(encoding="utf-8")
    (data / "enterprises.yaml").write_text(text.replace("locality: cluster", "locality: mars", 1), encoding="utf-8")
    reg = Registry(falkor)
    with pytest.raises(InvalidInput) as exc:
        load_seed(reg, data_dir=data)
    assert "enterprises.yaml" in exc.value.message and "mars" in exc.value.message
    assert reg.counts()["total_entities"] == 0 and reg.counts()["total_relations"] == 0


def test_seeded_facts_read_back_from_the_store(falkor):
    reg = Registry(falkor)
    load_seed(reg)
    leader = reg.get("ent-china-rare-earth-group")
    assert leader["name"] == "中国稀土集团" and "chain_leader" in leader["roles"]
    assert all(s["doc"] and s["quote"] for s in leader["sources"])
    hits = {i["id"] for i in reg.search("中国稀土")["items"]}
    assert "ent-china-rare-earth-group" in hits
