"""Issue 13's "done when", tried as a new user would in a real browser (headless Chromium through selenium, as in
test_browser.py): from the 稀土永磁电机 gap two candidates become leads assigned to two people; one advances to
签约, the project appears (on the lead, in the segment), the segment's coverage and the 引进项目 target move; the
weekly report shows both leads; the 督办 view lists the 23 tasks with their responsible units. Screenshots of
every page go to artifacts/screenshots/pipeline-*.png."""

from __future__ import annotations


import pytest

from browser_kit import chrome, page_errors, require_browser, served, shot as _shot  # noqa: E402

require_browser()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

pytestmark = pytest.mark.browser

SEG, GAP, TARGET = "seg-pm-motors", "capability:seg-pm-motors", "tgt-projects-introduced-per-year"
PASSWORD = "correct horse 1"


@pytest.fixture(scope="module")
def server(store_dir, tmp_path_factory):
    """The seed on a graph of its own (the test writes), two editors, the app on a free port."""
    from accounts import make_user

    from seed.loader import load_seed

    def fill(reg, app):
        load_seed(reg)
        make_user(app, "王招商", "editor", PASSWORD)
        make_user(app, "李招商", "editor", PASSWORD)

    with served(store_dir, tmp_path_factory.mktemp("pipeline-instance"), fill=fill) as (srv, _):
        yield srv.url, srv.app


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    drv = chrome(tmp_path_factory.mktemp("chrome-profile"))
    yield drv
    drv.quit()


def shot(drv, name: str) -> None:
    _shot(drv, f"pipeline-{name}")


refused = page_errors


def api(app, path):
    with app.test_client() as c:
        return c.get(path).get_json()["data"]


def coverage_score(app) -> float:
    return next(s for s in api(app, "/api/v1/chain")["coverage"] if s["id"] == SEG)["score"]


def target(app) -> dict:
    rows = api(app, "/api/v1/targets")
    rows = rows.get("items", rows) if isinstance(rows, dict) else rows
    return next(t for t in rows if t["id"] == TARGET)


def click_and_wait(drv, element) -> None:
    """Click a submit button and wait until the browser has left the page (the next page is loaded)."""
    html = drv.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(drv, 20).until(EC.staleness_of(html))


def submit(drv, form_id: str) -> None:
    click_and_wait(drv, drv.find_element(By.CSS_SELECTOR, f"#{form_id} button[type=submit]"))


def test_from_the_gap_to_a_signed_project(driver, server):
    url, app = server
    driver.get_log("browser")
    cov_before, tgt_before = coverage_score(app), target(app)
    # sign in as a new user would
    driver.get(url + "/login")
    driver.find_element(By.ID, "l-name").send_keys("王招商")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    submit(driver, "login-form")
    # the 稀土永磁电机 gap: each candidate has its button; two become leads assigned to two people
    driver.get(url + f"/gaps/{GAP}")
    forms = driver.find_elements(By.CSS_SELECTOR, "#candidates form.lead-from-gap")
    assert len(forms) >= 2
    firms = [f.get_attribute("data-firm") for f in forms[:2]]
    shot(driver, "gap")
    for firm, owner in zip(firms, ("王招商", "李招商")):
        driver.get(url + f"/gaps/{GAP}")
        form = driver.find_element(By.CSS_SELECTOR, f'#candidates form.lead-from-gap[data-firm="{firm}"]')
        Select(form.find_element(By.NAME, "owner")).select_by_value(owner)
        click_and_wait(driver, form.find_element(By.CSS_SELECTOR, "button"))
        assert driver.find_element(By.ID, "form-saved").is_displayed()
        assert driver.find_element(By.ID, "lead-owner").text == owner
    driver.get(url + f"/gaps/{GAP}")
    assert [a.get_attribute("data-lead") for a in driver.find_elements(By.CSS_SELECTOR, "#candidates a[data-lead]")] \
        == ["lead-1", "lead-2"]
    # lead-1 advances stage by stage to 签约, in the 中国稀金谷 park
    for stage in ("contacted", "visit", "negotiating", "signed"):
        driver.get(url + "/leads/lead-1")
        Select(driver.find_element(By.ID, "lead-stage-select")).select_by_value(stage)
        if stage == "signed":
            Select(driver.find_element(By.NAME, "park")).select_by_value("park-xijin-valley-pm-motor-park")
        driver.find_element(By.ID, "lead-note").send_keys(f"推进：{stage}")
        submit(driver, "lead-form")
        assert driver.find_element(By.ID, "lead-stage").get_attribute("data-stage") == stage
    project = driver.find_element(By.CSS_SELECTOR, "#lead-project a")
    project_name = project.text
    assert project_name and project.get_attribute("href").endswith(f"/entity/proj-lead-1")
    shot(driver, "lead")
    # the project is in the segment (its page and the chain map's data) and the numbers moved
    driver.get(url + f"/chain/{SEG}")
    assert project_name in driver.find_element(By.TAG_NAME, "body").text
    nodes = api(app, f"/api/v1/chain/graph?segment={SEG}&per_segment=24")["nodes"]  # the default view folds firms
    assert any(n.get("id") == "proj-lead-1" for n in nodes)
    assert coverage_score(app) > cov_before
    tgt_after = target(app)
    # before: a stock of projects with no year, "unknown"; after: this year's signings, measured against 10
    assert tgt_before["rule"] == "projects" and tgt_before["status"] == "unknown"
    assert tgt_after["rule"] == "projects_signed" and tgt_after["current"] == 1
    assert tgt_after["measurability"] == "measured" and tgt_after["status"] == "behind"
    # my leads, the board, the weekly report
    driver.get(url + "/leads")
    assert driver.find_element(By.CSS_SELECTOR, '#my-leads tr[data-lead="lead-1"]')
    shot(driver, "my-leads")
    driver.get(url + "/leads/board")
    counts = {c.get_attribute("data-stage"): c.find_element(By.CSS_SELECTOR, ".count").text
              for c in driver.find_elements(By.CSS_SELECTOR, "#board .col")}
    assert counts["lead"] == "1" and counts["signed"] == "1"
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 1366
    shot(driver, "board")
    driver.get(url + "/leads/weekly")
    new = [r.get_attribute("data-lead") for r in driver.find_elements(By.CSS_SELECTOR, "#weekly-new tr[data-lead]")]
    assert sorted(new) == ["lead-1", "lead-2"]
    moved = driver.find_element(By.CSS_SELECTOR, '#weekly-moved tr[data-lead="lead-1"]').text
    assert "洽谈 → 签约" in moved
    shot(driver, "weekly")
    # the 督办 view: the 23 tasks with their responsible units as the plan writes them
    driver.get(url + "/tasks")
    rows = driver.find_elements(By.CSS_SELECTOR, "#task-table tbody tr")
    assert len(rows) == 23
    assert rows[16].find_element(By.CSS_SELECTOR, ".units").text == \
        "区商务局、区工信局、区财政局、赣州高新区经发局、赣州高新区招商局、高新投"
    assert rows[0].find_element(By.CSS_SELECTOR, ".lead-unit").text == "区科创中心"
    shot(driver, "tasks")
    driver.get(url + "/tasks/16")
    Select(driver.find_element(By.ID, "task-status-select")).select_by_value("in_progress")
    driver.find_element(By.ID, "task-note").send_keys("本年已签约 1 个项目（lead-1）")
    submit(driver, "task-form")
    assert driver.find_element(By.ID, "task-status").text == "推进中"
    shot(driver, "task")
    assert refused(driver) == []
