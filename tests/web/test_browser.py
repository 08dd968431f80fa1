"""The front end in a real browser: headless Chromium (Debian's chromium + chromedriver) driven by selenium.

The app runs on 127.0.0.1 on a free port in a background thread: on the seed graph for what staff
do (search, entity, chain map, downloads, screenshots), and on a graph of its own for the XSS probe
and the 2,000-node chain map. Screenshots go to artifacts/screenshots/ (not committed).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import time
from pathlib import Path

import pytest

from browser_kit import chrome, csp_violations, require_browser, served, shot  # noqa: E402

require_browser()

from openpyxl import load_workbook  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from registry.repository import Registry  # noqa: E402

pytestmark = pytest.mark.browser

XSS_NAME = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def seeded_server(store_dir, seeded_graph_name, tmp_path_factory):
    with served(store_dir, tmp_path_factory.mktemp("seeded-instance"), seeded_graph_name) as (srv, _):
        yield srv


@pytest.fixture(scope="module")
def own_server(store_dir, tmp_path_factory):
    """A graph of its own, written through the Registry: the small test chain (with the XSS-named firm)."""
    from web_data import load_small_chain

    with served(store_dir, tmp_path_factory.mktemp("own-instance"), fill=lambda reg, app: load_small_chain(reg)) as s:
        yield s


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def driver(downloads, tmp_path_factory):
    drv = chrome(tmp_path_factory.mktemp("chrome-profile"), downloads=downloads)
    yield drv
    drv.quit()


def wait(drv, seconds=20):
    return WebDriverWait(drv, seconds)


def graph_ready(drv, seconds=30):
    wait(drv, seconds).until(lambda d: d.execute_script("return document.body.getAttribute('data-graph-ready')") == "1")


def no_alert(drv):
    try:
        text = drv.switch_to.alert.text
    except NoAlertPresentException:
        return
    pytest.fail(f"a script ran: alert({text!r})")


def console_errors(drv) -> list[str]:
    return [e["message"] for e in drv.get_log("browser") if e["level"] == "SEVERE"]


def at_node(drv, node_id: str) -> ActionChains:
    """Actions with the mouse over a graph node (the canvas scrolled into view first)."""
    canvas = drv.find_element(By.CSS_SELECTOR, "#graph canvas")
    drv.execute_script("arguments[0].scrollIntoView({block: 'center'});", canvas)
    time.sleep(0.3)
    pos = drv.execute_script("return window.__network.canvasToDOM(window.__network.getPosition(arguments[0]));",
                             node_id)
    x, y = int(pos["x"] - canvas.size["width"] / 2), int(pos["y"] - canvas.size["height"] / 2)
    return ActionChains(drv).move_to_element_with_offset(canvas, x - 2, y).pause(0.1).move_to_element_with_offset(
        canvas, x, y)


def wait_for_download(folder: Path, name: str, seconds: float = 20) -> Path:
    path = folder / name
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if path.exists() and not list(folder.glob("*.crdownload")):
            return path
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded; the folder has {sorted(p.name for p in folder.iterdir())}")


def busiest_enterprise(server) -> dict:
    """The seeded enterprise with the most relations (the one a meeting list is most useful for)."""
    from web.store import store_holder

    reg = Registry(store_holder(server.app).get())
    ents, rels = reg.export_graph()
    degree: dict[str, int] = {}
    for r in rels:
        if r["type"] != "IN_SEGMENT":
            for end in (r["source"], r["target"]):
                degree[end] = degree.get(end, 0) + 1
    firms = [e for e in ents if e["kind"] == "enterprise"]
    return max(firms, key=lambda e: (degree.get(e["id"], 0), e["id"]))


# ---------------------------------------------------------------- what staff do, on the seed
def test_search_and_open_an_entity(driver, seeded_server):
    firm = busiest_enterprise(seeded_server)
    needle = firm["name"][2:6]
    driver.get(seeded_server.url + "/")
    box = driver.find_element(By.CSS_SELECTOR, "header input[name=q]")
    box.send_keys(needle)
    box.submit()
    wait(driver).until(EC.presence_of_element_located((By.ID, "result-count")))
    assert "/search?q=" in driver.current_url
    hits = driver.find_elements(By.CSS_SELECTOR, "a.hit")
    assert firm["name"] in [h.text for h in hits]
    assert driver.find_element(By.CSS_SELECTOR, "td.why").text  # says why it matched
    next(h for h in hits if h.text == firm["name"]).click()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "entity-name"), firm["name"]))
    graph_ready(driver)
    # a fact's source is one click away
    details = driver.find_element(By.CSS_SELECTOR, "table.rels details.src")
    details.find_element(By.TAG_NAME, "summary").click()
    assert details.find_element(By.CSS_SELECTOR, ".src-item").is_displayed()
    assert console_errors(driver) == []


def test_chain_map_click_a_segment(driver, seeded_server):
    driver.get(seeded_server.url + "/chain")
    graph_ready(driver)
    stats = driver.execute_script("return window.__chainStats")
    assert stats["nodes"] > 0
    # click a segment node in the graph: its details appear below the graph
    seg_node = driver.execute_script(
        "var n = window.__network.body.data.nodes.get({filter: function (x) { return x.kind === 'segment'; }});"
        "return n[0].id;")
    at_node(driver, seg_node).click().perform()
    wait(driver).until(lambda d: d.find_element(By.ID, "graph-info").text.strip())
    assert driver.find_element(By.CSS_SELECTOR, "#graph-info a.open-link")
    # filters refetch the view without a page load
    before = driver.execute_script("return window.__chainStats.edges")
    driver.find_element(By.CSS_SELECTOR, "#graph-filters input[value=FEEDS]").click()
    wait(driver).until(lambda d: d.execute_script("return window.__chainStats.edges") != before
                       or "rel=" in d.current_url)
    assert "rel=" in driver.current_url  # the filtered view is bookmarkable
    # click a segment on the board: its page lists firms, platforms, projects and candidates
    card = driver.find_element(By.CSS_SELECTOR, ".board .seg a.nm")
    name = card.text
    card.click()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "segment-name"), name))
    assert "/chain/" in driver.current_url
    for section in ("local_enterprises", "platforms", "projects"):
        assert driver.find_element(By.ID, section)
    assert console_errors(driver) == []


def test_downloads(driver, seeded_server, downloads):
    firm = busiest_enterprise(seeded_server)
    driver.get(f"{seeded_server.url}/entity/{firm['id']}")
    for fmt in ("csv", "xlsx", "json"):
        driver.find_element(By.CSS_SELECTOR, f"a[data-export={fmt}]").click()
    base = f"企业合作伙伴_{firm['name']}"
    csv_path = wait_for_download(downloads, base + ".csv")
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["关系", "名称", "类型"] and len(rows) > 1
    wb = load_workbook(wait_for_download(downloads, base + ".xlsx"))
    ws = wb.worksheets[0]
    assert ws.freeze_panes == "A2"
    xrows = list(ws.iter_rows(values_only=True))
    assert list(xrows[0][:2]) == ["关系", "名称"]
    assert [r[1] for r in xrows[1:]] == [r[1] for r in rows[1:]]  # the same partners as the CSV
    body = json.loads(wait_for_download(downloads, base + ".json").read_text(encoding="utf-8"))
    assert [r["name"] for r in body["rows"]] == [r[1].lstrip("'") for r in rows[1:]]
    # the offline chain map: a file that draws with no network at all
    driver.get(seeded_server.url + "/chain")
    driver.find_element(By.ID, "export-chain").click()
    page = wait_for_download(downloads, "产业链图谱.html")
    offline = downloads / "chain-offline.html"
    shutil.copy(page, offline)
    driver.get_log("browser")
    driver.get(offline.as_uri())
    graph_ready(driver)
    assert csp_violations(driver) == []  # the file's own policy lets its inline code and styles run
    fetched = driver.execute_script("return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
    assert [u for u in fetched if u.startswith(("http:", "https:"))] == []
    shot(driver, "chain-offline", full=False)


def test_screenshots_of_the_main_pages(driver, seeded_server):
    firm = busiest_enterprise(seeded_server)
    pages = [("home", "/"), ("search", "/search?q=稀土"), ("entity", f"/entity/{firm['id']}"), ("chain", "/chain"),
             ("gaps", "/gaps"), ("exports", "/exports"), ("dossier", f"/entity/{firm['id']}/dossier"),
             ("login", f"/entity/{firm['id']}/edit"), ("not-found", "/entity/no-such-record"),
             ("home-en", "/?lang=en"), ("chain-en", "/chain")]
    driver.get(seeded_server.url + "/chain")
    seg = driver.find_element(By.CSS_SELECTOR, ".board .seg a.nm").get_attribute("href")
    pages.insert(4, ("segment", seg.replace(seeded_server.url, "")))
    driver.get(seeded_server.url + "/gaps")
    gap = driver.find_element(By.CSS_SELECTOR, ".gap h3 a").get_attribute("href")
    pages.insert(6, ("gap", gap.replace(seeded_server.url, "")))
    refused = {}
    for name, path in pages:
        driver.get_log("browser")
        driver.get(seeded_server.url + path)
        if driver.find_elements(By.ID, "graph"):
            graph_ready(driver)  # vis-network draws under the strict policy
        shot(driver, name)
        refused[name] = csp_violations(driver)
    assert refused == {name: [] for name, _ in pages}
    driver.get(seeded_server.url + "/?lang=zh")
    assert [m for m in console_errors(driver) if "no-such-record" not in m] == []  # that 404 is on purpose


# ---------------------------------------------------------------- on a graph of its own
def test_xss_probe_runs_nothing_and_shows_the_text(driver, own_server):
    srv, _ = own_server
    driver.get(srv.url + "/entity/ent-x")
    graph_ready(driver)
    no_alert(driver)
    assert driver.find_element(By.ID, "entity-name").text.startswith(XSS_NAME)
    assert '"><script>alert(2)</script>' in driver.find_element(By.ID, "aliases").text
    # its node's tooltip is plain text too: hover it
    wait(driver).until(lambda d: d.execute_script("return document.body.getAttribute('data-graph-stable')") == "1")
    at_node(driver, "ent-x").perform()
    wait(driver, 5).until(lambda d: d.find_elements(By.CSS_SELECTOR, "div.vis-tooltip")
                          and d.find_element(By.CSS_SELECTOR, "div.vis-tooltip").get_attribute("innerText"))
    no_alert(driver)
    tips = driver.find_elements(By.CSS_SELECTOR, "div.vis-tooltip")
    assert tips and XSS_NAME in tips[0].get_attribute("innerText")
    assert not driver.find_elements(By.CSS_SELECTOR, "div.vis-tooltip img")
    for path in ("/search?q=img", "/entity/ent-b", "/chain", "/chain/seg-ndfeb", "/gaps", "/exports",
                 "/entity/ent-b/dossier", "/entity/ent-x/edit"):
        driver.get(srv.url + path)
        if driver.find_elements(By.ID, "graph"):
            graph_ready(driver)
        no_alert(driver)
        assert not driver.find_elements(By.CSS_SELECTOR, "img[src=x]"), path
    driver.get(srv.url + "/search?q=img")
    assert XSS_NAME in driver.find_element(By.ID, "hits").text
    shot(driver, "xss-probe-search", full=False)


def test_chain_map_stays_responsive_at_2000_nodes(driver, store_dir, tmp_path_factory):
    from graph.synthetic import synthetic_registry

    def fill(reg, app):
        ents, rels = synthetic_registry(2600)
        reg.upsert_many(ents, by="synthetic-generator")
        reg.upsert_relations(rels, by="synthetic-generator", known_kinds={e["id"]: e["kind"] for e in ents})

    with served(store_dir, tmp_path_factory.mktemp("big-instance"), fill=fill) as (srv, _):
        t0 = time.monotonic()
        driver.get(srv.url + "/chain?per_segment=200&max_nodes=2000")
        graph_ready(driver, 60)
        loaded = time.monotonic() - t0
        stats = driver.execute_script("return window.__chainStats")
        assert 1800 <= stats["nodes"] <= 2000 and stats["aggregated"] > 0  # the rest is merged, not dropped
        drawn = driver.execute_script("return window.__graphDrawnMs")
        assert drawn < 10_000, f"first draw took {drawn} ms"
        # still responsive: a zoom and a redraw come back quickly
        t1 = time.monotonic()
        driver.execute_script("window.__network.moveTo({scale: 1.5}); window.__network.redraw();")
        assert time.monotonic() - t1 < 3
        assert driver.find_element(By.ID, "synthetic-banner")  # synthetic data is labelled as such
        driver.execute_script("document.getElementById('graph-title').scrollIntoView();")
        shot(driver, "chain-2000-nodes", full=False)
        print(f"2,000-node chain map: page + first draw {loaded:.1f} s, vis-network draw {drawn} ms")


# ---------------------------------------------------------------- signing in and the audit trail (issue 9)
def test_sign_in_edit_a_firm_and_see_before_and_after_in_its_history(driver, own_server):
    from accounts import PASSWORD

    from registry.users import Users

    srv, reg = own_server
    Users(reg.store).add("李编辑", "editor", PASSWORD)
    before = reg.get("ent-b")
    driver.get(srv.url + "/entity/ent-b/edit")
    assert "/login?next=" in driver.current_url  # nobody signed in: the edit form asks for sign-in first
    driver.find_element(By.ID, "l-name").send_keys("李编辑")
    driver.find_element(By.ID, "l-password").send_keys(PASSWORD)
    driver.find_element(By.ID, "l-submit").click()
    wait(driver).until(lambda d: d.current_url.endswith("/entity/ent-b/edit"))
    # the address changes when the navigation commits, before the new page's elements exist: wait for them
    who = wait(driver).until(EC.presence_of_element_located((By.ID, "f-by")))
    assert who.text == "李编辑"
    field = driver.find_element(By.ID, "f-location")
    field.clear()
    field.send_keys("南康区龙岭工业园")
    driver.find_element(By.ID, "f-why").send_keys("企业走访核实新址")
    driver.find_element(By.CSS_SELECTOR, "#edit-form button[type=submit]").click()
    wait(driver).until(lambda d: "saved=1" in d.current_url)
    row = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#changes tbody tr")))
    text = row.text
    assert "李编辑" in text and "企业走访核实新址" in text
    assert f"{before['location']} → 南康区龙岭工业园" in text
    assert row.find_element(By.TAG_NAME, "ins").text == "南康区龙岭工业园"
    driver.execute_script("window.scrollTo(0, 0)")
    shot(driver, "audit-trail-after-edit")
    assert csp_violations(driver) == []
    driver.find_element(By.ID, "logout").click()
    wait(driver).until(lambda d: d.find_elements(By.ID, "login-link"))
