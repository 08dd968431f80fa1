"""The web app: ``create_app`` reads as the list of its subsystems."""

from __future__ import annotations

from flask import Flask

from registry import settings


def create_app(test_config: dict | None = None, *, instance_path: str | None = None) -> Flask:
    """The app; configured from ``test_config`` if given, else from instance/config.py and the environment."""
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_mapping(settings.load(app.instance_path, test_config=test_config))
    app.json.ensure_ascii = False  # Chinese stays readable in every JSON answer

    from . import admin, api, auth, errors, i18n, pages, store
    from . import brief
    from . import imports

    store.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)  # trusted hosts, sign-in, tokens and the role gate, before any view runs
    api.init_app(app)
    pages.init_app(app)
    admin.init_app(app)
    from . import todo

    todo.init_app(app)  # the data to-do list (issue 10)
    brief.init_app(app)  # the printable one-page brief of a gap
    imports.init_app(app)  # spreadsheet import: upload, preview, apply, undo (issue 10)
    from . import tasks as plan_tasks

    plan_tasks.init_app(app)  # the plan's 23 tasks and their follow-up (issue 13)
    from . import leads

    leads.init_app(app)  # the 招商 pipeline: leads, the board, the weekly report (issue 13)
    from . import ingest

    ingest.init_app(app)  # reading a plan: upload or paste, review each proposal, apply as one change set (issue 14)
    return app
