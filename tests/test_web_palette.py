"""One palette (web/static/palette.json) for the pages and the graphs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from web import chainmap, palette, views_data

STATIC = Path(palette.__file__).with_name("static")


def test_palette_css_is_served_from_the_json(client):
    r = client.get("/palette.css")
    assert r.status_code == 200 and r.mimetype == "text/css"
    css = r.get_data(as_text=True)
    raw = json.loads((STATIC / "palette.json").read_text(encoding="utf-8"))
    assert "--ink: " + raw["ui"]["ink"] + ";" in css
    assert "--level-fill-strong: " + raw["level_fill"]["strong"] + ";" in css
    assert "--edge-feeds: " + raw["edge"]["FEEDS"] + ";" in css
    again = client.get("/palette.css", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_the_graph_drawing_code_reads_the_same_palette():
    raw = json.loads((STATIC / "palette.json").read_text(encoding="utf-8"))
    assert chainmap.LEVEL_COLOURS == raw["level"] and chainmap.LEVEL_FILL == raw["level_fill"]
    assert chainmap.EDGE_COLOURS == raw["edge"]
    assert {k: s["color"] for k, s in chainmap.KIND_STYLE.items()} == raw["member"]
    assert views_data.NODE_COLOURS == raw["entity"]


def test_a_palette_value_that_is_not_a_colour_is_refused(tmp_path):
    bad = tmp_path / "palette.json"
    bad.write_text(json.dumps({"ui": {"ink": "red; } body { display: none"}}), encoding="utf-8")
    with pytest.raises(ValueError, match="not a colour"):
        palette._load(bad)
