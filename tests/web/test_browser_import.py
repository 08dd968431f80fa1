"""Spreadsheet import in a real browser (issue 10), the whole path as staff take it: sign in, download the
enterprise template, fill 20 rows in it (two of them bad, one a possible duplicate) with openpyxl as Excel
would, upload it, watch the progress, read the preview, tick "skip", give a reason, apply, open the change
set, and undo it as an admin. Screenshots go to artifacts/screenshots/import-*.png (not committed).

The harness (live server, headless Chromium, screenshots) is tests/web/test_browser.py's.
"""

from __future__ import annotations


import pytest
from openpyxl import load_workbook

from browser_kit import served, sign_in
from test_browser import (csp_violations, downloads, driver, shot,  # noqa: F401 (fixtures)
                          wait, wait_for_download)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def import_server(store_dir, tmp_path_factory):
    from web_data import load_small_chain

    with served(store_dir, tmp_path_factory.mktemp("import-instance"), fill=lambda reg, app: load_small_chain(reg)) as s:
        yield s


def sign_out(drv) -> None:
    drv.find_element(By.ID, "logout").click()
    wait(drv).until(lambda d: d.find_elements(By.ID, "login-link"))


def test_download_fill_upload_preview_skip_apply_and_undo(driver, import_server, downloads):
    from accounts import PASSWORD

    from registry.users import Users

    srv, reg = import_server
    Users(reg.store).add("李编辑", "editor", PASSWORD)
    Users(reg.store).add("王管理", "admin", PASSWORD)
    nodes_before = {n["id"]: n for n in reg.export_graph()[0]}
    sign_in(driver, srv.url, "李编辑", PASSWORD)

    # the import page, from the navigation bar
    driver.find_element(By.ID, "nav-import").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "upload-form")))
    assert "统一社会信用代码" in driver.find_element(By.ID, "how").text
    shot(driver, "import-page")
    assert csp_violations(driver) == []

    # the template, filled as someone would in Excel: 16 new firms, a known firm by its alias with a new
    # address, a possible duplicate of a stored firm, and two bad rows
    driver.find_element(By.ID, "template-enterprise").click()
    template = wait_for_download(downloads, "稀金图谱导入模板_企业.xlsx")
    wb = load_workbook(template)
    ws = wb["企业"]
    headers = [c.value for c in ws[1]]
    rows = [{"名称": f"赣州浏览器测试稀土{i:02d}有限公司", "集群内外": "集群内", "所在地": "赣县区"} for i in range(1, 17)]
    rows[3:3] = [{"名称": "磁材科技", "所在地": "南康区"}]                                    # row 6: a change
    rows[8:8] = [{"名称": "信用代码写错有限公司", "统一社会信用代码": "91360700MA35XJ0T0X"}]    # row 11: bad
    rows[12:12] = [{"名称": "赣州示范冶炼分离股份有限公司", "所在地": "龙南市"}]               # row 15: near
    rows.append({"名称": "集群内外写错有限公司", "集群内外": "火星"})                         # row 22: bad
    assert len(rows) == 20
    for i, row in enumerate(rows):
        for header, value in row.items():
            ws.cell(row=3 + i, column=headers.index(header) + 1, value=value)
    filled = downloads / "二〇二六年企业名录.xlsx"
    wb.save(filled)

    driver.get(srv.url + "/import")
    driver.find_element(By.ID, "f-file").send_keys(str(filled))
    driver.find_element(By.ID, "upload-button").click()
    counts = wait(driver, 60).until(EC.presence_of_element_located((By.ID, "counts")))
    assert "/import/" in driver.current_url
    number = {k: int(driver.find_element(By.CSS_SELECTOR, f"#count-{k} b").text)
              for k in ("created", "changed", "unchanged", "near", "rejected")}
    assert number == {"created": 16, "changed": 1, "unchanged": 0, "near": 1, "rejected": 2}, counts.text
    rejected = driver.find_element(By.ID, "rejected").text
    assert "11" in rejected and "22" in rejected and "火星" in rejected and "统一社会信用代码" in rejected
    near = driver.find_element(By.ID, "near").text
    assert "赣州示范冶炼分离有限公司" in near and "新建" in near
    assert "南康区" in driver.find_element(By.ID, "changed").text
    button = driver.find_element(By.ID, "apply-button")
    assert "跳过 3 行" in button.text
    shot(driver, "import-preview")
    assert csp_violations(driver) == []
    driver.execute_script("document.getElementById('apply-form').scrollIntoView({block: 'center'});")
    shot(driver, "import-preview-apply", full=False)

    # the browser itself refuses to apply without the skip box ticked (required), then: tick, reason, apply
    driver.find_element(By.ID, "f-why").send_keys("区工信局2026年企业名录")
    driver.find_element(By.ID, "f-skip").click()
    button.click()
    done = wait(driver, 60).until(EC.presence_of_element_located((By.ID, "import-done")))
    assert "新建 16 条" in done.text and "修改 1 条" in done.text and "跳过 3 行" in done.text
    shot(driver, "import-applied", full=False)
    assert reg.get("ent-b")["location"] == "南康区"

    driver.find_element(By.ID, "open-set").click()
    head = wait(driver).until(EC.presence_of_element_located((By.ID, "set-head")))
    assert "李编辑" in head.text and "区工信局2026年企业名录" in head.text and "北京时间" in head.text
    assert "二〇二六年企业名录.xlsx" in head.text
    assert len(driver.find_elements(By.CSS_SELECTOR, "#set-items tbody tr")) == 17
    assert not driver.find_elements(By.ID, "undo-form")  # an editor cannot undo
    set_url = driver.current_url
    shot(driver, "import-set")
    assert csp_violations(driver) == []
    sign_out(driver)

    # the admin undoes the whole import in one step
    sign_in(driver, srv.url, "王管理", PASSWORD)
    driver.get(set_url)
    driver.find_element(By.ID, "f-undo-why").send_keys("名录有误，整批撤回")
    driver.find_element(By.ID, "undo-button").click()
    undone = wait(driver, 60).until(EC.presence_of_element_located((By.ID, "undo-done")))
    assert "删除 16 条" in undone.text and "恢复 1 条" in undone.text
    assert "王管理" in driver.find_element(By.ID, "set-state").text
    shot(driver, "import-set-undone")
    assert csp_violations(driver) == []
    nodes_after = {n["id"]: n for n in reg.export_graph()[0]}
    assert set(nodes_after) == set(nodes_before)
    assert reg.get("ent-b")["location"] == nodes_before["ent-b"]["location"]
    # the admin change log links the import to its change set
    driver.get(srv.url + "/admin/changes?action=import")
    assert driver.find_elements(By.CSS_SELECTOR, "a.import-set")
    sign_out(driver)


