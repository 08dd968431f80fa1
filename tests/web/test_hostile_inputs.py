"""The hostile-input corpus (issue 9, input that cannot hurt): every line of hostile_inputs.jsonl is sent
through the JSON API or an edit form by a client allowed to write (the ``writer_client`` fixture), and
must get exactly its expected status — never a 500 — and, when refused, change nothing.

A line: ``case`` number, ``route`` (entity.create, entity.patch, relation.create, entity.delete, query,
body, form.edit, form.relation), ``field``, ``value``, the expected ``status`` and a ``note``; optionally ``names``, the field a refusal's
message must start with. A value
may be generated: ``{"$repeat": [text, n]}``, ``{"$nest": depth}``, ``{"$hex": bytes}``, ``{"$big": n}``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from registry.repository import Registry
from web.store import store_holder

CORPUS = Path(__file__).with_name("hostile_inputs.jsonl")
CASES = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
PLAN = "001_5d877c967d85b7a4.txt"
FIRM = {"kind": "enterprise", "id": "ent-hostile", "name": "测试企业有限公司"}


def _value(v):
    if isinstance(v, dict) and "$repeat" in v:
        text, n = v["$repeat"]
        return text * n
    return v


def _raw(v) -> tuple[bytes, str]:
    """A raw request body for the ``body`` route."""
    if isinstance(v, str):
        return v.encode("utf-8"), "application/json"
    if "$nest" in v:
        n = v["$nest"]
        return ('{"kind":"enterprise","id":"ent-deep","name":"x","aliases":' + "[" * n + "]" * n + "}").encode(), \
            "application/json"
    if "$hex" in v:
        return bytes.fromhex(v["$hex"]), "application/json"
    if "$big" in v:
        return json.dumps({**FIRM, "address": "x" * v["$big"]}).encode(), "application/json"
    raise ValueError(v)


def _json(client, method: str, url: str, body) -> object:
    # ensure_ascii: a lone surrogate travels as its \\u escape, as any client's JSON encoder sends it
    return client.open(url, method=method, data=json.dumps(body, ensure_ascii=True), content_type="application/json")


def _form_token(client, entity_id: str) -> dict:
    html = client.get(f"/entity/{entity_id}/edit").get_data(as_text=True)
    return {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html)[1],
            "version": re.search(r'name="version" value="(\d+)"', html)[1]}


def _state(reg: Registry) -> tuple:
    """What a refused request must not change: the counts, and the records it aims at."""
    recs = reg.get_many(["ent-b", "ent-c"])
    return reg.counts(), {k: (v["version"], v["name"]) for k, v in recs.items()}, \
        [r["id"] for r in reg.neighbourhood("ent-c")["relations"]]


@pytest.fixture
def writer(writer_client):
    """The writing client, with a registered document whose text the quote check can read."""
    app = writer_client.application
    reg = Registry(store_holder(app).get())
    reg.create({"kind": "document", "id": "doc-plan", "name": "提升方案", "file": PLAN,
                "sources": [{"doc": PLAN, "section": "一", "quote": "突出以中国稀土集团为链主"}]}, by="test")
    return writer_client, reg


def send(client, reg: Registry, case: dict):
    route, field, value = case["route"], case["field"], _value(case["value"])
    if route == "entity.create":
        return _json(client, "POST", "/api/v1/entities", {**case.get("base", FIRM), field: value})
    if route == "entity.patch":
        body = {"version": reg.get("ent-b")["version"], field: value}
        return _json(client, "PATCH", "/api/v1/entities/ent-b", body)
    if route == "relation.create":
        body = {"type": "SUPPLIES", "source": "ent-b", "target": "ent-c",
                "sources": [{"by": "测试", "basis": "reported"}], field: value}
        return _json(client, "POST", "/api/v1/relations", body)
    if route == "entity.delete":
        return client.delete("/api/v1/entities/ent-b", query_string={} if value is None else {field: value})
    if route == "query":
        return client.get("/api/v1/entities", query_string={field: value})
    if route == "body":
        data, ctype = _raw(case["value"])
        return client.post("/api/v1/entities", data=data, content_type=case.get("content_type", ctype))
    if route == "form.edit":
        t = _form_token(client, "ent-b")
        rec = reg.get("ent-b")
        form = {"name": rec["name"], "locality": rec.get("locality", "unknown"), "by": "测试", "why": "语料", **t,
                field: value}
        return client.post("/entity/ent-b/edit", data=form)
    if route == "form.relation":
        t = _form_token(client, "ent-c")
        form = {"csrf_token": t["csrf_token"], "type": "SUPPLIES:in", "other": "ent-a", "by": "测试", "why": "语料",
                field: value}
        return client.post("/entity/ent-c/relations", data=form)
    raise ValueError(route)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['case']}-{c['route']}-{c['note']}" for c in CASES])
def test_hostile_input(writer, case):
    client, reg = writer
    before = _state(reg)
    r = send(client, reg, case)
    assert r.status_code != 500, r.get_data(as_text=True)[:300]
    assert r.status_code == case["status"], (case["note"], r.get_data(as_text=True)[:300])
    if r.status_code >= 400:
        assert _state(reg) == before, case["note"]  # refused: nothing changed
        if r.is_json:
            body = r.get_json()
            assert body["ok"] is False and body["status"] == r.status_code
            if case.get("names"):  # a body-level refusal says where in the body
                assert body["error"].startswith(case["names"]), body["error"]
            if case["route"] in ("entity.create", "entity.patch", "relation.create", "entity.delete") \
                    and case["status"] == 400 and case["field"] in ("name", "description", "address", "version",
                                                                     "value", "deadline_year", "product", "note"):
                assert case["field"] in body["error"], body["error"]  # the message names the field
    # whatever was stored, every page and export that shows it still works
    if r.status_code in (200, 201, 303):
        assert client.get("/entity/ent-b").status_code == 200
        assert client.get("/export/partners.xlsx?scope=enterprise&id=ent-b").status_code == 200


def test_the_corpus_is_big_enough_and_says_what_it_expects():
    assert len(CASES) >= 60
    assert all({"case", "route", "field", "value", "status", "note"} <= set(c) for c in CASES)
    assert sum(c["status"] >= 400 for c in CASES) >= 60


def test_old_data_with_a_vertical_tab_still_exports(writer):
    """Data stored before input was checked (or by an import) may hold what a workbook cannot: the
    export strips it rather than failing."""
    client, reg = writer
    reg.store.write("MATCH (n:Entity {id: 'ent-b'}) SET n.name = $name, n.address = $addr",
                    {"name": "赣县\x0b磁材\x01科技", "addr": "一行\x0b两行"})
    for fmt in ("xlsx", "csv", "json"):
        r = client.get(f"/export/partners.{fmt}?scope=enterprise&id=ent-c")
        assert r.status_code == 200, fmt
    from openpyxl import load_workbook
    import io

    wb = load_workbook(io.BytesIO(client.get("/export/partners.xlsx?scope=enterprise&id=ent-c").data))
    assert "赣县磁材科技" in [c.value for row in wb.active.iter_rows() for c in row]
