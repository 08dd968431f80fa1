"""Who is asking: trusted hosts, sign-in (Flask-Login), API tokens, roles, and the one gate every request passes.

- A request whose ``Host`` is not this computer (127.0.0.1, localhost, [::1], any port) or a name in the
  ``TRUSTED_HOSTS`` setting is a 400 before anything else runs (a DNS-rebinding page cannot reach the app).
- People sign in at /login (argon2 password, rate-limited per address and name); the session is permanent
  and ends after ``SESSION_IDLE_HOURS`` without a request. Scripts send ``Authorization: Bearer TOKEN``
  (``xijin user token NAME``).
- The gate (``_gate``): every request that writes (any method but GET/HEAD/OPTIONS) needs an editor;
  reading needs a viewer only when reading is closed (the admin's ``read_open`` setting, or ``READ_OPEN``
  in the config). Nobody signed in: a 401 in the JSON error body for the API, a redirect to /login for
  pages. Signed in without the role: a 403. A write to the API made with the session cookie (not a
  token) must carry the CSRF token, as forms do.
- The change log's "who" is ``actor_name()``: the signed-in user or the token's user, never client text.
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import (Blueprint, Flask, abort, current_app, g, make_response, redirect, render_template, request,
                   session, url_for)
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from werkzeug.sansio.utils import host_is_trusted

from registry import settings
from registry.users import RANK, Users, has_role

from .i18n import label, text
from .store import get_registry

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# endpoints anyone may call whatever the settings: signing in and out, static files, the language switch
PUBLIC = {"auth.login", "auth.logout", "static", "palette_css", "pages.set_lang", "api.health"}


class SignedIn(UserMixin):
    """A signed-in user as Flask-Login sees them (id = the unique user name)."""

    def __init__(self, user: dict, *, via: str):
        self.name = user["name"]
        self.role = user["role"]
        self.via = via  # "session" or "token"

    def get_id(self) -> str:
        return self.name

    def can(self, role: str) -> bool:
        return has_role(self.role, role)


def users() -> Users:
    return Users(get_registry().store)


def actor_name() -> str:
    """The name the change log records for this request: the signed-in user (the gate has made sure there is one)."""
    if not current_user.is_authenticated:  # never reached through the gate; refuse rather than write "system"
        abort(401, text("ui.auth.need_signin"))
    return current_user.name


def read_open() -> bool:
    """Whether reading is open without signing in: ``READ_OPEN`` in the config, else the admin's setting."""
    configured = current_app.config.get("READ_OPEN")
    if configured is not None:
        return bool(configured)
    return bool(users().setting("read_open"))


def _is_api() -> bool:
    from .errors import wants_json

    return wants_json()


def require(role: str) -> None:
    """Refuse the request unless the signed-in user has ``role`` (or a higher one)."""
    if not current_user.is_authenticated:
        if _is_api():
            abort(401, text("ui.auth.need_signin"))
        abort(redirect(url_for("auth.login", next=request.full_path.rstrip("?")), 303))
    if not current_user.can(role):
        abort(403, text("ui.auth.forbidden", role=label("user_role", role)))


