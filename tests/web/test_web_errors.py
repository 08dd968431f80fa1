"""Escaping everywhere, bad input, and the store going away (503) and coming back."""

from __future__ import annotations

import json
import re
import uuid

from registry.repository import Registry
from web_data import XSS_NAME
from web import create_app
from web.store import close_store, store_holder

ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def html_of(client, url):
    r = client.get(url)
    assert r.status_code == 200, url
    return r.get_data(as_text=True)


def json_blocks(html: str) -> str:
    return "".join(re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S))


def test_a_firm_named_like_html_shows_as_text_everywhere(small_editor):
    small_client = small_editor  # the edit pages need an editor
    for url in ("/entity/ent-x", "/entity/ent-b", "/search?q=img", "/chain", "/chain/seg-ndfeb", "/gaps",
                "/exports", "/entity/ent-b/dossier", "/entity/ent-b/edit", "/entity/ent-x/edit", "/"):
        html = html_of(small_client, url)
        assert XSS_NAME not in html, url  # never as markup, in the page or in a JSON block
        assert "<script>alert" not in html and "onerror=alert(1)>" not in html, url
    html = html_of(small_client, "/entity/ent-x")
    assert f'id="entity-name">{ESCAPED} ' in html
    assert "&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in html  # the alias
    assert "&lt;/script&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in html  # a quote in a source
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html  # the description


def test_graph_data_goes_to_scripts_as_json_with_plain_text_titles(small_client):
    html = html_of(small_client, "/entity/ent-b")
    blocks = json_blocks(html)
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in blocks
    graph = json.loads(re.search(r'id="graph-data">(.*?)</script>', html, re.S)[1])
    node = next(n for n in graph["nodes"] if n["id"] == "ent-x")
    assert node["title"].startswith(XSS_NAME + "\n")  # plain text; vis-network shows it with innerText
    # no inline script anywhere: only JSON blocks and same-origin files (the CSP forbids the rest)
    assert not re.search(r"<script(?![^>]*(type=\"application/json\"|src=\"/static/))", html)
    assert "script-src 'self'" in small_client.get("/entity/ent-b").headers["Content-Security-Policy"]


def test_error_pages_escape_what_the_user_typed(small_client):
    r = small_client.get("/entity/<script>alert(1)</script>")
    assert r.status_code == 404
    assert "<script>alert(1)" not in r.get_data(as_text=True)
    r = small_client.get("/search?kind=<img src=x onerror=alert(1)>")
    assert r.status_code == 400 and XSS_NAME not in r.get_data(as_text=True)


def test_bad_input_never_gives_a_500(small_client):
    for url in ("/search?page=999999999999", "/search?page=-1", "/search?per_page=1000000", "/chain?expand=" + "a," * 5000,
                "/chain?max_nodes=1", "/entity/ent-b?hops=x", "/gaps?page=abc", "/gaps/" + "x" * 2000,
                "/export/partners.csv?scope=gap&id=" + "x" * 1000, "/entity/%00", "/chain/%ff",
                "/api/v1/chain/graph?kinds=", "/search?q=%00", "/search?kind=&kind=%00", "/api/v1/search?q=a%00b"):
        r = small_client.get(url)
        assert r.status_code in (200, 400, 404), (url, r.status_code)


def test_store_unavailable_is_a_clear_503_and_the_app_recovers(store_dir, tmp_path):
    graph = f"t{uuid.uuid4().hex[:12]}"
    app = create_app({"TESTING": True, "DATA_DIR": str(store_dir), "GRAPH_NAME": graph, "SEED_ON_START": False,
                      "NEO4J_URI": "bolt://127.0.0.1:1", "NEO4J_USER": "neo4j", "NEO4J_PASSWORD": "x"},
                     instance_path=str(tmp_path / "instance"))
    client = app.test_client()
    try:
        for url in ("/", "/search?q=稀土", "/entity/ent-b", "/chain", "/gaps", "/export/partners.csv?scope=enterprise&id=x"):
            r = client.get(url)
            assert r.status_code == 503, url
            html = r.get_data(as_text=True)
            assert "数据库暂时不可用" in html and "自动重新连接" in html, url
        r = client.get("/api/v1/overview")
        assert r.status_code == 503
        assert r.get_json()["ok"] is False and r.get_json()["code"] == "store_unavailable"
        # the store comes back (here: the configuration points at the embedded one again)
        app.config["NEO4J_URI"] = None
        with app.app_context():
            Registry(store_holder(app).get()).store.setup_schema()
        r = client.get("/")
        assert r.status_code == 200 and "集群概览" in r.get_data(as_text=True)
    finally:
        with app.app_context():
            try:
                store_holder(app).get().drop_graph()
            except Exception:
                pass
        close_store(app)


def test_the_error_page_needs_no_store(small_app):
    # rendering the error page must not touch the registry (it is shown when the store is down)
    with small_app.test_request_context("/"):
        from flask import render_template
        html = render_template("error.html", status=503, message="x", code="store_unavailable", details=None)
    assert "数据库暂时不可用" in html
