"""The data to-do list and the targets in a real browser (headless Chromium through selenium, as in
test_browser.py): screenshots of /todo and of the home page's targets, no CSP refusal, readable at 1366 px."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(f"headless browser tests need {CHROMIUM} and {CHROMEDRIVER}", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
SCALE = "tgt-2026-above-scale-enterprises"


@pytest.fixture(scope="module")
def server(store_dir, seeded_graph_name, tmp_path_factory):
    from web import create_app
    from web.store import close_store

    app = create_app({"TESTING": True, "DATA_DIR": str(store_dir), "GRAPH_NAME": seeded_graph_name,
                      "SEED_ON_START": False, "NEO4J_URI": None},
                     instance_path=str(tmp_path_factory.mktemp("todo-instance")))
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(5)
    close_store(app)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}", "--window-size=1366,900",
                "--lang=zh-CN"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


def shot(drv, name: str, *, full: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    if full:
        h = drv.execute_script("return Math.max(document.body.scrollHeight, 900)")
        drv.set_window_size(1366, min(h + 40, 5000))
    drv.save_screenshot(str(SHOTS / f"{name}.png"))
    drv.set_window_size(1366, 900)


def refused(drv) -> list[str]:
    return [e["message"] for e in drv.get_log("browser") if e["level"] == "SEVERE"
            or "Content Security Policy" in e["message"]]


def test_todo_page_reads_on_a_laptop(driver, server):
    driver.get_log("browser")
    driver.get(server + "/todo")
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("待补数据清单")
    # no sideways scrolling at 1366 px
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 1366
    counts = driver.find_elements(By.CSS_SELECTOR, "#todo-counts .stat")
    assert len(counts) == 7 and counts[0].is_displayed()
    first = driver.find_element(By.CSS_SELECTOR, "#todo-segment_missing tbody tr")
    assert first.is_displayed() and "集群内" in first.text
    fix = driver.find_element(By.CSS_SELECTOR, '#todo-segment_missing tr[data-id="ent-zhongke-sanhuan"] a.btn')
    assert fix.get_attribute("href").endswith("/entity/ent-zhongke-sanhuan/edit#relation-add")
    shot(driver, "todo")
    driver.find_element(By.CSS_SELECTOR, '#todo-counts a[data-code="target_unmeasurable"]').click()
    shot(driver, "todo-targets", full=False)
    driver.get(server + "/todo?lang=en")
    shot(driver, "todo-en")
    assert refused(driver) == []


def test_home_targets_unmeasurable_grey(driver, server):
    driver.get_log("browser")
    driver.get(server + "/?lang=zh")
    cell = driver.find_element(By.CSS_SELECTOR, f'#targets a[href="/entity/{SCALE}"]').find_element(
        By.XPATH, "./ancestor::tr").find_element(By.CSS_SELECTOR, ".st")
    assert cell.text == "无法测算"
    grey = driver.execute_script("return getComputedStyle(arguments[0]).color", cell)
    muted = driver.execute_script("return getComputedStyle(document.querySelector('.muted')).color")
    assert grey == muted  # grey, as every muted text, never the red of 未达到
    table = driver.find_element(By.ID, "targets")
    driver.execute_script("arguments[0].scrollIntoView()", table)
    shot(driver, "home-targets", full=False)
    shot(driver, "home-todo")
    driver.get(server + "/gaps#targets")
    shot(driver, "gaps-targets", full=False)
    assert refused(driver) == []


@pytest.fixture
def tagged_server(store_dir, tmp_path):
    """The seed in a graph of its own, with one firm tagged 规上 by a signed-in editor's change."""
    import uuid

    from registry.repository import Registry
    from seed.loader import load_seed
    from web import create_app
    from web.store import close_store, store_holder

    app = create_app({"TESTING": True, "DATA_DIR": str(store_dir), "GRAPH_NAME": f"td{uuid.uuid4().hex[:10]}",
                      "SEED_ON_START": False, "NEO4J_URI": None}, instance_path=str(tmp_path / "inst"))
    reg = Registry(store_holder(app).get())
    reg.store.setup_schema()
    load_seed(reg)
    firm = reg.get("ent-youli-tech")
    reg.update("ent-youli-tech", {"roles": [*firm.get("roles", []), "above_scale"]}, version=firm["version"],
               by="王五", why="区工信局名单：规上企业")
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(5)
    reg.store.drop_graph()
    close_store(app)


def test_a_measured_target_shows_its_progress_bar(driver, tagged_server):
    driver.get(tagged_server + "/?lang=zh")
    row = driver.find_element(By.CSS_SELECTOR, f'#targets a[href="/entity/{SCALE}"]').find_element(
        By.XPATH, "./ancestor::tr")
    assert row.find_element(By.CSS_SELECTOR, ".st").text == "未达到"
    bar = row.find_element(By.CSS_SELECTOR, "meter.target-bar")
    assert (bar.get_attribute("value"), bar.get_attribute("max")) == ("1", "50")
    assert bar.is_displayed()
    driver.execute_script("arguments[0].scrollIntoView()", driver.find_element(By.ID, "targets"))
    shot(driver, "home-targets-measured", full=False)
