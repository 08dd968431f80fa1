"""Settings: named environment variables parsed strictly; defaults, then instance/config.py, then the
environment; nothing read at import time."""

from __future__ import annotations

import pytest

from registry import settings
from registry.errors import InvalidInput


@pytest.mark.parametrize("raw, value", [("1", True), ("true", True), (" YES ", True), ("on", True),
                                        ("0", False), ("false", False), ("No", False), ("off", False)])
def test_seed_on_start_reads_the_usual_words(raw, value):
    assert settings.from_env({"XIJIN_SEED_ON_START": raw}) == {"SEED_ON_START": value}


@pytest.mark.parametrize("raw", ["perhaps", "2", "y", "truee"])
def test_junk_raises_and_names_the_variable_and_the_value(raw):
    with pytest.raises(InvalidInput) as exc:
        settings.from_env({"XIJIN_SEED_ON_START": raw})
    assert f"XIJIN_SEED_ON_START must be true or false, not {raw!r}" in exc.value.message


def test_the_environment_gives_only_what_it_sets():
    assert settings.from_env({}) == {}
    assert settings.from_env({"NEO4J_URI": "bolt://db:7687", "NEO4J_USER": "", "XIJIN_GRAPH": "g",
                              "XIJIN_SECRET_KEY": "s", "HOME": "/root"}) == {
        "NEO4J_URI": "bolt://db:7687", "GRAPH_NAME": "g", "SECRET_KEY": "s"}


def test_defaults_then_config_file_then_environment(tmp_path):
    (tmp_path / "config.py").write_text("GRAPH_NAME = 'from-file'\nNEO4J_USER = 'reader'\nlower = 1\n",
                                        encoding="utf-8")
    config = settings.load(tmp_path, environ={"XIJIN_GRAPH": "from-env"})
    assert config["DATA_DIR"] == str(tmp_path / "store") and config["SEED_ON_START"] is True  # defaults
    assert config["NEO4J_USER"] == "reader"  # the file
    assert config["GRAPH_NAME"] == "from-env"  # the environment wins
    assert "lower" not in config  # only upper-case names are settings, as in Flask


def test_a_test_config_replaces_file_and_environment(tmp_path):
    (tmp_path / "config.py").write_text("GRAPH_NAME = 'from-file'\n", encoding="utf-8")
    config = settings.load(tmp_path, test_config={"TESTING": True}, environ={"XIJIN_GRAPH": "from-env"})
    assert config["GRAPH_NAME"] == "xijin" and config["TESTING"] is True


def test_no_config_file_is_fine_and_a_broken_one_is_an_error(tmp_path):
    assert settings.from_pyfile(tmp_path / "config.py") == {}
    (tmp_path / "config.py").write_text("GRAPH_NAME = \n", encoding="utf-8")
    with pytest.raises(SyntaxError):
        settings.load(tmp_path, environ={})


def test_the_instance_folder_is_created(tmp_path, monkeypatch):
    assert settings.instance_folder(tmp_path / "a" / "b") == (tmp_path / "a" / "b").resolve()
    assert (tmp_path / "a" / "b").is_dir()
    monkeypatch.setenv("XIJIN_INSTANCE", str(tmp_path / "c"))
    assert settings.instance_folder() == (tmp_path / "c").resolve()


def test_the_web_app_reads_an_instance_as_the_cli_does(tmp_path, monkeypatch):
    from web import create_app

    (tmp_path / "config.py").write_text("GRAPH_NAME = 'from-file'\n", encoding="utf-8")
    monkeypatch.setenv("NEO4J_URI", "bolt://db:7687")
    app = create_app(instance_path=str(tmp_path))  # opens no store until a request asks
    # TRUSTED_HOSTS moves to the app's own host check (Flask's check cannot trust [::1]); see web/auth.py
    assert {k: app.config[k] for k in settings.defaults(tmp_path) if k != "TRUSTED_HOSTS"} == {
        k: v for k, v in settings.load(tmp_path).items() if k in settings.defaults(tmp_path) and k != "TRUSTED_HOSTS"}
    assert app.extensions["xijin_trusted_hosts"] == list(settings.LOOPBACK_HOSTS) and app.config["TRUSTED_HOSTS"] is None
    assert app.config["GRAPH_NAME"] == "from-file" and app.config["NEO4J_URI"] == "bolt://db:7687"
