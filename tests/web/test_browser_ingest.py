"""Reading a plan in a real browser (issue 14), as a new user would: sign in, open 读入文件 from the navigation,
upload 001_*.txt into an EMPTY registry, watch it propose, review (accept all, group by group), give a reason,
apply, and find the must-have facts in the registry with their quotes: the chain leader, the 2026 targets, the
parks, the 23 tasks with their responsible units (and the eight motor types, when the extraction proposes
segments). Screenshots go to artifacts/screenshots/ingest-*.png (not committed), the review also at phone width.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from browser_kit import SHOTS, served, sign_in
from test_browser import csp_violations, downloads, driver, shot, wait  # noqa: F401 (fixtures)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "seed" / "documents" / "001_5d877c967d85b7a4.txt"
MOTORS = ("风电电机", "新能源汽车驱动电机", "机器人专用电机", "伺服电机", "流体电机", "微特电机", "绿色家电电机", "医用永磁电机")


@pytest.fixture(scope="module")
def empty_server(store_dir, tmp_path_factory):
    with served(store_dir, tmp_path_factory.mktemp("ingest-instance")) as s:
        yield s


def click(drv, el) -> None:
    """Click ``el`` in the middle of the screen (the sticky group bar covers the top rows)."""
    drv.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
    el.click()


def nodes(reg, kind):
    return [r["n"] for r in reg.store.read("MATCH (n:Entity) WHERE n.kind = $k RETURN properties(n) AS n", {"k": kind})]


def quotes(node) -> list[str]:
    return [s["quote"] for s in json.loads(node.get("sources_json") or "[]")]


def test_upload_001_review_accept_all_apply(driver, empty_server):
    from accounts import PASSWORD

    from registry.tasks import Tasks
    from registry.users import Users

    srv, reg = empty_server
    assert reg.store.read("MATCH (n:Entity) RETURN count(n) AS n")[0]["n"] == 0
    Users(reg.store).add("赵编辑", "editor", PASSWORD)
    sign_in(driver, srv.url, "赵编辑", PASSWORD)

    driver.find_element(By.ID, "nav-ingest").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "ingest-form")))
    shot(driver, "ingest-upload")
    assert csp_violations(driver) == []
    driver.find_element(By.ID, "f-file").send_keys(str(DOC))
    driver.find_element(By.ID, "read-button").click()
    wait(driver, 60).until(EC.presence_of_element_located((By.ID, "review-form")))
    assert csp_violations(driver) == []
    text = DOC.read_text(encoding="utf-8")
    groups = [e.get_attribute("id")[len("group-"):] for e in driver.find_elements(By.CSS_SELECTOR, "section.group")]
    assert {"tasks", "targets", "organisations", "relations"} <= set(groups)
    # every quote shown is the document's own text
    for q in driver.find_elements(By.CSS_SELECTOR, "#group-targets blockquote q")[:10]:
        assert q.get_attribute("textContent") in text
    shot(driver, "ingest-review-top", full=False)

    # accept all, group by group (each press is saved on the server: the page comes back as it was left)
    for g in groups:
        old = driver.find_element(By.ID, "review-form")
        driver.find_element(By.ID, f"accept-all-{g}").click()
        wait(driver).until(EC.staleness_of(old))  # the page came back from the server
        wait(driver).until(EC.presence_of_element_located((By.ID, "review-form")))
    driver.refresh()
    assert driver.find_element(By.CSS_SELECTOR, "#count-pending b").text == "0"
    assert driver.find_element(By.CSS_SELECTOR, "#count-problems b").text == "0", \
        [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".problem")][:5]
    shot(driver, "ingest-review")
    for g in ("targets", "organisations", "relations"):  # each group as it is seen, one screen each
        driver.execute_script(f"document.getElementById('group-{g}').scrollIntoView()")
        driver.save_screenshot(str(SHOTS / f"ingest-review-{g}.png"))
    driver.set_window_size(390, 844)  # a phone
    driver.get(driver.current_url.split("#")[0] + "#group-tasks")
    shot(driver, "ingest-review-phone", full=False)
    # nothing of the review is wider than the phone (the app's navigation bar is another matter: base.html)
    wide = driver.execute_script(
        "return Array.from(document.querySelectorAll('#review-form *, #counts *'))"
        ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className)")
    driver.set_window_size(1366, 900)
    assert wide == [], wide[:10]

    driver.find_element(By.ID, "f-why").send_keys("录入赣县区三年行动方案")
    driver.find_element(By.ID, "apply-button").click()
    wait(driver, 60).until(EC.presence_of_element_located((By.ID, "ingest-done")))
    shot(driver, "ingest-done", full=False)
    assert csp_violations(driver) == []

    # the must-have facts, with their quotes
    firm = next(n for n in nodes(reg, "enterprise") if n["name"] == "中国稀土集团")
    assert "chain_leader" in firm["roles"] and any("以中国稀土集团为链主" in q for q in quotes(firm))
    t2026 = {(t["metric"], t["value"]) for t in nodes(reg, "target") if t.get("deadline_year") == 2026}
    assert {("集群规模以上企业", 50), ("产值", 200)} <= t2026
    assert all(quotes(t)[0] in text for t in nodes(reg, "target"))
    parks = [p for p in nodes(reg, "project") if p.get("project_type") == "park"]
    assert parks and all(quotes(p)[0] in text for p in parks)
    tasks = Tasks(reg).list()
    assert len(tasks) == 23 and all(t["sources"][0]["quote"] in text and t["responsible_units"] for t in tasks)
    assert tasks[0]["responsible_units"][0] == "区科创中心"
    assert "segments" in groups
    segs = {s["id"]: s for s in nodes(reg, "segment")}
    assert set(MOTORS) <= {s["name"] for s in segs.values()}, set(MOTORS) - {s["name"] for s in segs.values()}
    # the eight motor types sit under 永磁电机, each quoting task 19's list
    under = reg.store.read("MATCH (a:Entity)-[r:PART_OF]->(b:Entity) WHERE b.name = $p RETURN a.name AS a",
                           {"p": "永磁电机"})
    assert set(MOTORS) <= {r["a"] for r in under}
    assert all(any("风电电机、新能源汽车驱动电机" in q for q in quotes(s)) for s in segs.values() if s["name"] in MOTORS)
    assert [d["name"] for d in nodes(reg, "document")] == ["赣县区稀土新材料及应用集群培育提升三年行动方案（2024-2026年）"]

    # the change set, from the result page
    driver.find_element(By.ID, "open-set").click()
    wait(driver).until(EC.url_contains("/import/set/"))
    assert DOC.name in driver.page_source
    shot(driver, "ingest-change-set", full=False)


def test_a_near_match_and_a_refused_edit_in_the_browser(driver, empty_server):
    """A pasted text naming a firm close to a stored one: the review asks "the same?"; an edit the model
    refuses is shown on its proposal in words and blocks the apply until it is fixed."""
    from accounts import PASSWORD

    from registry.model import Enterprise
    from registry.repository import entity_props, now_iso
    from registry.users import Users

    srv, reg = empty_server
    at = now_iso()
    firm = Enterprise(id="ent-test-cixie", name="赣州测试磁业科技有限公司", sources=[{"by": "录入员", "basis": "reported"}])
    reg.store.write("CREATE (n:Entity:Enterprise) SET n = $p",
                    {"p": entity_props(firm, meta={"created_at": at, "updated_at": at, "version": 1, "updated_by": "x"})})
    if not Users(reg.store).find("钱编辑"):
        Users(reg.store).add("钱编辑", "editor", PASSWORD)
    driver.delete_all_cookies()
    sign_in(driver, srv.url, "钱编辑", PASSWORD)
    driver.get(srv.url + "/ingest")
    driver.find_element(By.ID, "f-title").send_keys("某县方案")
    driver.find_element(By.ID, "f-pasted").send_keys(
        "二、重点任务\n1．培育龙头企业。支持赣州测试磁业有限公司扩大产能，到2026年产值突破10亿元。〔责任单位：县工信局、县发改委〕")
    driver.find_element(By.ID, "read-button").click()
    wait(driver, 60).until(EC.presence_of_element_located((By.ID, "review-form")))
    old = driver.find_element(By.ID, "review-form")
    click(driver, driver.find_element(By.ID, "accept-all-organisations"))
    wait(driver).until(EC.staleness_of(old))
    card = driver.find_element(By.XPATH, "//article[.//b[@class='pname' and text()='赣州测试磁业有限公司']]")
    assert "oc-near" in card.get_attribute("class") and "赣州测试磁业科技有限公司" in card.text
    # a refused edit: the target's value in Chinese numerals
    target = driver.find_element(By.CSS_SELECTOR, "#group-targets article")
    click(driver, target.find_element(By.CSS_SELECTOR, "input[value=accept]"))
    click(driver, target.find_element(By.CSS_SELECTOR, "details.edit summary"))
    box = target.find_element(By.CSS_SELECTOR, "input[name$=':value']")
    box.clear()
    box.send_keys("十")
    driver.find_element(By.ID, "f-why").send_keys("试读")
    old = driver.find_element(By.ID, "review-form")
    click(driver, driver.find_element(By.ID, "apply-button"))
    wait(driver).until(EC.staleness_of(old))
    assert "未写入任何内容" in driver.find_element(By.ID, "form-error").text
    problem = driver.find_element(By.CSS_SELECTOR, "#group-targets article .problem").text
    assert "value" in problem and "十" in problem
    driver.execute_script("document.getElementById('group-organisations').scrollIntoView()")
    driver.save_screenshot(str(SHOTS / "ingest-review-near.png"))
    driver.execute_script("document.getElementById('group-targets').scrollIntoView()")
    driver.save_screenshot(str(SHOTS / "ingest-review-problem.png"))
    # settled: the same firm, the value fixed -> written, and the stored firm only gains a source
    card = driver.find_element(By.XPATH, "//article[.//b[@class='pname' and text()='赣州测试磁业有限公司']]")
    click(driver, card.find_element(By.CSS_SELECTOR, "input[value='ent-test-cixie']"))
    target = driver.find_element(By.CSS_SELECTOR, "#group-targets article")
    box = target.find_element(By.CSS_SELECTOR, "input[name$=':value']")
    box.clear()
    box.send_keys("10")
    old = driver.find_element(By.ID, "review-form")
    click(driver, driver.find_element(By.ID, "apply-button"))
    wait(driver).until(EC.staleness_of(old))
    wait(driver, 60).until(EC.presence_of_element_located((By.ID, "ingest-done")))
    stored = reg.store.read("MATCH (n:Entity {id: 'ent-test-cixie'}) RETURN properties(n) AS n")[0]["n"]
    assert stored["name"] == "赣州测试磁业科技有限公司" and stored["version"] == 2
    assert [s.get("doc") for s in json.loads(stored["sources_json"])] == [None, "某县方案.txt"]
