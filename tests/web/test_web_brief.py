"""The 招商简报: one printable page per gap; no empty downloads; times in the display zone (issue 11)."""

from __future__ import annotations

import io
import json
import re

import pytest

from openpyxl import load_workbook

from web_data import load_small_chain, src


def test_brief_of_a_gap_shows_the_gap_its_clause_candidates_and_time(small_client):
    r = small_client.get("/gaps/capability:seg-h2/brief")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'id="brief-title">方案点名的补链需求：稀土储氢材料<' in html
    assert "《测试方案》</b> · 二、重点任务" in html and "“补齐稀土储氢材料短板，加快引进配套企业”" in html
    cands = html.split('id="brief-candidates"')[1].split("</table>")[0]
    assert "<b>境外储氢材料公司</b>" in cands and "在缺口环节「稀土储氢材料」" in cands
    assert 'href="/static/brief.css"' in html and 'data-action="print"' in html and "onclick" not in html
    assert "style=" not in html and "<style" not in html  # the CSP has no unsafe-inline
    assert re.search(r"生成于 \d{4}-\d\d-\d\d \d\d:\d\d（北京时间 UTC\+8）", html)


def test_brief_in_english_uses_ascii_punctuation(small_client):
    small_client.get("/?lang=en")
    html = small_client.get("/gaps/capability:seg-h2/brief").get_data(as_text=True)
    assert "INVESTMENT BRIEF" in html and "Candidates and why" in html
    footer = html.split("<footer>")[1].split("</footer>")[0]
    assert re.search(r"made \d{4}-\d\d-\d\d \d\d:\d\d \(Beijing time, UTC\+8\)", footer)
    assert not re.search(r"[，：；（）]", footer)


def test_brief_print_css_fits_one_a4_page(small_client):
    with small_client.get("/static/brief.css") as r:
        css = r.get_data(as_text=True)
    assert "@page { size: A4" in css and "@media print" in css and ".noprint { display: none" in css


def test_brief_content_is_bounded(small_client, reg):
    """However many candidates and reasons a gap has, the brief lists at most BRIEF_CANDIDATES of them."""
    from web.brief import BRIEF_CANDIDATES

    reg.upsert_many([{"kind": "enterprise", "id": f"ent-h{i}", "name": f"外地储氢{i:02d}有限公司", "locality": "china",
                      "sources": src("储氢")} for i in range(12)], by="test")
    reg.upsert_relations([{"type": "IN_SEGMENT", "source": f"ent-h{i}", "target": "seg-h2", "sources": src("储氢")}
                          for i in range(12)], by="test")
    html = small_client.get("/gaps/capability:seg-h2/brief").get_data(as_text=True)
    rows = html.split("<tbody>")[1].split("</tbody>")[0].count("<tr>")
    assert rows == BRIEF_CANDIDATES
    assert f"前 {BRIEF_CANDIDATES} 家，共 13 家" in html


def test_gap_page_links_to_its_brief(small_client):
    html = small_client.get("/gaps/capability:seg-h2").get_data(as_text=True)
    assert 'id="brief-link" href="/gaps/capability:seg-h2/brief"' in html


def test_brief_of_an_unknown_gap_is_a_404(small_client):
    r = small_client.get("/gaps/segment:nope/brief")
    assert r.status_code == 404 and "segment:nope" in r.get_data(as_text=True)


# ------------------------------------------------------------------ no empty downloads
def _empty_platform(reg):
    reg.create({"kind": "platform", "id": "plat-lone", "name": "孤立测试平台", "level": "provincial",
                "sources": src("平台")}, by="test")


def test_an_empty_list_is_not_offered_and_not_downloaded(small_client, reg):
    _empty_platform(reg)
    html = small_client.get("/entity/plat-lone").get_data(as_text=True)
    assert "scope=platform&amp;id=plat-lone" not in html and 'data-export="none"' in html
    assert "无可导出内容" in html
    for fmt in ("xlsx", "csv", "json"):
        r = small_client.get(f"/export/partners.{fmt}?scope=platform&id=plat-lone")
        assert r.status_code == 404 and "Content-Disposition" not in r.headers
        body = r.get_data(as_text=True)
        assert "“孤立测试平台”在名录中还没有合作伙伴" in body and "no list to export" in body
    r = small_client.get("/export/partners.xlsx?scope=platform&id=plat-lone", headers={"Accept": "application/json"})
    assert r.status_code == 404
    assert "没有可导出的名单" in (r.get_json() or json.loads(r.data))["error"]


