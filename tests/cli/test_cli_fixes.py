"""Issue 11, the CLI: names or ids wherever an id is taken, gap ids printed, readable impact/measures/path,
one clear line for a bad host or a busy port, read-only commands that create nothing, binary `--get`
bodies, and no Neo4j notification on the user's terminal. Real processes where the process is the point."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from registry.instance import open_registry
from xijin.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SHELL_SETTINGS = ("NEO4J_", "XIJIN_")  # as tests/cli/conftest.py: each test says which store it means

LEADER = "ent-china-rare-earth-group"  # 中国稀土集团 in the seed data


def _env(**extra) -> dict:
    return {**{k: v for k, v in os.environ.items() if not k.startswith(SHELL_SETTINGS)}, **extra}


# --- names or ids --------------------------------------------------------------------------------

def test_impact_takes_a_name_and_prints_text(runner, seeded_instance):
    r = runner.invoke(cli, ["gaps", "impact", "中国稀土集团", "--instance", seeded_instance])
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"若 中国稀土集团 ({LEADER}) 离开"
    assert lines[1].startswith("若「中国稀土集团」退出：")
    assert "担任链主的环节（1）：" in r.stdout and not r.stdout.lstrip().startswith("{")


def test_impact_takes_an_id_too_and_json_on_request(runner, seeded_instance):
    by_id = runner.invoke(cli, ["gaps", "--instance", seeded_instance, "impact", LEADER, "--json"])
    by_name = runner.invoke(cli, ["gaps", "--instance", seeded_instance, "impact", "中国稀土集团", "--json"])
    assert by_id.exit_code == 0 and json.loads(by_id.stdout)["firm"]["id"] == LEADER
    assert json.loads(by_name.stdout) == json.loads(by_id.stdout)


def test_a_name_nothing_has_shows_the_closest_names(runner, seeded_instance):
    r = runner.invoke(cli, ["gaps", "impact", "中国希土集团", "--instance", seeded_instance])
    assert r.exit_code == 3 and r.stdout == ""
    assert r.stderr.startswith("错误 / error: 没有名称、别名或编号为“中国希土集团”的记录 / no record has the name")
    assert f"  {LEADER}  中国稀土集团（企业）" in r.stderr.splitlines()[2]  # the closest first
    assert "Traceback" not in r.stderr


def test_an_ambiguous_name_lists_the_choices(runner, instance):
    with open_registry(instance, setup=True) as reg:
        reg.upsert_many([{"kind": "enterprise", "id": f"ent-twin-{i}", "name": f"双胞胎{i}有限公司", "aliases": ["双胞胎"],
                          "sources": [{"by": "test"}]} for i in (1, 2)], by="test")
    r = runner.invoke(cli, ["gaps", "measures", "双胞胎", "--instance", str(instance)])
    assert r.exit_code == 2
    assert "“双胞胎”对应 2 条记录，请改用编号：" in r.stderr and '"双胞胎" matches 2 records; use an id:' in r.stderr
    assert "  ent-twin-1  双胞胎1有限公司（企业）" in r.stderr and "  ent-twin-2  双胞胎2有限公司（企业）" in r.stderr
    r = runner.invoke(cli, ["gaps", "measures", "双胞胎1有限公司", "--instance", str(instance)])  # the exact name is one
    assert r.exit_code == 0 and r.stdout.startswith("双胞胎1有限公司 (ent-twin-1) · 企业 · 网络指标")


def test_measures_and_path_print_text_and_json(runner, seeded_instance):
    r = runner.invoke(cli, ["gaps", "measures", "中国稀土集团", "--instance", seeded_instance])
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith(f"中国稀土集团 ({LEADER}) · 企业 · 网络指标")
    assert re.search(r"PageRank [\d.]+（第 \d+ 名，共 \d+）", r.stdout)
    r = runner.invoke(cli, ["gaps", "measures", LEADER, "--json", "--instance", seeded_instance])
    assert json.loads(r.stdout)["entity"]["id"] == LEADER
    r = runner.invoke(cli, ["gaps", "path", "赣州稀土矿业有限公司", "中国稀土集团", "--instance", seeded_instance])
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("沿供应关系，从 赣州稀土矿业有限公司")
    assert "       ↓ 供应：" in r.stdout
    r = runner.invoke(cli, ["gaps", "path", "中国稀土集团", "赣州稀土矿业有限公司", "--instance", seeded_instance, "--lang", "en"])
    assert r.stdout.startswith("No path from 中国稀土集团") and "along supply links." in r.stdout
    r = runner.invoke(cli, ["gaps", "path", "赣州稀土矿业有限公司", LEADER, "--json", "--instance", seeded_instance])
    body = json.loads(r.stdout)
    assert body["found"] is True and body["target"]["id"] == LEADER


def test_gaps_prints_the_gap_ids_and_candidates_takes_them(runner, seeded_instance):
    r = runner.invoke(cli, ["gaps", "--top", "3", "--instance", seeded_instance])
    assert r.exit_code == 0, r.stderr
    ids = re.findall(r"^    编号：(\S+)$", r.stdout, re.M)
    assert len(ids) == 3
    r = runner.invoke(cli, ["gaps", "candidates", ids[0], "--instance", seeded_instance])
    assert r.exit_code == 0 and f"[{ids[0]}]" in r.stdout.splitlines()[0]
    en = runner.invoke(cli, ["gaps", "--top", "1", "--lang", "en", "--instance", seeded_instance])
    assert f"    id: {ids[0]}" in en.stdout


def test_gap_candidates_takes_a_title_or_suggests(runner, seeded_instance):
    title = "方案点名的补链需求：稀土永磁电机"
    r = runner.invoke(cli, ["gaps", "candidates", title, "--instance", seeded_instance])
    assert r.exit_code == 0 and r.stdout.startswith(f"{title}  [capability:")
    r = runner.invoke(cli, ["gaps", "candidates", "永磁电机", "--instance", seeded_instance])
    assert r.exit_code == 3 and "最接近的： / closest:" in r.stderr and title in r.stderr


# --- serve: one clear line for what it cannot listen on --------------------------------------------

def _one_error_line(p) -> str:
    lines = [x for x in p.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, p.stderr
    assert "Traceback" not in p.stderr and "is running" not in p.stderr and "stopped" not in p.stderr
    return lines[0]


def test_serve_on_a_bad_host_is_one_line_and_exit_2(xijin, instance):
    p = xijin("serve", "--host", "999.1.1.1", "--port", "5999", "--instance", str(instance), "--no-seed")
    assert p.returncode == 2
    assert _one_error_line(p) == ("错误 / error: 无法监听 999.1.1.1:5999：999.1.1.1 不是有效的主机名或地址 / "
                                  "cannot listen on 999.1.1.1:5999: 999.1.1.1 is not a valid host name or address")


def test_serve_on_a_busy_port_is_one_line_and_exit_2(xijin, instance):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        p = xijin("serve", "--port", str(port), "--instance", str(instance), "--no-seed")
    assert p.returncode == 2
    line = _one_error_line(p)
    assert f"端口 {port} 已被占用" in line and f"port {port} is already in use" in line and "--port" in line


# --- read-only commands create nothing ----------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["status"], ["status", "--json"], ["doctor"], ["gaps"], ["gaps", "impact", "中国稀土集团"],
    ["gaps", "measures", "x"], ["gaps", "path", "a", "b"], ["gaps", "candidates", "segment:x"],
    ["serve", "--get", "/api/v1/health"],
])
def test_read_only_commands_on_a_missing_instance_create_nothing(runner, tmp_path, argv):
    typo = tmp_path / "typo"
    r = runner.invoke(cli, [*argv, "--instance", str(typo)])
    assert r.exit_code == 3 and r.stdout == ""
    assert f"no registry at {typo}" in r.stderr and f"{typo} 处没有名录" in r.stderr
    assert not typo.exists()


def test_status_as_a_process_on_a_typo(xijin, tmp_path):
    p = xijin("status", "--instance", str(tmp_path / "typo"))
    assert p.returncode == 3 and "no registry at" in _one_error_line(p)
    assert not (tmp_path / "typo").exists()


def test_a_folder_without_a_store_is_not_a_registry(runner, tmp_path):
    (tmp_path / "notes").mkdir()
    r = runner.invoke(cli, ["status", "--instance", str(tmp_path / "notes")])
    assert r.exit_code == 3 and "no registry at" in r.stderr
    assert list((tmp_path / "notes").iterdir()) == []  # no store folder made in it


# --- --get writes a body as it is ------------------------------------------------------------------

def test_get_of_an_xlsx_writes_the_bytes(seeded_instance, tmp_path):
    url = f"/export/partners.xlsx?scope=enterprise&id={LEADER}"
    p = subprocess.run([sys.executable, "-m", "xijin", "serve", "--instance", seeded_instance, "--no-seed", "--get", url],
                       capture_output=True, timeout=120, env=_env(), cwd=ROOT)
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout[:2] == b"PK" and b"Traceback" not in p.stderr
    ws = load_workbook(io.BytesIO(p.stdout)).worksheets[0]
    assert ws.cell(row=1, column=2).value == "名称" and ws.page_setup.orientation == "landscape"
    out = tmp_path / "list.xlsx"
    p = subprocess.run([sys.executable, "-m", "xijin", "serve", "--instance", seeded_instance, "--no-seed", "--get", url,
                        "-o", str(out)], capture_output=True, timeout=120, env=_env(), cwd=ROOT)
    assert p.returncode == 0 and p.stdout == b""
    assert load_workbook(out).worksheets[0].max_row > 1
    assert f"wrote {out} ({out.stat().st_size} bytes, status 200)" in p.stderr.decode()


def test_get_of_json_still_prints_text(xijin, seeded_instance):
    p = xijin("serve", "--instance", seeded_instance, "--no-seed", "--get", "/api/v1/health")
    assert p.returncode == 0 and json.loads(p.stdout)["ok"] is True


# --- Neo4j: no server notification on the terminal ----------------------------------------------------

def test_the_driver_takes_the_notification_filter_and_its_log_stays_off_the_terminal():
    """The installed driver accepts ``notifications_min_severity`` (an unknown option would be a
    ConfigurationError, not "cannot reach"), and a notification the driver logs prints nothing."""
    code = ("import logging\n"
            "from registry.errors import StoreUnavailable\n"
            "from registry.store import Neo4jStore\n"
            "try:\n"
            "    Neo4jStore('bolt://127.0.0.1:1', 'neo4j', 'x')\n"
            "except StoreUnavailable as exc:\n"
            "    print(exc.message)\n"
            "logging.getLogger('neo4j.notifications').warning('property key does not exist: email')\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=_env(), cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert "cannot reach Neo4j at bolt://127.0.0.1:1" in p.stdout
    assert p.stderr == ""


@pytest.mark.neo4j
@pytest.mark.skipif(not os.environ.get("NEO4J_URI"), reason="NEO4J_URI is not set")
def test_whole_registry_reads_on_neo4j_print_no_server_warnings(tmp_path):
    env = {k: os.environ[k] for k in os.environ if k.startswith("NEO4J_")}
    for argv in (["status"], ["gaps", "--top", "1"]):
        p = subprocess.run([sys.executable, "-m", "xijin", *argv, "--instance", str(tmp_path)], capture_output=True,
                           text=True, timeout=300, env=_env(**env), cwd=ROOT)
        assert "property key does not exist" not in p.stderr and "Received notification" not in p.stderr, p.stderr
