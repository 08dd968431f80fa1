"""`xijin import` exactly as issue 10 names it: FILE [--dry-run] [--skip-invalid] [--json] --as USER --reason TEXT,
`--template KIND FILE`, and `--undo`. Exit 0 when applied (or a clean dry run), 2 when rows were rejected and
nothing was applied; `--json` prints one object; and kill -9 half-way leaves the registry as it was."""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys

import openpyxl
import pytest

from registry import tabular
from registry.instance import open_registry
from registry.messages import label
from xijin.cli import cli

from test_cli_users import add


def headers(kind="enterprise"):
    return [c.zh for c in tabular.columns(kind)]


def firm(name, locality="cluster", phone=""):
    cells = {"名称": name, "集群内外": label("locality", locality) if locality else "火星", "电话": phone}
    return [cells.get(h, "") for h in headers()]


def filled_template(path, rows):
    runner_buf = io.BytesIO()
    tabular.write_template("enterprise", runner_buf)
    wb = openpyxl.load_workbook(io.BytesIO(runner_buf.getvalue()))
    for r in rows:
        wb.worksheets[0].append(r)
    wb.save(path)
    return path


@pytest.fixture
def editor(runner, instance):
    assert add(runner, instance, "小王", "editor").exit_code == 0
    assert add(runner, instance, "管理员", "admin").exit_code == 0
    assert add(runner, instance, "只读", "viewer").exit_code == 0
    return instance


def imp(runner, instance, *args):
    return runner.invoke(cli, ["import", *map(str, args), "--instance", str(instance)])


def names(instance):
    with open_registry(instance) as reg:
        return sorted(r["name"] for r in reg.list(kinds=["enterprise"], per_page=500)["items"])


def test_template_then_dry_run_then_rejected_then_skip_then_undo(runner, editor, tmp_path):
    tpl = tmp_path / "企业模板.xlsx"
    r = imp(runner, editor, "--template", "enterprise", tpl)
    assert r.exit_code == 0 and tpl.exists()
    assert openpyxl.load_workbook(tpl).sheetnames[:2] == ["企业", "说明"]

    f = filled_template(tmp_path / "名录.xlsx", [firm("甲企业"), firm("乙企业", locality=None), firm("丙企业")])
    r = imp(runner, editor, f, "--dry-run", "--json", "--as", "小王", "--reason", "试导")
    out = json.loads(r.stdout)
    assert r.exit_code == 2 and out["applied"] is False
    assert (out["created"], out["changed"], out["unchanged"]) == (2, 0, 0)
    assert out["rejected"] == [{"sheet": "企业", "row": 4, "column": "集群内外", "value": "火星",
                                "reason": out["rejected"][0]["reason"], "reason_en": out["rejected"][0]["reason_en"]}]
    assert set(out) >= {"created", "changed", "unchanged", "rejected", "applied"}

    r = imp(runner, editor, f, "--json", "--as", "小王", "--reason", "导入名录")
    assert r.exit_code == 2 and json.loads(r.stdout)["applied"] is False and names(editor) == []

    r = imp(runner, editor, f, "--skip-invalid", "--json", "--as", "小王", "--reason", "导入名录")
    out = json.loads(r.stdout)
    assert r.exit_code == 0 and out["applied"] is True and out["created"] == 2
    assert names(editor) == ["丙企业", "甲企业"]

    r = imp(runner, editor, "--undo", out["change_set"], "--as", "小王", "--reason", "撤销")
    assert r.exit_code == 2 and "admin" in r.stderr          # only an admin undoes
    r = imp(runner, editor, "--undo", out["change_set"], "--as", "管理员", "--reason", "撤销")
    assert r.exit_code == 0 and names(editor) == []


def test_a_clean_file_applies_and_prints_what_happened(runner, editor, tmp_path):
    f = filled_template(tmp_path / "a.xlsx", [firm("甲企业", phone="0797-1")])
    r = imp(runner, editor, f, "--as", "小王", "--reason", "导入")
    assert r.exit_code == 0 and "1" in r.stdout and "xijin import --undo" in r.stdout
    f2 = filled_template(tmp_path / "b.xlsx", [firm("甲企业", phone="0797-2")])
    r = imp(runner, editor, f2, "--as", "小王", "--reason", "改电话")
    assert r.exit_code == 0 and "0797-1 → 0797-2" in r.stdout


def test_a_gbk_csv_imports(runner, editor, tmp_path):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers())
    w.writerow(firm("赣州某磁材有限公司"))
    f = tmp_path / "名录.csv"
    f.write_bytes(buf.getvalue().encode("gbk"))
    r = imp(runner, editor, f, "--json", "--as", "小王", "--reason", "导入")
    assert r.exit_code == 0 and json.loads(r.stdout)["created"] == 1
    assert names(editor) == ["赣州某磁材有限公司"]


@pytest.mark.parametrize("who, why, needle", [
    (None, "理由", "--as"), ("只读", "理由", "editor"), ("没有这人", "理由", "editor"), ("小王", None, "--reason")])
def test_who_and_why_are_required(runner, editor, tmp_path, who, why, needle):
    f = filled_template(tmp_path / "a.xlsx", [firm("甲企业")])
    args = [f] + (["--as", who] if who else []) + (["--reason", why] if why else [])
    r = imp(runner, editor, *args)
    assert r.exit_code == 2 and needle in r.stderr and names(editor) == []


def test_a_missing_or_unreadable_file_is_one_clear_line(runner, editor, tmp_path):
    r = imp(runner, editor, tmp_path / "nope.xlsx", "--as", "小王", "--reason", "x")
    assert r.exit_code == 2 and "nope.xlsx" in r.stderr and "Traceback" not in r.stderr
    bad = tmp_path / "garbage.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    r = imp(runner, editor, bad, "--as", "小王", "--reason", "x")
    assert r.exit_code == 2 and "Traceback" not in r.stderr


KILLED = """
import sys
from xijin.cli import main
main(["import", sys.argv[1], "--kind", "enterprise", "--instance", sys.argv[2], "--as", "小王", "--reason", "大批导入"])
"""


def test_kill_9_during_a_large_import_leaves_the_registry_as_before(runner, editor, tmp_path):
    rows = ["名称,集群内外"] + [f"合成企业{i:06d},{label('locality', 'cluster')}" for i in range(30000)]
    f = tmp_path / "big.csv"
    f.write_text("\n".join(rows), encoding="utf-8-sig")
    with open_registry(editor) as reg:
        before = reg.counts()
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(f), str(editor)], stderr=subprocess.PIPE, text=True)
    try:
        seen = ""
        while "写入/apply" not in seen:   # the progress line of the apply stage: the writing has begun
            ch = proc.stderr.read(1)
            assert ch, f"the import ended before writing: {seen[-500:]}"
            seen += ch
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    with open_registry(editor) as reg:
        assert reg.counts() == before
        assert reg.change_page(action="import")["total"] == 0