def test_a_list_with_rows_is_offered(small_client):
    html = small_client.get("/entity/plat-1").get_data(as_text=True)
    assert "scope=platform&amp;id=plat-1" in html


def test_exports_page_offers_only_lists_with_rows(small_client, reg):
    _empty_platform(reg)
    html = small_client.get("/exports").get_data(as_text=True)
    platforms = html.split('id="platform-exports"')[1].split("</table>")[0]
    lone = platforms.split("孤立测试平台")[1].split("</tr>")[0]
    assert 'data-export="none"' in lone and "export/partners" not in lone
    assert "scope=platform&amp;id=plat-1" in platforms


# ------------------------------------------------------------------ times in the display zone
def test_pages_show_times_in_the_configured_zone(app_factory, sign_in):
    app = app_factory(TIMEZONE="Europe/London")
    from registry.repository import Registry
    from web.store import store_holder

    with app.app_context():
        load_small_chain(Registry(store_holder(app).get()))
        from web.i18n import beijing_time

        assert beijing_time("2026-07-01T12:00:00Z") == "2026-07-01 13:00:00"  # BST, UTC+1
    client = app.test_client()
    html = client.get("/gaps/capability:seg-h2/brief").get_data(as_text=True)
    assert "Europe/London UTC" in html and "北京时间" not in html


def test_partner_xlsx_names_the_zone_of_its_time(small_client):
    wb = load_workbook(io.BytesIO(small_client.get("/export/partners.xlsx?scope=enterprise&id=ent-b").data))
    about = {r[0]: r[1] for r in wb["说明"].iter_rows(values_only=True)}
    generated = [v for k, v in about.items() if "时间" in str(k) or "生成" in str(k)]
    assert generated and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d（北京时间 UTC\+8）", generated[0])


# ------------------------------------------------------------------ in a real browser: one A4 page
def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


@pytest.fixture
def browser():
    """``browser(app)``: headless Chromium and the app served on a free port (skipped without chromium)."""
    from pathlib import Path

    if not (Path("/usr/bin/chromium").exists() and Path("/usr/bin/chromedriver").exists()):
        pytest.skip("needs /usr/bin/chromium and /usr/bin/chromedriver")
    import threading

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from werkzeug.serving import make_server

    started = []

    def start(app):
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                    "--disable-background-networking", "--window-size=1000,1200", "--lang=zh-CN"):
            opts.add_argument(arg)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        drv.set_page_load_timeout(60)
        started.append((drv, server, thread))
        return drv, f"http://127.0.0.1:{server.server_port}"
    yield start
    for drv, server, thread in started:
        drv.quit()
        server.shutdown()
        thread.join(5)


def _print_pages(drv, shot: str | None = None) -> int:
    """Pages the current page prints on (Chromium's print to PDF on A4, the page's own @page rules)."""
    import base64

    pdf = base64.b64decode(drv.execute_cdp_cmd("Page.printToPDF", {
        "paperWidth": 8.27, "paperHeight": 11.69, "preferCSSPageSize": True, "printBackground": True})["data"])
    if shot:
        from browser_kit import SHOTS

        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / f"{shot}.pdf").write_bytes(pdf)
    return _pdf_pages(pdf)


def _gaps_to_brief(app) -> list[str]:
    """Gaps of the seed graph: the one with the most candidates, and one with none."""
    from web import analysis

    with app.test_request_context("/"):
        a = analysis.current()
        gaps = [g for g in a.all_gaps() if g["category"] != "data"]
        most = max(gaps, key=lambda g: (a.candidates(g, limit=None)["total"], len(g.get("sources") or [])))
        none = next(g for g in gaps if a.candidates(g, limit=None)["total"] == 0)
    return [most["id"], none["id"]]


