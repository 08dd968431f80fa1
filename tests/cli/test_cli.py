"""The `xijin` command: through Click's runner in this process, and as a real process where the
process itself is what is tested (the installed command's exit code, `serve`, what gets imported)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
import pytest

from registry import dialect
from graph.errors import EntityNotFound, GapNotFound, InvalidGraphData, InvalidOption
from registry.errors import Conflict, InvalidInput, NotFound, RegistryError, StoreUnavailable
from registry.instance import open_registry
from xijin.cli import DefaultGroup, cli, exit_code


# --- errors become exit codes, in one place --------------------------------------------------

class OtherError(RegistryError):
    """An expected error of no more specific kind."""


@pytest.mark.parametrize("error, code", [
    (InvalidInput, 2), (NotFound, 3), (Conflict, 4), (StoreUnavailable, 5), (RegistryError, 1), (OtherError, 1),
    # graph's errors exit as their registry bases
    (GapNotFound, 3), (EntityNotFound, 3), (InvalidGraphData, 2), (InvalidOption, 2),
])
def test_each_error_class_exits_with_its_code_and_one_line(runner, error, code):
    @click.command()
    def boom():
        raise error("说明 / what went wrong")

    assert exit_code(error("x")) == code
    r = runner.invoke(DefaultGroup(commands={"boom": boom}), ["boom"])
    assert r.exit_code == code
    hint = "  提示 / hint: `xijin doctor` 检查存储 / checks the store\n" if error is StoreUnavailable else ""
    assert r.stderr == "错误 / error: 说明 / what went wrong\n" + hint and r.stdout == ""


def test_the_installed_command_exits_with_the_error_code_and_no_traceback(xijin, tmp_path):
    r = xijin("status", "--instance", str(tmp_path), env={"NEO4J_URI": "bolt://127.0.0.1:1", "NEO4J_PASSWORD": "x"})
    assert r.returncode == 5
    assert "cannot reach Neo4j" in r.stderr and "Traceback" not in r.stderr
    assert len([line for line in r.stderr.splitlines() if line.strip()]) <= 3


def test_bad_port_exits_2_with_a_clear_message(xijin, tmp_path):
    r = xijin("serve", "--port", "70000", "--instance", str(tmp_path))
    assert r.returncode == 2
    assert "70000" in r.stderr and "Traceback" not in r.stderr


# --- the store is opened through registry; only serve builds the web app ------------------------

def test_commands_other_than_serve_import_no_flask(run, instance):
    code = ("import json, sys\n"
            "from xijin.cli import cli\n"
            f"cli.main(['status', '--json', '--instance', {str(instance)!r}], standalone_mode=False)\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('web', 'flask', 'werkzeug'))))\n")
    r = run([sys.executable, "-c", code])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.splitlines()[-1]) == []


def test_status_on_a_new_instance(runner, tmp_path):
    """Issue 11: a read-only command on a folder that holds no registry says so and creates nothing
    (it used to make an empty store and report zeros)."""
    r = runner.invoke(cli, ["status", "--json", "--instance", str(tmp_path / "inst")])
    assert r.exit_code == 3 and r.stdout == ""
    assert f"no registry at {tmp_path / 'inst'}" in r.stderr and "处没有名录" in r.stderr
    assert not (tmp_path / "inst").exists()


def test_status_reads_the_instance_config_and_the_environment(runner, instance, store_dir):
    r = runner.invoke(cli, ["status", "--json", "--instance", str(instance)])
    assert r.exit_code == 0, r.stderr
    info = json.loads(r.stdout)["store"]
    assert info["data_dir"] == str(store_dir) and info["graph"].startswith("cli")  # from instance/config.py
    r = runner.invoke(cli, ["status", "--json", "--instance", str(instance)], env={"XIJIN_GRAPH": "from-env"})
    assert json.loads(r.stdout)["store"]["graph"] == "from-env"  # the environment wins over config.py


def test_a_junk_setting_exits_2_and_names_it(runner, instance):
    r = runner.invoke(cli, ["status", "--instance", str(instance)], env={"XIJIN_SEED_ON_START": "perhaps"})
    assert r.exit_code == 2
    assert "XIJIN_SEED_ON_START" in r.stderr and "'perhaps'" in r.stderr


def test_doctor_sets_nothing_up_and_says_what_is_missing(runner, xijin, instance):
    r = runner.invoke(cli, ["doctor", "--instance", str(instance)])
    assert r.exit_code == 1
    assert "schema incomplete" in r.stderr
    p = xijin("serve", "--instance", str(instance), "--no-seed", "--get", "/api/v1/health")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["ok"] is True
    r = runner.invoke(cli, ["doctor", "--instance", str(instance)])
    assert r.exit_code == 0 and f"schema in place (version {dialect.SCHEMA_VERSION})" in r.stdout


def test_doctor_says_when_stored_data_needs_migrating(runner, instance):
    with open_registry(instance, setup=True) as reg:
        reg.store.write("MERGE (m:Meta {id: 'schema'}) SET m.version = 1")  # as the previous version left it
    r = runner.invoke(cli, ["doctor", "--instance", str(instance)])
    assert r.exit_code == 1 and f"schema 1, now {dialect.SCHEMA_VERSION}" in r.stderr and "`xijin seed` migrates it" in r.stderr
    with open_registry(instance, setup=True):
        pass
    assert runner.invoke(cli, ["doctor", "--instance", str(instance)]).exit_code == 0


def test_invalid_neo4j_uri(runner, tmp_path):
    r = runner.invoke(cli, ["doctor", "--instance", str(tmp_path)], env={"NEO4J_URI": "http://nowhere"})
    assert r.exit_code == 5 and "invalid Neo4j URI" in r.stderr


@pytest.mark.skipif(not os.environ.get("NEO4J_URI"), reason="NEO4J_URI is not set: wrong-password test skipped")
def test_wrong_neo4j_password(runner, tmp_path):
    r = runner.invoke(cli, ["status", "--instance", str(tmp_path)],
                      env={"NEO4J_URI": os.environ["NEO4J_URI"], "NEO4J_USER": os.environ.get("NEO4J_USER", "neo4j"),
                           "NEO4J_PASSWORD": "definitely-wrong"})
    assert r.exit_code == 5 and "credentials" in r.stderr


def test_get_of_a_missing_page_fails(xijin, instance):
    r = xijin("serve", "--instance", str(instance), "--no-seed", "--get", "/api/v1/entities/nope")
    assert r.returncode == 1
    assert json.loads(r.stdout)["status"] == 404


# --- seed and the analyses --------------------------------------------------------------------

def test_seed_twice_writes_nothing_the_second_time(runner, seeded_instance):
    r = runner.invoke(cli, ["seed", "--instance", seeded_instance])
    assert r.exit_code == 0 and "written now: 0 records, 0 relations" in r.stdout


def test_gaps_report_first_screen(runner, seeded_instance):
    r = runner.invoke(cli, ["gaps", "--instance", seeded_instance])
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("稀金图谱 · 产业链缺口报告")
    assert "优先处理的缺口" in r.stdout and "001_5d877c967d85b7a4.txt" in r.stdout
    data = json.loads(runner.invoke(cli, ["gaps", "--json", "--instance", seeded_instance]).stdout)
    assert data["summary"]["gaps"]["total"] == sum(len(v) for v in data["gaps"].values())


def test_gaps_candidates_and_unknown_gap(runner, seeded_instance):
    data = json.loads(runner.invoke(cli, ["gaps", "--json", "--instance", seeded_instance]).stdout)
    gap_id = data["top_gaps"][0]["id"]
    r = runner.invoke(cli, ["gaps", "--instance", seeded_instance, "candidates", gap_id, "--json"])
    assert r.exit_code == 0, r.stderr
    assert "candidates" in json.loads(r.stdout)
    r = runner.invoke(cli, ["gaps", "--instance", seeded_instance, "candidates", "no-such-gap"])
    assert r.exit_code == 3 and "no-such-gap" in r.stderr


def test_gaps_impact_of_an_unknown_firm(runner, seeded_instance):
    r = runner.invoke(cli, ["gaps", "--instance", seeded_instance, "impact", "ent-nobody"])
    assert r.exit_code == 3 and "ent-nobody" in r.stderr


# --- seed --reset asks first and backs up (issue 9) ----------------------------------------------------------

def test_seed_reset_without_a_terminal_or_yes_refuses(runner, instance):
    r = runner.invoke(cli, ["seed", "--instance", str(instance), "--reset"])
    assert r.exit_code == 2 and "--yes" in r.stderr
    assert not (instance / "backups").exists()


def test_seed_reset_with_yes_backs_up_first_and_says_where(runner, instance):
    assert runner.invoke(cli, ["seed", "--instance", str(instance)]).exit_code == 0
    from registry.instance import open_registry

    with open_registry(instance) as reg:
        v = reg.get("ent-china-rare-earth-group")["version"]
        reg.update("ent-china-rare-earth-group", {"phone": "0797-1234567"}, version=v, by="张三", why="核实")
        before = reg.counts()
    r = runner.invoke(cli, ["seed", "--instance", str(instance), "--reset", "--yes"])
    assert r.exit_code == 0, r.output
    backups = list((instance / "backups").glob("*.json"))
    assert len(backups) == 1 and str(backups[0]) in r.stdout
    dump = json.loads(backups[0].read_text(encoding="utf-8"))
    assert len(dump["records"]) == before["total_entities"] and len(dump["relations"]) == before["total_relations"]
    assert any(c["action"] == "update" and c["by"] == "张三" for c in dump["changes"])
    assert next(r for r in dump["records"] if r["id"] == "ent-china-rare-earth-group")["phone"] == "0797-1234567"
    with open_registry(instance) as reg:  # reset: the user's edit is gone from the store, kept in the backup
        assert "phone" not in reg.get("ent-china-rare-earth-group")


def test_seed_lists_the_fields_a_user_changed(runner, instance):
    assert runner.invoke(cli, ["seed", "--instance", str(instance)]).exit_code == 0
    from registry.instance import open_registry

    with open_registry(instance) as reg:
        v = reg.get("ent-china-rare-earth-group")["version"]
        reg.update("ent-china-rare-earth-group", {"description": "用户的简介"}, version=v, by="张三", why="核实")
    r = runner.invoke(cli, ["seed", "--instance", str(instance)])
    assert r.exit_code == 0
    assert "1 field(s) were changed by users" in r.stdout
    assert "ent-china-rare-earth-group · description" in r.stdout and "'用户的简介'" in r.stdout


def test_serve_stopped_twice_in_a_row_still_closes_its_store(tmp_path):
    """A TERM while the store is closing (a second Ctrl-C, or a supervisor sending TERM again) must not cut the
    close short: the embedded store is stopped and its log confirmed, whatever comes after the first TERM."""
    import signal
    import socket
    import subprocess
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "xijin", "serve", "--instance", str(tmp_path), "--no-seed",
                             "--port", str(port)], stderr=subprocess.PIPE, text=True)
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        pid = int((tmp_path / "store" / "falkordb.pid").read_text().strip())
        proc.send_signal(signal.SIGTERM)
        for _ in range(5):  # more while it closes
            time.sleep(0.02)
            proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped, data saved" in err, err
    def running() -> bool:  # a zombie has exited: only its parent's reaping is left
        try:
            return (Path("/proc") / str(pid) / "stat").read_text().split()[2] != "Z"
        except FileNotFoundError:
            return False

    end = time.monotonic() + 10
    while time.monotonic() < end and running():
        time.sleep(0.1)
    assert not running(), "the store's server outlived serve"
