"""`xijin backup FILE [--with-users]` and `xijin restore FILE [--replace] [--yes]` (issue 10), as users run them:
Click's runner for the outputs and exit codes, a real process for kill -9 half-way through a restore."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
from conftest import ROOT, SHELL_SETTINGS, _drop, _instance

from registry import backup as bk
from registry.dialect import SCHEMA_VERSION
from registry.instance import open_registry
from registry.model import validate_entity, validate_relation
from registry.repository import entity_props, relation_props
from registry.users import Users
from xijin.cli import cli

PASSWORD = "a long password"


def synthetic_backup(n_firms: int, *, seed: int = 0) -> dict:
    """A backup's content for a synthetic registry of ``n_firms`` firms (graph.synthetic), shaped as the
    registry stores records and relations (validated, derived fields and all)."""
    from graph.synthetic import synthetic_registry

    ents, rels = synthetic_registry(n_firms, seed=seed)
    meta = {"created_at": "2026-01-01T00:00:00.000000Z", "updated_at": "2026-01-01T00:00:00.000000Z",
            "version": 1, "updated_by": "synthetic-generator"}
    records = sorted((entity_props(validate_entity(e), meta=meta) for e in ents), key=lambda r: r["id"])
    relations = []
    for r in rels:
        rel = validate_relation(r)
        relations.append({"type": rel.type, "source": rel.source, "target": rel.target,
                          "props": relation_props(rel, meta=meta)})
    relations.sort(key=bk._rel_key)
    data = {"format": bk.FORMAT, "format_version": bk.FORMAT_VERSION, "created_at": "2026-01-01T00:00:00.000000Z",
            "made_on": {"store": "synthetic"}, "schema_version": SCHEMA_VERSION, "with_users": False, "users_note": "",
            "left_out": {}, "records": records, "relations": relations, "changes": [], "users": [], "settings": [],
            "meta": [{"id": "schema", "version": SCHEMA_VERSION}]}
    data["counts"] = {s: len(data[s]) for s in bk.SECTIONS}
    return data


def content(instance) -> dict:
    """What an instance's store holds, as a backup's content (credentials included)."""
    with open_registry(instance) as reg:
        return bk.backup_content(bk.collect(reg, with_users=True))


@pytest.fixture
def other_instance(tmp_path, store_dir):
    graph = _instance(tmp_path / "other", store_dir)
    yield tmp_path / "other"
    _drop(store_dir, graph)


@pytest.fixture
def used_instance(runner, instance):
    """The seed, a user's edit, two users (one with an API token)."""
    assert runner.invoke(cli, ["seed", "--instance", str(instance)]).exit_code == 0
    with open_registry(instance) as reg:
        v = reg.get("ent-china-rare-earth-group")["version"]
        reg.update("ent-china-rare-earth-group", {"phone": "0797-1234567"}, version=v, by="张三", why="核实")
        users = Users(reg.store)
        users.add("张三", "admin", PASSWORD)
        users.add("李四", "viewer", PASSWORD)
        users.new_token("张三")
    return instance


def test_backup_then_restore_elsewhere_with_a_chinese_file_name(runner, used_instance, other_instance, tmp_path):
    folder = tmp_path / "备份文件"
    folder.mkdir()
    path = folder / "稀金图谱 2026年11月.json.gz"
    r = runner.invoke(cli, ["backup", str(path), "--instance", str(used_instance)])
    assert r.exit_code == 0, r.output
    line = r.stdout.strip()
    assert len(line.splitlines()) == 1 and str(path) in line
    assert re.search(r"\d+ records, \d+ relations, \d+ changes, 2 users \(no passwords or tokens; add --with-users", line)
    assert "2 个用户（不含密码与令牌" in line
    assert gzip.decompress(path.read_bytes()).startswith(b"{")

    r = runner.invoke(cli, ["restore", str(path), "--instance", str(other_instance)])
    assert r.exit_code == 0, r.output
    assert "Restored" in r.stdout and "2 users" in r.stdout
    assert "2 users were backed up without a password" in r.stdout and "xijin user password NAME" in r.stdout
    again = tmp_path / "again.json"
    assert runner.invoke(cli, ["backup", str(again), "--instance", str(other_instance)]).exit_code == 0
    assert bk.backup_content(bk.read_file(again)) == bk.backup_content(bk.read_file(path))

    # the restored admin signs in once given a new password
    with open_registry(other_instance) as reg:
        assert Users(reg.store).authenticate("张三", PASSWORD) is None
    r = runner.invoke(cli, ["user", "password", "张三", "--password-stdin", "--instance", str(other_instance)],
                      input="another password\n")
    assert r.exit_code == 0 and "张三" in r.stdout
    with open_registry(other_instance) as reg:
        assert Users(reg.store).authenticate("张三", "another password")["role"] == "admin"