@pytest.mark.browser
def test_brief_prints_on_one_a4_page(browser, seeded_app):
    from selenium.webdriver.common.by import By

    from browser_kit import SHOTS

    drv, base = browser(seeded_app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for i, gap_id in enumerate(_gaps_to_brief(seeded_app)):
        drv.get_log("browser")
        drv.get(f"{base}/gaps/{gap_id}/brief")
        assert drv.find_element(By.ID, "brief-title").text
        assert [e for e in drv.get_log("browser") if "Content Security Policy" in e["message"]] == []
        h = drv.execute_script("return document.body.scrollHeight")
        drv.set_window_size(1000, min(h + 200, 3000))
        drv.save_screenshot(str(SHOTS / f"brief-{i}.png"))
        # the page as the printer gets it: print media, A4 width (794 px at 96 dpi)
        drv.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        drv.set_window_size(794 + 16, 1123 + 140)
        drv.save_screenshot(str(SHOTS / f"brief-{i}-print.png"))
        drv.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        assert _print_pages(drv, f"brief-{i}") == 1, gap_id
        if i == 0:
            rows = drv.find_elements(By.CSS_SELECTOR, "#brief-candidates tbody tr")
            assert len(rows) >= 2  # a gap worth a brief: several candidates on the one page
        else:
            assert drv.find_element(By.ID, "brief-no-candidates").text


@pytest.mark.browser
def test_a_crowded_brief_still_prints_on_one_page(browser, small_app, reg):
    """The worst case the bounds allow: more candidates than shown, each with long names, reasons and every
    contact field, and a long clause."""
    from browser_kit import SHOTS

    reg.upsert_many([{"kind": "enterprise", "id": f"ent-h{i}", "name": f"某某国际稀土储氢新材料科技股份有限公司第{i:02d}分公司",
                      "locality": "china", "location": "广东省深圳市南山区粤海街道", "roles": ["listed", "leading"],
                      "contact_person": "欧阳某某（采购与战略合作部总经理）", "phone": "0755-88888888 转 8001",
                      "email": f"strategic.partnerships{i}@hydrogen-storage-materials-example.com.cn",
                      "address": "广东省深圳市南山区科技园南区高新南七道数字技术园B2栋8楼801室",
                      "sources": src("储氢")} for i in range(12)], by="test")
    reg.upsert_relations([{"type": "IN_SEGMENT", "source": f"ent-h{i}", "target": "seg-h2", "sources": src("储氢")}
                          for i in range(12)], by="test")
    drv, base = browser(small_app)
    drv.get(f"{base}/gaps/capability:seg-h2/brief")
    h = drv.execute_script("return document.body.scrollHeight")
    drv.set_window_size(1000, min(h + 200, 3000))
    SHOTS.mkdir(parents=True, exist_ok=True)
    drv.save_screenshot(str(SHOTS / "brief-crowded.png"))
    assert _print_pages(drv, "brief-crowded") == 1


def test_brief_css_takes_its_colours_from_the_palette():
    from test_web_palette import COLOUR_LITERAL, STATIC, defined_vars

    css = (STATIC / "brief.css").read_text(encoding="utf-8")
    assert COLOUR_LITERAL.findall(re.sub(r"/\*.*?\*/", "", css, flags=re.S)) == []
    assert set(re.findall(r"var\((--[\w-]+)\)", css)) <= defined_vars()


@pytest.mark.browser
def test_from_the_gap_page_to_its_brief_and_no_empty_export(browser, small_app, reg):
    from selenium.webdriver.common.by import By

    from browser_kit import SHOTS

    _empty_platform(reg)
    drv, base = browser(small_app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    drv.get(f"{base}/gaps/capability:seg-h2")
    drv.save_screenshot(str(SHOTS / "gap-brief-link.png"))
    drv.find_element(By.ID, "brief-link").click()
    assert drv.current_url == f"{base}/gaps/capability:seg-h2/brief"
    assert drv.find_element(By.ID, "brief-title").text == "方案点名的补链需求：稀土储氢材料"
    drv.get(f"{base}/entity/plat-lone")
    drv.save_screenshot(str(SHOTS / "entity-nothing-to-export.png"))
    assert drv.find_element(By.CSS_SELECTOR, "[data-export=none]").text == "无可导出内容"
    assert not drv.find_elements(By.CSS_SELECTOR, "a[data-export]")
