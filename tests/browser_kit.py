"""What the browser tests share: the app served on a free loopback port, headless Chromium (Debian's
chromium + chromedriver, never downloaded), screenshots, and what the page's CSP refused.

A browser test module starts with ``require_browser()`` (skips the module, saying why, when Chromium or
its driver is missing), then takes what it needs from here.
"""

from __future__ import annotations

import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
WINDOW = (1366, 900)  # a laptop screen


def require_browser() -> None:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(f"headless browser tests need {CHROMIUM} and {CHROMEDRIVER} (Debian: apt-get install chromium "
                    "chromium-driver; run.sh test installs them)", allow_module_level=True)


class LiveServer:
    """The app on 127.0.0.1:<free port>, served from a background thread until stopped."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)


def make_app(store_dir, instance: Path, graph: str, **extra):
    """The web app on graph ``graph`` of the session's embedded server (no seeding on start)."""
    from web import create_app

    return create_app({"TESTING": True, "DATA_DIR": str(store_dir), "GRAPH_NAME": graph, "SEED_ON_START": False,
                       "NEO4J_URI": None, **extra}, instance_path=str(instance))


@contextmanager
def served(store_dir, instance: Path, graph: str | None = None, *, fill=None):
    """The app served on a free port; yields ``(server, registry)``. Without ``graph`` the test gets a graph of
    its own: set up, filled by ``fill(registry, app)`` and dropped afterwards; with one (the shared seeded
    graph) nothing is written."""
    from registry.repository import Registry
    from web.store import close_store, store_holder

    own = graph is None
    app = make_app(store_dir, instance, graph or f"b{uuid.uuid4().hex[:10]}")
    reg = Registry(store_holder(app).get())
    if own:
        reg.store.setup_schema()
        if fill is not None:
            fill(reg, app)
    srv = LiveServer(app)
    try:
        yield srv, reg
    finally:
        srv.stop()
        if own:
            reg.store.drop_graph()
        close_store(app)


def chrome(profile: Path, *, downloads: Path | None = None, lang: str = "zh-CN", page_timeout: float = 60):
    """Headless Chromium with its own profile, the browser log kept, downloads (if given) into ``downloads``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                f"--user-data-dir={profile}", f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--lang={lang}"):
        opts.add_argument(arg)
    if downloads is not None:
        opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                               "download.prompt_for_download": False,
                                               "download.directory_upgrade": True,
                                               "safebrowsing.enabled": False})
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    if downloads is not None:
        drv.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    drv.set_page_load_timeout(page_timeout)
    return drv


def csp_violations(drv) -> list[str]:
    """What the browser refused under the page's Content-Security-Policy (the pages allow no 'unsafe-inline')."""
    return [e["message"] for e in drv.get_log("browser") if "Content Security Policy" in e["message"]]


def page_errors(drv) -> list[str]:
    """Errors in the browser's log: script errors, failed loads and CSP refusals."""
    return [e["message"] for e in drv.get_log("browser") if e["level"] == "SEVERE"
            or "Content Security Policy" in e["message"]]


def shot(drv, name: str, *, full: bool = True, top: bool = False, room: int = 40) -> None:
    """A screenshot in artifacts/screenshots/: the whole page (``full``), and first the first screen as
    people see it as ``name``-top.png (``top``). ``room``: window height above the page's, for its frame."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if top:
        drv.save_screenshot(str(SHOTS / f"{name}-top.png"))
    if full:
        h = drv.execute_script("return Math.max(document.body.scrollHeight, 900)")
        drv.set_window_size(WINDOW[0], min(h + room, 5000))
    drv.save_screenshot(str(SHOTS / f"{name}.png"))
    drv.set_window_size(*WINDOW)


def sign_in(drv, url: str, name: str, password: str, *, seconds: float = 20) -> None:
    """Sign in through the page at ``url``/login and wait until the page shows the sign-out link."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    drv.get(url + "/login")
    drv.find_element(By.ID, "l-name").send_keys(name)
    drv.find_element(By.ID, "l-password").send_keys(password)
    drv.find_element(By.ID, "l-submit").click()
    WebDriverWait(drv, seconds).until(EC.presence_of_element_located((By.ID, "logout")))
