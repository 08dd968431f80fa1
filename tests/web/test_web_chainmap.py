"""The chain map's words and colours (web.chainmap, web.palette), issue 11: one legend and one colour
scheme for every map, locality labels that say only what the sources say, the map's search endpoint."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import g

from registry.messages import catalogue, label
from registry.model import LOCALITIES
from web import chainmap, palette

STATIC = Path(palette.__file__).with_name("static")
RAW = json.loads((STATIC / "palette.json").read_text(encoding="utf-8"))
FULL_WIDTH = re.compile("[\uff01-\uff5e\u3001\u3002\u201c\u201d\u2018\u2019]")  # ，：（）、。“” …


def script_json(html: str, block: str):
    return json.loads(re.search(rf'<script type="application/json" id="{block}">(.*?)</script>', html, re.S)[1])


def test_every_stored_locality_has_one_legend_class_with_its_colour():
    assert set(palette.LOCALITY_CLASS) == set(LOCALITIES)
    assert set(palette.LOCALITY_CLASS.values()) == set(palette.LOCALITY_CLASSES) == set(RAW["locality"])
    assert palette.locality_class("jiangxi") == palette.locality_class("china") == "china"
    assert palette.locality_class(None) == palette.locality_class("mars") == "unknown"
    assert len(set(RAW["locality"].values())) == 5  # five classes, five colours
    assert chainmap.member_colour("cluster") != chainmap.member_colour("unknown")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_legend_names_every_class_in_both_languages(app, lang):
    with app.test_request_context("/"):
        g.lang = lang
        legend = chainmap.legend()
    assert [i["code"] for i in legend["locality"]["items"]] == list(palette.LOCALITY_CLASSES)
    assert [i["colour"] for i in legend["locality"]["items"]] == [RAW["locality"][c] for c in palette.LOCALITY_CLASSES]
    assert [i["code"] for i in legend["coverage"]["items"]] == ["strong", "medium", "weak", "none"]
    assert [i["colour"] for i in legend["coverage"]["items"]] == [RAW["level_fill"][lv] for lv in
                                                                  ("strong", "medium", "weak", "none")]
    assert [i["code"] for i in legend["kinds"]["items"]] == ["enterprise", "platform", "project", "aggregate"]
    for grp in legend.values():
        assert not grp["title"].startswith("ui.")
        for it in grp["items"]:
            assert it["label"] and not it["label"].startswith("ui."), it
            if lang == "en":
                assert not FULL_WIDTH.search(it["label"] + grp["title"]), it["label"]  # ASCII punctuation


def test_chain_messages_exist_in_both_languages_and_english_is_ascii():
    po = Path(palette.__file__).parents[1] / "registry" / "translations"
    ids = {lang: set(re.findall(r'^msgid "(ui\.chainmap\.[^"]+)"', (po / lang / "LC_MESSAGES" / "chain.po")
                                .read_text(encoding="utf-8"), re.M)) for lang in ("zh", "en")}
    assert ids["zh"] == ids["en"] and len(ids["zh"]) > 20
    en = catalogue("en")
    bad = {i: en[i] for i in ids["en"] if not en[i].replace("·", "").isascii()}
    assert bad == {}


def test_locality_labels_say_only_what_the_sources_say():
    # "china" is stored where a text says the firm is in China and no more (我国……六大稀土集团)
    assert label("locality", "china", "zh") == "国内（未写明在江西省）"
    assert label("locality", "china", "en") == "In China (not stated to be in Jiangxi)"
    assert label("locality", "unknown", "zh") == "所在地未说明"
    assert "其他" not in label("locality", "china", "zh") and "Elsewhere" not in label("locality", "china", "en")


def test_member_nodes_take_their_locality_colour_and_segments_their_level(seeded_client):
    html = seeded_client.get("/chain?expand=seg-re-smelting-separation").get_data(as_text=True)
    view = script_json(html, "graph-data")
    members = [n for n in view["nodes"] if n["kind"] in ("enterprise", "platform", "project")]
    assert members and all(n["color"] == RAW["locality"][n["locality_class"]] for n in members)
    by_id = {n["id"]: n for n in members}
    assert by_id["ent-china-rare-earth-group"]["locality_class"] == "cluster"
    assert by_id["ent-northern-rare-earth"]["locality_class"] == "china"
    segs = [n for n in view["nodes"] if n["kind"] == "segment"]
    assert all(n["color"]["background"] == RAW["level_fill"][n["level"]] for n in segs)
    assert all(n["font"]["size"] >= 14 for n in view["nodes"])
    assert not any("label" in e for e in view["edges"])  # counts in tooltips, not labels that can overlap
    # the page's legend and the JSON the PNG export draws it from
    assert 'id="chain-legend"' in html and script_json(html, "chain-legend-data")["locality"]["items"]


def test_the_whole_chain_banner_is_not_green_when_most_segments_are_empty(seeded_client):
    html = seeded_client.get("/chain").get_data(as_text=True)
    banner = re.search(r'<div class="group-banner"><div class="seg (\w+)"[^>]*>(.*?)</div></div>', html, re.S)
    assert banner[1] == "none"
    assert "8/33 个环节有集群内覆盖" in banner[2] and "覆盖度 <b>92</b>" not in banner[2]
    home = seeded_client.get("/").get_data(as_text=True)
    assert re.search(r'<div class="group-banner"><div class="seg none"', home)


def test_entity_graph_colours_tesla_as_not_stated(seeded_client):
    html = seeded_client.get("/entity/ent-tesla").get_data(as_text=True)
    nodes = {n["id"]: n for n in script_json(html, "graph-data")["nodes"]}
    assert nodes["ent-tesla"]["color"] == RAW["locality"]["unknown"]
    assert nodes["ent-jl-mag"]["color"] == RAW["locality"]["ganzhou"]
    html = seeded_client.get("/entity/ent-china-rare-earth-group").get_data(as_text=True)
    segs = {n["id"]: n for n in script_json(html, "graph-data")["nodes"] if n["kind"] == "segment"}
    assert segs["seg-re-industry-chain"]["level"] == "none"
    assert segs["seg-re-smelting-separation"]["level"] == "weak"


def test_map_search_endpoint(seeded_client):
    body = seeded_client.get("/api/v1/chain/graph/find?q=金力永磁").get_json()
    assert body["ok"] and body["data"]["hits"][0]["id"] == "ent-jl-mag"
    hit = body["data"]["hits"][0]
    assert hit["node"] == "ent-jl-mag" and hit["segment"] and hit["locality_class"] == "ganzhou"
    seg = seeded_client.get("/api/v1/chain/graph/find?q=冶炼分离").get_json()["data"]["hits"][0]
    assert seg["kind"] == "segment" and seg["node"] == "seg:seg-re-smelting-separation"
    r = seeded_client.get("/api/v1/chain/graph/find?q=")
    assert r.status_code == 400 and "q:" in r.get_json()["error"]
    r = seeded_client.get("/api/v1/chain/graph/find?q=a&limit=99")
    assert r.status_code == 400


def test_offline_file_carries_the_legend_and_the_view_asked_for(seeded_client):
    html = seeded_client.get("/export/chain.html?expand=seg-re-smelting-separation").get_data(as_text=True)
    assert 'id="chain-legend"' in html and "国内（未写明在赣州）" in html
    data = script_json(html, "graph-data")
    assert any(n["id"] == "ent-northern-rare-earth" for n in data["nodes"])


def test_a_write_redraws_only_the_nodes_that_changed(small_app, reg, monkeypatch):
    """After a write, /chain's drawing is patched: the drawn nodes whose data did not change are the ones drawn
    before (not worded again), the rest are new, and the whole equals a drawing made on a fresh analysis."""
    from graph.analysis import Analysis
    from graph.build import build_graph
    from web.analysis import snapshot

    monkeypatch.setattr("web.analysis.PATCH_LOOKBACK", 0.0)
    f = {"rel": list(chainmap.DEFAULT_RELATIONS), "kinds": list(chainmap.MEMBER_KINDS)}
    with small_app.test_request_context("/"):
        a = snapshot().analysis
        seg = next(n for n in a.chain_map(**f)["nodes"] if n["kind"] == "segment" and n["members"])
        seg = {"id": seg["segment"]}
        before = chainmap.graph_view(a, **f, expand=[seg["id"]])
        assert chainmap.graph_view(a, **f, expand=[seg["id"]]) is before  # memoised
        firm = next(n["id"] for n in before["nodes"] if n["kind"] == "enterprise")
    cur = reg.get(firm)
    reg.update(firm, {"name": "改名后的企业（重画）"}, version=cur["version"], by="editor1", why="t")
    with small_app.test_request_context("/"):
        assert snapshot().analysis is a
        after = chainmap.graph_view(a, **f, expand=[seg["id"]])
        fresh = chainmap.graph_view(Analysis(build_graph(*reg.export_graph())), **f, expand=[seg["id"]])
    assert after == fresh and after is not before
    was = {n["id"]: n for n in before["nodes"]}
    renamed = next(n for n in after["nodes"] if n["id"] == firm)
    assert renamed["label"].startswith("改名后的") and renamed is not was[firm]
    same = [n for n in after["nodes"] if n["id"] != firm and n is was.get(n["id"])]
    assert len(same) >= len(after["nodes"]) // 2  # most kept as drawn
    assert all(n == was[n["id"]] for n in after["nodes"] if n["id"] in was and n["id"] != firm
               and n["kind"] != "segment")
