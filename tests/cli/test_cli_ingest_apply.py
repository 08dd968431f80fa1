"""`xijin ingest FILE --apply --accept-all --as USER --reason TEXT` (issue 14): every proposal of 001 written into
an empty registry as one change set, as a named editor; refused without a user, a reason or --accept-all; the
second reading of the same document writes nothing new."""

from __future__ import annotations

import json
from pathlib import Path

from registry.instance import open_registry
from registry.tasks import Tasks
from xijin.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DOC_001 = ROOT / "seed" / "documents" / "001_5d877c967d85b7a4.txt"


def ingest(runner, instance, *args):
    return runner.invoke(cli, ["ingest", str(DOC_001), *args, "--instance", str(instance)])


def test_apply_accept_all_as_an_editor(runner, instance):
    assert runner.invoke(cli, ["user", "add", "小王", "--role", "editor", "--password-stdin", "--instance",
                               str(instance)], input="a long password\n").exit_code == 0
    r = ingest(runner, instance, "--apply", "--as", "小王", "--reason", "录入方案")
    assert r.exit_code == 2 and "--accept-all" in r.output
    r = ingest(runner, instance, "--apply", "--accept-all", "--reason", "录入方案")
    assert r.exit_code == 2 and "--as" in r.output
    r = ingest(runner, instance, "--apply", "--accept-all", "--as", "小王")
    assert r.exit_code == 2 and "--reason" in r.output
    with open_registry(instance) as reg:
        assert Tasks(reg).list() == []

    r = ingest(runner, instance, "--apply", "--accept-all", "--as", "小王", "--reason", "录入方案", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["applied"] and out["tasks"] == 23 and out["created"] > 50
    with open_registry(instance) as reg:
        assert len(Tasks(reg).list()) == 23
        from registry.importer import change_set

        cs = change_set(reg, out["change_set"])
        assert cs["head"]["by"] == "小王" and cs["head"]["document"] == DOC_001.name
    # read again: everything is there already, nothing to write
    r = ingest(runner, instance, "--apply", "--accept-all", "--as", "小王", "--reason", "再读一次")
    assert r.exit_code == 2 and "nothing to write" in r.output and "need a decision" not in r.output, r.output
