"""`xijin user add|list|disable|token`: people and API tokens from the command line (issue 9)."""

from __future__ import annotations

import json

from registry.instance import open_registry
from registry.users import Users
from xijin.cli import cli


def add(runner, instance, name, role, password="a long password", *extra):
    return runner.invoke(cli, ["user", "add", name, "--role", role, "--password-stdin", "--instance", str(instance),
                               *extra], input=password + "\n")


def test_add_list_token_disable(runner, instance):
    r = add(runner, instance, "张三", "admin")
    assert r.exit_code == 0 and "张三" in r.stdout
    assert add(runner, instance, "李四", "viewer").exit_code == 0
    listed = json.loads(runner.invoke(cli, ["user", "list", "--json", "--instance", str(instance)]).stdout)
    assert [(u["name"], u["role"], u["disabled"]) for u in listed] == [("张三", "admin", False), ("李四", "viewer", False)]
    assert "password_hash" not in listed[0] and "token_hashes" not in listed[0]
    text = runner.invoke(cli, ["user", "list", "--instance", str(instance)]).stdout
    assert "张三" in text and "admin" in text
    r = runner.invoke(cli, ["user", "token", "张三", "--instance", str(instance)])
    token = r.stdout.strip()
    assert r.exit_code == 0 and token.startswith("xj_") and len(token) > 40
    with open_registry(instance) as reg:
        users = Users(reg.store)
        assert users.by_token(token)["name"] == "张三"
        assert token not in json.dumps(reg.store.read("MATCH (u:User) RETURN properties(u) AS u"), ensure_ascii=False)
        assert users.authenticate("张三", "a long password")["role"] == "admin"
        assert users.authenticate("张三", "wrong password") is None
    r = runner.invoke(cli, ["user", "disable", "张三", "--instance", str(instance)])
    assert r.exit_code == 0
    with open_registry(instance) as reg:
        users = Users(reg.store)
        assert users.by_token(token) is None and users.authenticate("张三", "a long password") is None


def test_the_password_is_asked_twice(runner, instance):
    r = runner.invoke(cli, ["user", "add", "王五", "--role", "editor", "--instance", str(instance)],
                      input="a long password\na long password\n")
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["user", "add", "赵六", "--role", "editor", "--instance", str(instance)],
                      input="a long password\ndifferent one\n")
    assert r.exit_code != 0 or "赵六" not in r.stdout


def test_errors_exit_with_the_clis_codes(runner, instance):
    assert add(runner, instance, "甲", "editor").exit_code == 0
    r = add(runner, instance, "甲", "editor")
    assert r.exit_code == 4 and "已存在" in r.stderr  # Conflict
    r = add(runner, instance, "乙", "editor", "short")
    assert r.exit_code == 2 and "password" in r.stderr  # InvalidInput
    r = add(runner, instance, "a\x07b", "editor")
    assert r.exit_code == 2 and "控制字符" in r.stderr
    assert runner.invoke(cli, ["user", "add", "丙", "--role", "root", "--password-stdin", "--instance",
                               str(instance)], input="a long password\n").exit_code == 2  # Click's own usage error
    assert runner.invoke(cli, ["user", "disable", "nobody", "--instance", str(instance)]).exit_code == 3
    assert runner.invoke(cli, ["user", "token", "nobody", "--instance", str(instance)]).exit_code == 3