def test_with_users_keeps_credentials_and_says_so(runner, used_instance, other_instance, tmp_path):
    path = tmp_path / "full.json"
    r = runner.invoke(cli, ["backup", str(path), "--with-users", "--instance", str(used_instance)])
    assert r.exit_code == 0 and "with password hashes and token digests: keep this file safe" in r.stdout
    assert runner.invoke(cli, ["restore", str(path), "--instance", str(other_instance)]).exit_code == 0
    assert content(other_instance) == content(used_instance)
    with open_registry(other_instance) as reg:
        assert Users(reg.store).authenticate("李四", PASSWORD)["name"] == "李四"


def test_restore_into_a_non_empty_store_needs_replace(runner, used_instance, tmp_path):
    path = tmp_path / "a.json"
    assert runner.invoke(cli, ["backup", str(path), "--instance", str(used_instance)]).exit_code == 0
    before = content(used_instance)
    r = runner.invoke(cli, ["restore", str(path), "--instance", str(used_instance)])
    assert r.exit_code == 2 and "not empty" in r.stderr and "--replace" in r.stderr and "Traceback" not in r.stderr
    # --replace asks first; without a terminal and without --yes it refuses
    r = runner.invoke(cli, ["restore", str(path), "--replace", "--instance", str(used_instance)])
    assert r.exit_code == 2 and "--yes" in r.stderr
    r = runner.invoke(cli, ["restore", str(path), "--replace", "--instance", str(used_instance)], input="n\n")
    assert r.exit_code in (1, 2)
    assert content(used_instance) == before and not (used_instance / "backups").exists()


def test_replace_backs_up_first_and_the_result_equals_the_file(runner, used_instance, other_instance, tmp_path):
    path = tmp_path / "other.json"
    assert runner.invoke(cli, ["seed", "--instance", str(other_instance)]).exit_code == 0
    assert runner.invoke(cli, ["backup", str(path), "--instance", str(other_instance)]).exit_code == 0
    before = content(used_instance)
    r = runner.invoke(cli, ["restore", str(path), "--replace", "--yes", "--instance", str(used_instance)])
    assert r.exit_code == 0, r.output
    saved = list((used_instance / "backups").glob("before-restore-*.json.gz"))
    assert len(saved) == 1 and str(saved[0]) in r.stdout
    assert r.stdout.index(str(saved[0])) < r.stdout.index("Restored")
    assert bk.backup_content(bk.read_file(saved[0])) == before  # the whole of what was there, passwords too
    with open_registry(used_instance) as reg:
        now = bk.backup_content(bk.collect(reg))
    assert now == bk.backup_content(bk.read_file(path))
    # and the backup made first brings the old content back
    r = runner.invoke(cli, ["restore", str(saved[0]), "--replace", "--yes", "--instance", str(used_instance)])
    assert r.exit_code == 0 and content(used_instance) == before


@pytest.mark.parametrize("body, needle", [
    (b'{"format": "xijin-backup", "format_version": 2, "records": [', "truncated or corrupt"),
    (b"\x1f\x8b\x08\x00garbage", "gzip file is truncated or corrupt"),
    ("姓名,电话\n张三,1\n".encode("gb18030"), "not a Xijin Atlas backup"),
    (b'{"format": "xijin-backup", "format_version": 9}', "format version 9 is newer"),
    (b'{"format": "someone-else", "format_version": 1}', "not a Xijin Atlas backup"),
])
def test_bad_files_exit_2_with_one_line_and_write_nothing(runner, instance, tmp_path, body, needle):
    path = tmp_path / "坏文件.json"
    path.write_bytes(body)
    r = runner.invoke(cli, ["restore", str(path), "--instance", str(instance)])
    assert r.exit_code == 2 and needle in r.stderr and "nothing was written" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    with open_registry(instance) as reg:
        assert bk.is_empty(reg) and reg.counts()["total_entities"] == 0


