"""User accounts and stored settings on both stores (registry.users)."""

from __future__ import annotations

import pytest

from registry.errors import Conflict, InvalidInput, NotFound
from registry.users import Users, has_role, token_digest


def test_add_find_authenticate_token_disable(store):
    users = Users(store)
    u = users.add(" 张三 ", "editor", "a long password")
    assert u["name"] == "张三" and u["role"] == "editor" and not u["disabled"] and u["created_at"].endswith("Z")
    stored = store.read("MATCH (u:User {name: '张三'}) RETURN properties(u) AS u")[0]["u"]
    assert stored["password_hash"].startswith("$argon2") and "a long password" not in str(stored)
    with pytest.raises(Conflict, match="已存在"):
        users.add("张三", "viewer", "another password")
    assert users.authenticate("张三", "a long password")["last_login_at"].endswith("Z")
    assert users.authenticate("张三", "wrong password") is None and users.authenticate("nobody", "x" * 9) is None
    token = users.new_token("张三")
    assert users.by_token(token)["name"] == "张三" and users.by_token(token + "x") is None
    assert store.read("MATCH (u:User) RETURN u.token_hashes AS t")[0]["t"] == [token_digest(token)]
    users.disable("张三")
    assert users.by_token(token) is None and users.find("张三") is None
    assert users.authenticate("张三", "a long password") is None
    with pytest.raises(NotFound):
        users.disable("nobody")


@pytest.mark.parametrize("name, role, password", [
    ("", "editor", "a long password"), ("x" * 65, "editor", "a long password"), ("a\nb", "editor", "a long password"),
    ("ok", "root", "a long password"), ("ok", "editor", "short"),
])
def test_bad_accounts_are_refused(store, name, role, password):
    with pytest.raises(InvalidInput):
        Users(store).add(name, role, password)
    assert Users(store).list() == []


def test_roles_include_the_lower_ones():
    assert has_role("admin", "editor") and has_role("editor", "viewer") and not has_role("viewer", "editor")
    assert not has_role(None, "viewer") and not has_role("root", "viewer")


def test_read_open_is_stored_and_defaults_to_open(store):
    users = Users(store)
    assert users.setting("read_open") is True
    users.set_setting("read_open", False, by="管理员")
    assert users.setting("read_open") is False
    with pytest.raises(InvalidInput):
        users.set_setting("read_open", "no", by="管理员")
    with pytest.raises(InvalidInput):
        users.setting("anything")
