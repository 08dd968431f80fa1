"""The pages people use. (The full front end comes with the web issue; until then, a status page.)"""

from __future__ import annotations

from flask import Blueprint, render_template

from .store import get_registry

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    reg = get_registry()
    return render_template("status.html", store=reg.store.describe(), counts=reg.counts(),
                           changes=reg.changes(limit=10))


def init_app(app):
    app.register_blueprint(bp)
