"""The web app: ``create_app`` reads as the list of its subsystems."""

from __future__ import annotations

from flask import Flask

from xijin.settings import defaults, from_env


def create_app(test_config: dict | None = None, *, instance_path: str | None = None) -> Flask:
    """The app; configured from ``test_config`` if given, else from instance/config.py and the environment."""
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_mapping(defaults(app.instance_path))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(from_env())
    else:
        app.config.update(test_config)
    app.json.ensure_ascii = False  # Chinese stays readable in every JSON answer

    from . import api, errors, pages, store

    store.init_app(app)
    errors.init_app(app)
    api.init_app(app)
    pages.init_app(app)
    return app
