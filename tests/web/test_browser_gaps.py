"""The gap pages in headless Chromium on the seed graph: screenshots to look at, no CSP refusals, the motor
gap's candidates and score parts on screen. Screenshots go to artifacts/screenshots/gaps-*.png (not committed)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(f"headless browser tests need {CHROMIUM} and {CHROMEDRIVER} (Debian: apt-get install chromium "
                "chromium-driver; run.sh test installs them)", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def server(store_dir, seeded_graph_name, tmp_path_factory):
    from web import create_app
    from web.store import close_store

    app = create_app({"TESTING": True, "DATA_DIR": str(store_dir), "GRAPH_NAME": seeded_graph_name,
                      "SEED_ON_START": False, "NEO4J_URI": None},
                     instance_path=str(tmp_path_factory.mktemp("gaps-instance")))
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
                f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile-gaps')}", "--window-size=1366,900",
                "--lang=zh-CN"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


def shot(drv, name: str) -> None:
    """The first screen as people see it (``name``-top.png), then the whole page (``name``.png)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    drv.save_screenshot(str(SHOTS / f"{name}-top.png"))
    h = drv.execute_script("return Math.max(document.body.scrollHeight, 900)")
    drv.set_window_size(1366, min(h + 200, 5000))  # the window, not the viewport: leave room for its frame
    drv.save_screenshot(str(SHOTS / f"{name}.png"))
    drv.set_window_size(1366, 900)


def refused(drv) -> list[str]:
    return [e["message"] for e in drv.get_log("browser") if "Content Security Policy" in e["message"]]


def test_gap_pages_in_a_browser(driver, server):
    pages = [("gaps-list", "/gaps"), ("gaps-motor", "/gaps/capability:seg-pm-motors"),
             ("gaps-motor-en", "/gaps/capability:seg-pm-motors?lang=en"),
             ("gaps-no-candidates", "/gaps/capability:seg-supporting-industries?lang=zh"), ("gaps-home", "/")]
    bad = {}
    for name, path in pages:
        driver.get_log("browser")
        driver.get(server + path)
        shot(driver, name)
        bad[name] = refused(driver)
    assert bad == {name: [] for name, _ in pages}

    # an old address of a motor type lands on the motor need, whose candidates show their score parts
    driver.get(server + "/gaps/segment:seg-motor-servo")
    assert driver.current_url.endswith("/gaps/capability:seg-pm-motors")
    rows = driver.find_elements(By.CSS_SELECTOR, "#candidates tbody tr")
    assert [r.find_element(By.CSS_SELECTOR, "td.total").text for r in rows] == ["5", "2"]
    parts = rows[0].find_elements(By.CSS_SELECTOR, ".score-parts li")
    assert [p.find_element(By.CSS_SELECTOR, ".pts").text for p in parts] == ["+2", "+3"]
    assert all(p.is_displayed() for p in parts)
    assert len(driver.find_elements(By.CSS_SELECTOR, "#parts li")) == 8
    # the ranked candidates are named on the first screen, with a way down to their score parts
    summary = driver.find_element(By.ID, "cand-summary")
    bottom = summary.location["y"] + summary.size["height"]
    assert bottom < driver.execute_script("return window.innerHeight"), bottom
    assert "江西金力永磁科技股份有限公司 (5)" in summary.text and "特斯拉公司 (2)" in summary.text
    # a gap with nothing to rank: no download, a way to the import
    driver.get(server + "/gaps/capability:seg-supporting-industries")
    assert not driver.find_elements(By.CSS_SELECTOR, "[data-export]")
    link = driver.find_element(By.CSS_SELECTOR, ".cands.none a.btn")
    assert link.is_displayed() and link.get_attribute("href").endswith("/import")
