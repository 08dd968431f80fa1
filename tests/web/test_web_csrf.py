"""Forged posts: Flask-WTF's CSRFProtect on every page form (and on the API when it is called with the session
cookie rather than a bearer token), and the key that signs the tokens."""

from __future__ import annotations

from pathlib import Path

import pytest

from web import create_app
from web.forms import SECRET_FILE, instance_secret


def test_the_api_with_a_token_needs_no_form_token(small_client, bearer, reg):
    # a bearer token cannot be sent by a cross-site page, so a token's write needs no form token
    bearer(small_client)
    r = small_client.post("/api/v1/relations", json={"type": "SUPPLIES", "source": "ent-b", "target": "ent-d",
                                                     "product": "磁钢"}, headers={"X-User": "接口", "X-Reason": "测试"})
    assert r.status_code in (200, 201), r.get_json()
    assert reg.get_relation("ent-b>SUPPLIES>ent-d")["product"] == "磁钢"


def test_reading_needs_no_token(small_editor):
    small_client = small_editor
    assert small_client.get("/entity/ent-b/edit").status_code == 200
    assert small_client.get("/search?q=磁材").status_code == 200


def test_without_a_configured_key_the_instance_makes_and_keeps_its_own(tmp_path):
    a = create_app({"TESTING": True, "SEED_ON_START": False}, instance_path=str(tmp_path / "inst"))
    key_file = tmp_path / "inst" / SECRET_FILE
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600
    assert len(a.config["SECRET_KEY"]) == 64
    b = create_app({"TESTING": True, "SEED_ON_START": False}, instance_path=str(tmp_path / "inst"))
    assert b.config["SECRET_KEY"] == a.config["SECRET_KEY"]  # tokens survive a restart


def test_a_configured_key_wins_and_no_file_is_written(tmp_path):
    app = create_app({"TESTING": True, "SEED_ON_START": False, "SECRET_KEY": "from-the-operator"},
                     instance_path=str(tmp_path / "inst"))
    assert app.config["SECRET_KEY"] == "from-the-operator"
    assert not (tmp_path / "inst" / SECRET_FILE).exists()


def test_a_truncated_key_file_is_an_error_not_a_weak_key(tmp_path):
    Path(tmp_path / SECRET_FILE).write_text("short\n", encoding="ascii")
    with pytest.raises(Exception, match="too short"):
        instance_secret(tmp_path)
