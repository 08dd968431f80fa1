"""The gap pages on the seeded registry: one gap per need, candidates that differ and why, no empty downloads."""

from __future__ import annotations

import re
from html import unescape

MOTOR = "/gaps/capability:seg-pm-motors"


def text(resp) -> str:
    return resp.get_data(as_text=True)


def plain(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def rows(html: str, table_id: str) -> list[str]:
    body = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', html, re.S)
    assert body, f"no table #{table_id}"
    return re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)


def test_motor_gap_page_shows_its_eight_parts_and_ranked_candidates_with_score_parts(seeded_client):
    r = seeded_client.get(MOTOR)
    assert r.status_code == 200
    html = text(r)
    assert "方案点名的补链需求：稀土永磁电机" in html
    parts = re.findall(r'<li data-part="([^"]+)">(.*?)</li>', html, re.S)
    assert len(parts) == 8 and "seg-motor-servo" in [p for p, _ in parts]
    assert "集群内企业 0 · 集群外企业 0" in plain(parts[0][1])
    cands = rows(html, "candidates")
    assert [re.search(r'class="num total">(\d+)<', c).group(1) for c in cands] == ["5", "2"]
    first, second = plain(cands[0]), plain(cands[1])
    assert "江西金力永磁科技股份有限公司" in first and "+2 上下游环节 在上游环节「稀土磁性材料」（供给稀土永磁电机）" in first
    assert "+3 所在地 在赣州（未写明是否在集群内）" in first
    assert "特斯拉公司" in second and "+2 采购上游产品 向上游企业采购：江西金力永磁科技股份有限公司" in second
    assert "+0 所在地 所在地未登记：先核实是否已在集群内" in second
    assert 'data-export="xlsx"' in html  # it has candidates: the list is worth downloading
    en = plain(text(seeded_client.get(MOTOR + "?lang=en")))
    assert "+2 up/downstream segment in the upstream segment '稀土磁性材料'" in en and "Score parts" in en


def test_old_ids_of_a_merged_gap_and_data_gaps_lead_to_where_they_are_now(seeded_client):
    for old in ("segment:seg-pm-motors", "segment:seg-motor-servo", "capability:seg-motor-robot"):
        r = seeded_client.get(f"/gaps/{old}")
        assert r.status_code == 302 and r.headers["Location"].endswith(MOTOR), old
    r = seeded_client.get("/gaps/data:ent-tesla")
    assert r.status_code == 302 and r.headers["Location"].endswith("/todo")
    r = seeded_client.get("/gaps?category=data")  # the old tab
    assert r.status_code == 302 and r.headers["Location"].endswith("/todo")
    assert seeded_client.get("/gaps/segment:nope").status_code == 404


def test_a_gap_without_candidates_says_what_data_is_needed_and_offers_no_download(seeded_client):
    html = text(seeded_client.get("/gaps/capability:seg-supporting-industries"))
    said = plain(html)
    assert "暂无候选企业" in said and "登记库中没有企业在「配套产业（产品设计、机械加工、表面处理等）" in said
    assert "导入这些环节的企业" in said and 'href="/import"' in html
    assert "data-export" not in html and "/export/partners" not in html
    assert 'id="candidates"' not in html


def test_gaps_page_counts_no_data_gaps_and_links_the_to_do_list(seeded_client):
    html = text(seeded_client.get("/gaps"))
    assert 'data-category="data"' not in html and "category=data" not in html
    note = re.search(r'<p class="muted todo-note" id="todo-note">(.*?)</p>', html, re.S)
    assert note and 'href="/todo"' in note.group(1)
    n = int(re.search(r"另有 (\d+) 条数据缺失", note.group(1)).group(1))
    assert n > 50
    api = seeded_client.get("/api/v1/gaps").get_json()["data"]
    assert api["data_todo"]["total"] == n
    total = int(re.search(r'<div class="stat"><b>(\d+)</b>', html).group(1))
    assert total == api["summary"]["gaps"]["total"] < 100  # was 185 with the 103 data gaps and the motor 18 times
    assert len(re.findall(r'data-gap="[^"]*seg-motor-', html)) == 0  # the motor types are parts, not gaps
    # the gaps without candidates in the list offer no download either
    for card in re.findall(r'<div class="card gap [^"]*"[^>]*>(.*?)</div>\s*(?=<div class="card gap|</section>)', html, re.S):
        if "暂无候选企业" in card:
            assert "/export/partners" not in card


def test_home_top_gaps_lead_with_gaps_someone_can_act_on(seeded_client):
    html = text(seeded_client.get("/"))
    cards = re.findall(r'data-gap="([^"]+)"', html)
    assert cards[0] == "capability:seg-pm-motors"
    first_four = html.split('data-gap="')[1:5]
    assert sum(1 for c in first_four if "暂无候选企业" in c) <= 2
    assert 'id="todo-note"' in html and 'href="/todo"' in html