def test_a_missing_file_and_a_missing_folder(runner, used_instance, tmp_path):
    r = runner.invoke(cli, ["restore", str(tmp_path / "nope.json"), "--instance", str(used_instance)])
    assert r.exit_code == 2 and "no such file" in r.stderr
    r = runner.invoke(cli, ["backup", str(tmp_path / "nope" / "a.json"), "--instance", str(used_instance)])
    assert r.exit_code == 2 and "does not exist" in r.stderr


def test_a_synthetic_registry_round_trips_with_progress(runner, instance, tmp_path):
    path = tmp_path / "syn.json.gz"
    bk.write_file(synthetic_backup(2000), path)
    r = runner.invoke(cli, ["restore", str(path), "--instance", str(instance)])
    assert r.exit_code == 0, r.output
    assert re.search(r"restoring \[#+\] (\d+)/\1", r.stderr)  # progress on stderr, finished
    again = tmp_path / "again.json"
    r = runner.invoke(cli, ["backup", str(again), "--instance", str(instance)])
    assert r.exit_code == 0 and "backing up" in r.stderr
    assert bk.backup_content(bk.read_file(again)) == bk.backup_content(bk.read_file(path))


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith(SHELL_SETTINGS)}


@pytest.mark.parametrize("when", ["preparing", "running"])
def test_kill_9_half_way_through_a_restore_leaves_all_or_nothing(runner, used_instance, tmp_path, when):
    """A restore --replace of a large backup, killed with SIGKILL half-way: while its statements are being
    made ready the store holds exactly what it held before; once the block is on its way, either that or
    the whole backup, never a part (the clear and the load are one atomic unit)."""
    path = tmp_path / "big.json.gz"
    bk.write_file(synthetic_backup(20000), path)
    before = content(used_instance)
    proc = subprocess.Popen([sys.executable, "-m", "xijin", "restore", str(path), "--replace", "--yes",
                             "--instance", str(used_instance)], cwd=ROOT, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = bytearray()
    reader = threading.Thread(target=lambda: [err.extend(c) for c in iter(lambda: proc.stderr.read1(256), b"")],
                              daemon=True)
    reader.start()
    deadline = time.monotonic() + 300
    killed_at = None
    while time.monotonic() < deadline and proc.poll() is None:
        steps = re.findall(r"(\d+)/(\d+)", err.decode("utf-8", "replace"))
        if steps and "restoring" in err.decode("utf-8", "replace"):
            done, total = map(int, steps[-1])
            # "preparing": the statements are being made ready (0 sent); "running": the block is being sent
            # or runs on the server (the progress line moved past 0, not yet at the end)
            if total > 10 and (done == 0 if when == "preparing" else 0 < done < total):
                os.kill(proc.pid, signal.SIGKILL)
                killed_at = (done, total)
                break
        time.sleep(0.02)
    proc.wait(timeout=60)
    reader.join(timeout=10)
    proc.stdout.close()
    proc.stderr.close()
    assert killed_at, f"the restore was not caught half-way: {err.decode('utf-8', 'replace')[-500:]}"
    assert proc.returncode == -signal.SIGKILL
    after = content(used_instance)
    if when == "preparing":
        assert after == before
    else:
        restored = bk.backup_content(bk.read_file(path))
        assert after == before or {k: v for k, v in after.items() if k != "with_users"} == \
            {k: v for k, v in restored.items() if k != "with_users"}, "a restore killed half-way left a part"
    # the next restore works (the dead process's working copy does not stand in the way)
    r = runner.invoke(cli, ["restore", str(path), "--replace", "--yes", "--instance", str(used_instance)])
    assert r.exit_code == 0, r.output
    with open_registry(used_instance) as reg:
        assert reg.counts()["total_entities"] == len(bk.read_file(path)["records"])
