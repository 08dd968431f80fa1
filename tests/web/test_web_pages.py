"""The pages people use: home, search, entity (every kind), chain map, segment, gaps, exports, language."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from web_data import RECORDS, RELATIONS


def script_json(html: str, element_id: str):
    m = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert m, f"no JSON block #{element_id}"
    return json.loads(m.group(1))


def text(resp) -> str:
    return resp.get_data(as_text=True)


# ------------------------------------------------------------------ home
def test_home_shows_the_cluster_at_a_glance(small_client):
    r = small_client.get("/")
    assert r.status_code == 200
    html = text(r)
    assert '<html lang="zh-CN">' in html
    for nav in ("首页", "搜索", "产业链图谱", "缺口分析", "导出"):
        assert f">{nav}</a>" in html
    assert "赣州示范冶炼分离有限公司" in html  # the chain leader
    assert 'id="leaders"' in html and 'id="targets"' in html and 'id="changes"' in html
    assert "规上企业达到50家" in html  # target progress
    assert "稀土储氢材料" in html  # a top gap (no local firm)
    assert "批量写入" in html  # recent changes
    assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_home_on_an_empty_registry(client):
    r = client.get("/")
    assert r.status_code == 200
    assert "登记册中还没有产业链环节" in text(r)


def test_language_switch_is_remembered_in_a_cookie(small_client):
    r = small_client.get("/?lang=en")
    assert r.status_code == 200
    assert '<html lang="en">' in text(r) and ">Chain map</a>" in text(r)
    assert "lang=en" in r.headers["Set-Cookie"]
    r = small_client.get("/search?q=磁材")  # the cookie keeps English
    assert ">Search</a>" in text(r) and "Why it matched" in text(r)
    r = small_client.get("/lang/zh?next=/chain")
    assert r.status_code == 303 and r.headers["Location"].endswith("/chain")
    assert ">产业链图谱</a>" in text(small_client.get("/chain"))


def test_language_switch_never_redirects_off_site(small_client):
    r = small_client.get("/lang/en?next=//evil.example/x")
    assert r.status_code == 303 and r.headers["Location"] in ("/", "http://localhost/")
    assert small_client.get("/lang/fr").status_code == 404


# ------------------------------------------------------------------ search
def test_search_by_part_of_a_chinese_name_says_why(small_client):
    html = text(small_client.get("/search?q=磁材"))
    assert "赣县磁材科技有限公司" in html
    assert "简称·开头一致“磁材”：磁材科技" in html  # the best reason (alias prefix beats name substring), in the page's language


def test_search_by_alias_and_pinyin_initials(small_client):
    html = text(small_client.get("/search?q=示范冶炼"))
    assert "赣州示范冶炼分离有限公司" in html and "简称·完全一致“示范冶炼”：示范冶炼" in html
    html = text(small_client.get("/search?q=gxcckj"))
    assert "赣县磁材科技有限公司" in html and "名称·拼音首字母“gxcckj”" in html


@pytest.mark.parametrize("query, present, absent", [
    ("kind=platform", ["国家稀土功能材料创新中心"], ["赣县磁材科技有限公司"]),
    ("locality=china", ["外地电机股份有限公司"], ["赣县磁材科技有限公司"]),
    ("role=chain_leader", ["赣州示范冶炼分离有限公司"], ["外地电机股份有限公司"]),
    ("role=链主", ["赣州示范冶炼分离有限公司"], ["外地电机股份有限公司"]),  # an older link: the Chinese term
    ("level=national", ["国家稀土功能材料创新中心"], ["赣县区工信局"]),
    ("segment=seg-mag&kind=enterprise", ["赣县磁材科技有限公司"], ["外地电机股份有限公司", "国家稀土功能材料创新中心"]),
    ("q=有限公司&locality=cluster", ["赣县磁材科技有限公司", "赣州示范冶炼分离有限公司"], ["外地电机股份有限公司"]),
])
def test_search_filters(small_client, query, present, absent):
    r = small_client.get(f"/search?{query}")
    assert r.status_code == 200
    hits = re.findall(r'class="hit">([^<]*)<', text(r))
    hits = [unescape(h) for h in hits]
    for name in present:
        assert name in hits
    for name in absent:
        assert name not in hits


def test_search_paginates(small_client):
    r = small_client.get("/search?per_page=20")
    html = text(r)
    assert r.status_code == 200 and len(re.findall(r'class="hit"', html)) == 17
    assert 'rel="next"' not in html
    r = small_client.get("/search?per_page=20&page=2")
    assert r.status_code == 404 and "第 2 页不存在" in text(r)


@pytest.mark.parametrize("query, message", [
    ("page=abc", "page: 应为整数"),
    ("page=0", "page: 0 超出范围"),
    ("per_page=7", "per_page: 不支持的值"),
    ("kind=firm", "kind: 不支持的值"),
    ("locality=mars", "locality: 不支持的值"),
    ("role=boss", "role: 不支持的值"),
    ("sort=random", "sort: 不支持的值"),
    ("segment=nope", "segment: 环节 'nope' 不存在"),
    ("segment=ent-b", "segment: 环节 'ent-b' 不存在"),
    ("q=" + "稀" * 201, "q: 过长（201 字，上限 200）"),
])
def test_search_rejects_bad_input_with_a_400_page(small_client, query, message):
    r = small_client.get(f"/search?{query}")
    assert r.status_code == 400
    assert message in unescape(text(r))
    assert "请求有误" in text(r)


def test_a_huge_query_string_is_a_400_not_a_500(small_client):
    r = small_client.get("/search?q=" + "x" * 20000)
    assert r.status_code == 400
    r = small_client.get("/chain?rel=" + "SUPPLIES," * 500)
    assert r.status_code == 400


# ------------------------------------------------------------------ entity pages
@pytest.mark.parametrize("rec", RECORDS, ids=[r["id"] for r in RECORDS])
def test_every_kind_has_an_entity_page(small_client, rec):
    r = small_client.get(f"/entity/{rec['id']}")
    assert r.status_code == 200
    html = text(r)
    assert 'id="entity-name"' in html and 'id="attributes"' in html
    graph = script_json(html, "graph-data")
    assert graph["centre"] == rec["id"]
    assert any(n["id"] == rec["id"] for n in graph["nodes"])
    assert all(isinstance(n["title"], str) for n in graph["nodes"])


def test_entity_page_groups_relations_and_cites_each_source(small_client):
    html = text(small_client.get("/entity/ent-b"))
    for heading in ("客户（供应给）", "供应商", "产学研合作", "位于", "所属环节"):
        assert f"{heading} <small" in html
    assert "供应：氧化镨钕" in html and "供应：钕铁硼磁钢" in html
    # sources one click away: a <details> with document, section and quote
    assert '<details class="src"><summary>来源（1）</summary>' in html
    assert "“氧化镨钕”" in html and "900_test_plan.txt" in html
    graph = script_json(html, "graph-data")
    assert {e["type"] for e in graph["edges"]} >= {"SUPPLIES", "RESEARCH_PARTNER", "IN_SEGMENT"}
    assert graph["physics"] is True  # a small neighbourhood may settle with physics


def test_entity_page_two_hops(small_client):
    one = script_json(text(small_client.get("/entity/ent-a")), "graph-data")
    two = script_json(text(small_client.get("/entity/ent-a?hops=2")), "graph-data")
    assert len(two["nodes"]) > len(one["nodes"])
    assert small_client.get("/entity/ent-a?hops=3").status_code == 400


def test_target_page_shows_progress(small_client):
    html = text(small_client.get("/entity/tgt-gs"))
    # no firm is tagged 规上: 无法测算, never 未达到 (issue 11)
    assert 'id="progress"' in html and "无法测算" in html and "未达到" not in html


def test_unknown_entity_is_a_404_page(small_client):
    r = small_client.get("/entity/no-such-firm")
    assert r.status_code == 404
    assert "记录 &#39;no-such-firm&#39; 不存在" in text(r) and "找不到" in text(r)


# ------------------------------------------------------------------ chain map
def test_chain_map_lays_segments_out_upstream_to_downstream(small_client):
    r = small_client.get("/chain")
    assert r.status_code == 200
    html = text(r)
    # the root of the chain is a banner; the others stand in columns by position
    assert 'class="group-banner"' in html
    order = [html.index(f'data-segment="{s}"') for s in ("seg-sep", "seg-mag", "seg-motor")]
    assert order == sorted(order)
    assert re.search(r'class="seg none" data-segment="seg-h2"', html)  # colour = gap status
    assert "强 ≥70" in html  # the legend
    view = script_json(html, "graph-data")
    options = script_json(html, "graph-options")
    assert options["physics"] == {"enabled": False}
    assert all("x" in n and "y" in n for n in view["nodes"])
    xs = {n["segment"]: n["x"] for n in view["nodes"] if n.get("kind") == "segment"}
    assert xs["seg-sep"] < xs["seg-mag"] < xs["seg-motor"]
    assert xs["seg-mag"] == xs["seg-h2"]  # same position, same column
    feeds = {(e["from"], e["to"]) for e in view["edges"] if e["type"] == "FEEDS"}
    assert ("seg:seg-sep", "seg:seg-mag") in feeds


def test_chain_map_filters_by_relation_type_and_cluster(small_client):
    # firms show when their segment is expanded or per_segment asks for them (the default view: segments only)
    view = script_json(text(small_client.get("/chain?rel=SUPPLIES&locality=in&per_segment=24")), "graph-data")
    assert {e["type"] for e in view["edges"]} == {"SUPPLIES"}
    members = {n["id"] for n in view["nodes"] if n.get("kind") in ("enterprise", "platform", "project")}
    assert "ent-c" not in members and "ent-b" in members
    view = script_json(text(small_client.get("/chain?rel=&locality=out&kinds=enterprise&per_segment=24")), "graph-data")
    members = {n["id"] for n in view["nodes"] if n.get("kind") == "enterprise"}
    assert members == {"ent-c", "ent-d"} and view["edges"] == []


def test_chain_map_aggregates_beyond_the_budget_and_expands(small_client):
    view = script_json(text(small_client.get("/chain?per_segment=1")), "graph-data")
    agg = [n for n in view["nodes"] if n["kind"] == "aggregate"]
    assert agg and view["stats"]["aggregated"] == sum(n["hidden_count"] for n in agg)
    seg = agg[0]["segment"]
    view2 = script_json(text(small_client.get(f"/chain?per_segment=1&expand={seg}")), "graph-data")
    assert not any(n["kind"] == "aggregate" and n["segment"] == seg for n in view2["nodes"])


@pytest.mark.parametrize("query, message", [
    ("rel=BOGUS", "rel: 不支持的关系类型 'BOGUS'"),
    ("locality=mars", "locality: 不支持的值"),
    ("kinds=target", "kinds: 不支持的类型 'target'"),
    ("per_segment=-1", "per_segment: -1 超出范围"),
    ("max_nodes=abc", "max_nodes: 应为整数"),
])
def test_chain_map_bad_filters_are_400(small_client, query, message):
    r = small_client.get(f"/chain?{query}")
    assert r.status_code == 400 and message in unescape(text(r))


def test_segment_page_lists_members_candidates_and_gaps(small_client):
    html = text(small_client.get("/chain/seg-mag"))
    assert 'id="segment-name"' in html
    assert "赣县磁材科技有限公司" in html  # via its sub-segment 钕铁硼永磁
    assert "国家稀土功能材料创新中心" in html
    assert 'href="/export/partners.xlsx?scope=segment&amp;id=seg-mag"' in html
    html = text(small_client.get("/chain/seg-h2"))
    assert "境外储氢材料公司" in html and 'id="candidates"' in html  # a candidate to fill the gap


def test_segment_page_errors(small_client):
    r = small_client.get("/chain/ent-b")
    assert r.status_code == 404 and "不是产业链环节" in text(r)
    assert small_client.get("/chain/no-such-segment").status_code == 404


# ------------------------------------------------------------------ gaps
def test_gap_dashboard_shows_reasons_facts_clauses_candidates_and_targets(small_client):
    html = text(small_client.get("/gaps"))
    # the plan names the empty segment: one gap (the plan-named need), not a second segment gap
    assert "方案点名的补链需求：稀土储氢材料" in html and "环节无本地企业：稀土储氢材料" not in html
    assert "方案条款" in html and "补齐稀土储氢材料短板" in html  # the plan clause (capability gap)
    assert 'id="target-table"' in html and "规上企业达到50家" in html
    assert "境外储氢材料公司" in html  # candidate


def test_gap_dashboard_filters(small_client):
    html = text(small_client.get("/gaps?category=segment&severity=high"))
    assert 'data-category="segment"' in html and 'data-category="upstream"' not in html
    assert "环节无本地企业：永磁电机" in text(small_client.get("/gaps"))
    html = text(small_client.get("/gaps?segment=seg-h2"))
    assert "方案点名的补链需求：稀土储氢材料" in html and "环节无本地企业：永磁电机" not in html
    assert small_client.get("/gaps?category=bogus").status_code == 400
    assert small_client.get("/gaps?segment=nope").status_code == 400
    assert small_client.get("/gaps?category=segment&page=99").status_code == 404


def test_gap_page(small_client):
    # the segment gap of a plan-named segment is part of the need now: its old address leads there
    r = small_client.get("/gaps/segment:seg-h2")
    assert r.status_code == 302 and r.headers["Location"].endswith("/gaps/capability:seg-h2")
    r = small_client.get("/gaps/capability:seg-h2")
    assert r.status_code == 200
    html = text(r)
    assert 'id="gap-title"' in html and "境外储氢材料公司" in html and 'id="candidates"' in html
    r = small_client.get("/gaps/segment:no-such")
    assert r.status_code == 404 and "缺口" in text(r)


def test_exports_page_links_every_export(small_client):
    html = text(small_client.get("/exports"))
    assert 'id="export-chain"' in html
    assert "scope=segment&amp;id=seg-h2" in html and "scope=platform&amp;id=plat-1" in html
    assert "scope=gap&amp;id=capability:seg-h2" in html
    assert "scope=enterprise&amp;id=ent-a" in html  # the chain leader


def test_pages_never_reference_an_outside_url(small_client):
    for url in ("/", "/search?q=稀土", "/entity/ent-b", "/chain", "/chain/seg-mag", "/gaps", "/exports",
                "/entity/ent-b/dossier", "/entity/ent-b/edit", "/entity/nope"):
        html = text(small_client.get(url))
        assert not re.search(r"""(src|href|action)\s*=\s*["']?(https?:)?//""", html), url
        assert "@import" not in html and "url(http" not in html


def test_static_assets_are_served_by_the_app(small_client):
    for path in ("/static/vendor/vis-network.min.js", "/static/vendor/vis-network.css", "/static/app.js",
                 "/static/app.css", "/static/dossier.css"):
        r = small_client.get(path)
        assert r.status_code == 200 and len(r.data) > 500, path
        r.close()


def test_small_chain_loads(reg):
    counts = reg.counts()
    assert counts["entities"]["enterprise"] == 6
    assert counts["total_relations"] == len(RELATIONS)
