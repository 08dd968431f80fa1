"""The analysis snapshot: a cold page builds the chain index once and reads the change marker once."""

from __future__ import annotations

from graph import _chain
from registry.repository import Registry


def _count_calls(monkeypatch, owner, name):
    calls = []
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)
    monkeypatch.setattr(owner, name, counted)
    return calls


def test_a_cold_gaps_page_builds_the_chain_index_once_and_reads_the_change_marker_once(seeded_client, monkeypatch):
    chains = _count_calls(monkeypatch, _chain.Chain, "__init__")
    changes = _count_calls(monkeypatch, Registry, "changes")
    assert seeded_client.get("/gaps").status_code == 200
    assert len(chains) == 1
    assert [c for c in changes if c.get("limit") == 1] == [{"limit": 1}]


def test_a_second_page_on_the_same_snapshot_builds_nothing(seeded_client, monkeypatch):
    assert seeded_client.get("/gaps").status_code == 200
    chains = _count_calls(monkeypatch, _chain.Chain, "__init__")
    for path in ("/", "/chain", "/gaps", "/exports"):
        assert seeded_client.get(path).status_code == 200
    assert chains == []


def test_a_write_makes_the_next_page_use_a_new_snapshot(small_client, reg):
    before = small_client.get("/api/v1/chain").get_json()["data"]["segments"]
    reg.create({"id": "seg-new", "kind": "segment", "name": "新环节"}, by="test", why="snapshot test")
    after = small_client.get("/api/v1/chain").get_json()["data"]["segments"]
    assert after == before + 1
