"""The data to-do list and the targets in a real browser (headless Chromium through selenium, as in
test_browser.py): screenshots of /todo and of the home page's targets, no CSP refusal, readable at 1366 px."""

from __future__ import annotations

import pytest

from browser_kit import chrome, page_errors, require_browser, served, shot  # noqa: E402

require_browser()

from selenium.webdriver.common.by import By  # noqa: E402

pytestmark = pytest.mark.browser

SCALE = "tgt-2026-above-scale-enterprises"


@pytest.fixture(scope="module")
def server(store_dir, seeded_graph_name, tmp_path_factory):
    with served(store_dir, tmp_path_factory.mktemp("todo-instance"), seeded_graph_name) as (srv, _):
        yield srv.url


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    drv = chrome(tmp_path_factory.mktemp("chrome-profile"))
    yield drv
    drv.quit()


refused = page_errors


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
    from seed.loader import load_seed

    def fill(reg, app):
        load_seed(reg)
        firm = reg.get("ent-youli-tech")
        reg.update("ent-youli-tech", {"roles": [*firm.get("roles", []), "above_scale"]}, version=firm["version"],
                   by="王五", why="区工信局名单：规上企业")

    with served(store_dir, tmp_path / "inst", fill=fill) as (srv, _):
        yield srv.url


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
