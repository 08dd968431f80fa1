"""The gap pages in headless Chromium on the seed graph: screenshots to look at, no CSP refusals, the motor
gap's candidates and score parts on screen. Screenshots go to artifacts/screenshots/gaps-*.png (not committed)."""

from __future__ import annotations

import pytest

from browser_kit import chrome, csp_violations, require_browser, served, shot as _shot  # noqa: E402

require_browser()

from selenium.webdriver.common.by import By  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(store_dir, seeded_graph_name, tmp_path_factory):
    with served(store_dir, tmp_path_factory.mktemp("gaps-instance"), seeded_graph_name) as (srv, _):
        yield srv.url


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    drv = chrome(tmp_path_factory.mktemp("chrome-profile-gaps"))
    yield drv
    drv.quit()


def shot(drv, name: str) -> None:
    """The first screen as people see it (``name``-top.png), then the whole page (``name``.png)."""
    _shot(drv, name, top=True, room=200)


refused = csp_violations


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
