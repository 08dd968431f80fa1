"""The search page, the search API and the search exports ask the one registry search (issue 11).

On the seeded registry (read-only) through the app's test client.
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

CRG = "ent-china-rare-earth-group"


def api(client, query):
    r = client.get("/api/v1/search?" + query)
    body = r.get_json()
    assert r.status_code == 200, body
    return body["data"]


def test_page_and_api_rank_alike(seeded_client):
    d = api(seeded_client, "q=稀土&per_page=20")
    assert d["total"] == 83 and d["items"][0]["id"] == CRG
    html = seeded_client.get("/search?q=稀土&per_page=20").get_data(as_text=True)
    first = html.index('class="hit"')
    assert html.index("中国稀土集团", first) < html.index("</tr>", first)  # the first row of the page
    order_api = [i["name"] for i in d["items"]]
    positions = [html.index(f'class="hit">{name}</a>') for name in order_api]
    assert positions == sorted(positions)  # the page lists the API's order
    assert "简称·开头一致“稀土”：稀土集团" in html and "相关度 100 · 链主/龙头" in html
    # the list API with a query is the same search
    assert [i["id"] for i in api(seeded_client, "q=稀土&per_page=20")["items"]] == \
        [i["id"] for i in seeded_client.get("/api/v1/entities?q=稀土&per_page=20").get_json()["data"]["items"]]


def test_api_keeps_its_fields_and_adds_why_and_score(seeded_client):
    d = api(seeded_client, "q=稀土集团")
    assert {"items", "total", "page", "per_page", "pages"} <= set(d)
    assert {"capped", "suggestions", "query"} <= set(d)
    top = d["items"][0]
    assert top["id"] == CRG and {"id", "kind", "name", "aliases", "matched", "match", "score"} <= set(top)
    assert top["matched"] == ["简称·完全一致“稀土集团”/alias, exact '稀土集团': 稀土集团"]
    assert top["match"] == [{"word": "稀土集团", "how": "exact", "field": "alias", "value": "稀土集团"}]
    assert top["score"]["match"] == 100 and top["score"]["leader"] is True


def test_two_words_and_pinyin(seeded_client):
    assert api(seeded_client, "q=稀土+集团")["items"][0]["id"] == CRG
    assert api(seeded_client, "q=zgxt")["items"][0]["id"] == CRG
    html = seeded_client.get("/search?q=zgxt").get_data(as_text=True)
    assert "名称·拼音首字母“zgxt”：zgxtjt（中国稀土集团）" in html


def test_a_typo_gets_did_you_mean(seeded_client):
    d = api(seeded_client, "q=中国希土")
    assert d["total"] == 0 and d["suggestions"][0]["id"] == CRG
    html = seeded_client.get("/search?q=中国希土").get_data(as_text=True)
    assert 'id="suggestions"' in html and "您是不是要找" in html
    assert 'class="suggestion" href="/search?q=%E4%B8%AD%E5%9B%BD%E7%A8%80%E5%9C%9F%E9%9B%86%E5%9B%A2' in html
    en = seeded_client.get("/search?q=中国希土&lang=en").get_data(as_text=True)
    assert "Did you mean:" in en


def test_filters_with_a_query_on_the_page(seeded_client):
    d = api(seeded_client, "q=稀土&kind=enterprise&locality=cluster&per_page=100")
    assert d["items"] and {(i["kind"], i["locality"]) for i in d["items"]} == {("enterprise", "cluster")}
    html = seeded_client.get("/search?q=稀土&kind=platform").get_data(as_text=True)
    assert "中国稀土集团</a>" not in html and "国家稀土功能材料创新中心" in html


@pytest.mark.parametrize("query, message", [
    ("q=" + "稀" * 201, "q: "),
    ("q=稀土&sort=evil", "sort: "),
    ("q=" + "+".join(f"词{i}" for i in range(9)), "q: "),
])
def test_bad_input_is_a_400(seeded_client, query, message):
    r = seeded_client.get("/search/export.csv?" + query)
    assert r.status_code == 400
    r = seeded_client.get("/api/v1/search?" + query)
    assert r.status_code == 400 and r.get_json()["error"].startswith(message)
    assert seeded_client.get("/search?" + query).status_code == 400


def test_an_unknown_segment_is_a_400_on_the_page_and_its_export(seeded_client):
    for url in ("/search?q=稀土&segment=nope", "/search/export.xlsx?q=稀土&segment=nope"):
        assert seeded_client.get(url).status_code == 400


def test_export_csv_is_the_ranked_list(seeded_client):
    r = seeded_client.get("/search/export.csv?q=稀土")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert r.data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert len(rows) == 83
    assert rows[0]["名称"] == "中国稀土集团" and rows[0]["序号"] == "1" and rows[0]["编号"] == CRG
    assert rows[0]["匹配原因"] == "简称·开头一致“稀土”：稀土集团" and rows[0]["相关度"] == "100"
    assert [row["编号"] for row in rows[:20]] == [i["id"] for i in api(seeded_client, "q=稀土&per_page=20")["items"]]


def test_export_xlsx_with_filters_and_in_english(seeded_client):
    r = seeded_client.get("/search/export.xlsx?q=稀土&kind=enterprise&lang=en")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.data))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["No.", "Name", "Aliases"] and "Why it matched" in header
    names = [row[1] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert names[0] == "中国稀土集团"
    assert len(names) == api(seeded_client, "q=稀土&kind=enterprise")["total"]
    kinds = {row[3] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert kinds == {"Enterprise"}
    about = {row[0]: row[1] for row in wb.worksheets[1].iter_rows(values_only=True)}
    assert about["Query"] == "稀土" and "kind=enterprise" in about["Filters"]
    assert about["Generated (Beijing time)"].endswith("(UTC+8)")


def test_export_without_a_query_lists_by_filters(seeded_client):
    r = seeded_client.get("/search/export.csv?kind=segment")
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows and {row["类型"] for row in rows} == {"产业链环节"}
    assert seeded_client.get("/search/export.pdf?q=稀土").status_code == 404


def test_export_links_on_the_page_carry_the_search(seeded_client):
    html = seeded_client.get("/search?q=稀土&kind=enterprise").get_data(as_text=True)
    assert 'id="export-csv" href="/search/export.csv?q=%E7%A8%80%E5%9C%9F&amp;kind=enterprise"' in html
    assert 'id="export-xlsx" href="/search/export.xlsx?' in html


# ------------------------------------------------------------------ in a real browser (screenshots to look at)
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser(store_dir, seeded_graph_name, tmp_path_factory):
    """Headless Chromium on the seeded app served from 127.0.0.1 (the harness of test_browser.py, in small)."""
    import os
    import threading

    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("headless browser tests need Debian's chromium and chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from werkzeug.serving import make_server

    from web import create_app
    from web.store import close_store

    app = create_app({"TESTING": True, "DATA_DIR": str(store_dir), "GRAPH_NAME": seeded_graph_name,
                      "SEED_ON_START": False, "NEO4J_URI": None},
                     instance_path=str(tmp_path_factory.mktemp("search-instance")))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", f"--user-data-dir={tmp_path_factory.mktemp('chrome')}",
                "--window-size=1366,900", "--lang=zh-CN"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.set_page_load_timeout(60)
    try:
        yield drv, f"http://127.0.0.1:{server.server_port}"
    finally:
        drv.quit()
        server.shutdown()
        thread.join(5)
        close_store(app)


def _shot(drv, name):
    from pathlib import Path

    shots = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    h = drv.execute_script("return Math.min(Math.max(document.body.scrollHeight, 900), 2400)")
    drv.set_window_size(1366, h + 40)
    drv.save_screenshot(str(shots / f"{name}.png"))
    drv.set_window_size(1366, 900)


@pytest.mark.browser
def test_search_page_in_a_browser(browser):
    from urllib.parse import quote

    from selenium.webdriver.common.by import By

    drv, url = browser
    drv.get(f"{url}/search?q={quote('稀土')}")
    hits = drv.find_elements(By.CSS_SELECTOR, "#hits a.hit")
    assert [h.text for h in hits[:1]] == ["中国稀土集团"]
    assert "共找到" in drv.find_element(By.ID, "result-count").text or drv.find_element(By.ID, "result-count").text
    assert drv.find_element(By.ID, "export-xlsx").get_attribute("href").endswith("/search/export.xlsx?q=%E7%A8%80%E5%9C%9F")
    _shot(drv, "search-稀土")
    drv.get(f"{url}/search?q={quote('中国希土')}")
    links = drv.find_elements(By.CSS_SELECTOR, "#suggestions a.suggestion")
    assert links and links[0].text == "中国稀土集团"
    _shot(drv, "search-中国希土")
    links[0].click()  # "did you mean" runs the search for that name
    assert drv.find_elements(By.CSS_SELECTOR, "#hits a.hit")[0].text == "中国稀土集团"
    errors = [e["message"] for e in drv.get_log("browser") if e["level"] == "SEVERE" or "Content Security" in e["message"]]
    assert errors == []


def test_a_broad_query_says_the_list_is_cut(app, client):
    from registry.repository import SEARCH_CAP, Registry
    from web.store import store_holder

    with app.app_context():
        Registry(store_holder(app).get()).upsert_many(
            [{"kind": "enterprise", "id": f"ent-{i}", "name": f"测试磁材企业{i:04d}", "locality": "cluster"}
             for i in range(SEARCH_CAP + 5)])
    html = client.get("/search?q=测试磁材").get_data(as_text=True)
    assert 'id="search-capped"' in html and f"超过 {SEARCH_CAP} 条" in html
    en = client.get("/search?q=测试磁材&lang=en").get_data(as_text=True)
    assert f"More than {SEARCH_CAP} records match" in en
    assert api(client, "q=测试磁材")["capped"] is True