def role_required(role: str):
    """A view only users with ``role`` may call (admin pages: ``role_required("admin")``)."""
    def deco(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            require(role)
            return view(*args, **kwargs)
        return wrapped
    return deco


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("pages.home")
    return target


def _login_key() -> str:
    """Sign-in attempts are counted per address and name (a guesser cannot lock out a colleague elsewhere)."""
    return f"{get_remote_address()}|{(request.form.get('name') or '').strip()[:64]}"


def login():
    nxt = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("login.html", next=nxt, name="", error=None)
    name = (request.form.get("name") or "").strip()
    user = users().authenticate(name, request.form.get("password") or "")
    if user is None:
        current_app.logger.info("failed sign-in for %r from %s", name[:64], get_remote_address())
        return render_template("login.html", next=nxt, name=name, error=text("ui.auth.login.failed")), 401
    session.clear()  # nothing from before sign-in carries over
    login_user(SignedIn(user, via="session"))
    session.permanent = True  # ends after PERMANENT_SESSION_LIFETIME without a request
    return redirect(nxt, 303)


def logout():
    logout_user()
    session.clear()
    return redirect(url_for("pages.home"), 303)


def _check_host() -> None:
    """400 unless the Host header names this computer or a configured name (any port)."""
    host = request.headers.get("Host", "")
    trusted = current_app.extensions["xijin_trusted_hosts"]
    bare = host.rsplit(":", 1)[0] if host.startswith("[") and "]:" in host else host
    if bare.lower() == "[::1]" or host_is_trusted(host, [h for h in trusted if not h.startswith("[")]):
        return
    if bare.lower() in trusted:  # other IPv6 literals a site configured
        return
    current_app.logger.warning("refused a request for untrusted host %r", host[:200])
    abort(400, text("ui.auth.untrusted_host", host=host[:100]))


def init_app(app: Flask) -> None:
    # Trusted hosts. Flask 3.1's own TRUSTED_HOSTS check cannot trust an IPv6 literal such as [::1] (werkzeug
    # compares the part before the first ':'), so the list is checked here and Flask's check stays off.
    extra = app.config.get("TRUSTED_HOSTS") or []
    app.extensions["xijin_trusted_hosts"] = [*settings.LOOPBACK_HOSTS, *settings.trusted_hosts(extra)]
    app.config["TRUSTED_HOSTS"] = None
    app.before_request(_check_host)

    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=float(app.config.get("SESSION_IDLE_HOURS") or 8))
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(0)  # no "remember me": a session ends when it idles

    manager = LoginManager()
    manager.session_protection = "basic"
    manager.init_app(app)

    @manager.user_loader
    def _load(name: str):
        user = users().find(name)
        return SignedIn(user, via="session") if user else None

    @manager.request_loader
    def _from_token(req):
        header = req.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        user = users().by_token(token.strip())
        return SignedIn(user, via="token") if user else None

    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", default_limits=[],
                      headers_enabled=True)
    app.extensions["xijin_limiter"] = limiter

    bp = Blueprint("auth", __name__)
    # per address and name (a guesser cannot lock a colleague out from elsewhere), and per address over all
    # names (one machine trying many names)
    per_name = limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=_login_key, methods=["POST"])
    per_address = limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_ADDRESS"], methods=["POST"])
    bp.add_url_rule("/login", view_func=per_address(per_name(login)), methods=["GET", "POST"])
    bp.add_url_rule("/logout", view_func=logout, methods=["POST"])
    app.register_blueprint(bp)

    @app.before_request
    def _gate():
        endpoint = request.endpoint
        if endpoint is None or endpoint in PUBLIC:
            return None  # unknown routes answer 404/405 as before
        if request.headers.get("Authorization"):
            token_user = _from_token(request)
            if token_user is None:
                abort(401, text("ui.auth.bad_token"))  # a token was sent and is unknown, revoked or malformed
            # explicit credentials beat an ambient session cookie: the token's user acts (and needs no form
            # token); Flask-Login keeps the request's user in g._login_user, where its own loaders put it
            g._login_user = token_user
        if request.method not in SAFE_METHODS:
            require("editor")
            if request.blueprint == "api" and current_user.via == "session":
                from .forms import csrf

                csrf.protect()  # the cookie is sent cross-site too: a session's API write needs the form token
        elif not read_open():
            require("viewer")
        return None

    @app.after_request
    def _challenge(resp):
        if resp.status_code == 401 and request.path.startswith("/api/"):
            resp.headers.setdefault("WWW-Authenticate", 'Bearer realm="xijin"')
        return resp

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc: RateLimitExceeded):
        from .errors import error_response

        resp = make_response(error_response(429, text("ui.auth.login.too_many"), "too_many_requests"))
        resp.headers["Retry-After"] = "60"
        return resp

    app.jinja_env.globals.update(user_roles=tuple(RANK), read_is_open=read_open)