@pytest.mark.slow
def test_a_long_preview_shows_its_progress_then_the_preview(driver, import_server, downloads):
    """20,000 firms in a GBK CSV: the page shows a progress bar that moves (static/import.js polls the job), then
    reloads itself into the preview."""
    import time

    from accounts import PASSWORD

    from registry.users import Users

    srv, reg = import_server
    if Users(reg.store).find("赵编辑") is None:
        Users(reg.store).add("赵编辑", "editor", PASSWORD)
    sign_in(driver, srv.url, "赵编辑", PASSWORD)
    path = downloads / "两万家企业.csv"
    lines = ["名称,集群内外,所在地"] + [f"赣州进度测试材料{i:05d}有限公司,集群内,赣县区" for i in range(20000)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    driver.get(srv.url + "/import")
    driver.find_element(By.ID, "f-file").send_keys(str(path))
    Select(driver.find_element(By.ID, "f-kind")).select_by_value("enterprise")  # a CSV's headers cannot tell
    driver.find_element(By.ID, "upload-button").click()
    bar = wait(driver).until(EC.presence_of_element_located((By.ID, "progress-bar")))
    seen = set()
    end = time.monotonic() + 300
    shot_taken = False
    while time.monotonic() < end and not driver.find_elements(By.CSS_SELECTOR, "#counts, #read-error"):
        try:
            value = bar.get_attribute("value")
            seen.add(value)
            if not shot_taken and value and int(float(value)) > 0:
                shot(driver, "import-progress", full=False)
                shot_taken = True
        except Exception:  # the page reloaded between finding the bar and reading it
            bars = driver.find_elements(By.ID, "progress-bar")
            if bars:
                bar = bars[0]
        time.sleep(0.2)
    assert driver.find_elements(By.ID, "counts"), "the preview never came"
    assert int(driver.find_element(By.CSS_SELECTOR, "#count-created b").text) == 20000
    assert len(seen) >= 2, seen  # the bar moved
    assert "只显示前 100 条" in driver.find_element(By.TAG_NAME, "body").text
    assert csp_violations(driver) == []
    sign_out(driver)
