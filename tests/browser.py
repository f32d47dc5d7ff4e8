"""Real-browser fixtures: the app on a live port, driven by the distribution's Chromium."""

import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"  # look at them after a run
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1366, "height": 900}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def live_server(app):
    """The app on a free loopback port, reading the committed test database."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "Chromium is missing: `make test` installs the distribution's package"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def open_page(browser, live_server):
    """open_page(path, viewport) -> (page, requests): outside requests are refused and recorded."""
    contexts = []

    def opener(path, viewport=PHONE):
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        requests = []
        ours = urlparse(live_server).netloc

        def handle(route):
            requests.append(route.request.url)
            if urlparse(route.request.url).netloc == ours:
                route.continue_()
            else:
                route.abort()  # tiles and anything else from outside: this machine has no internet

        page.route("**/*", handle)
        page.goto(live_server + path, wait_until="load")
        return page, requests

    yield opener
    for context in contexts:
        context.close()


def wait_for_map(page):
    """Wait until Leaflet has drawn its layers and finished any zoom animation."""
    page.wait_for_selector("path.leaflet-interactive")
    page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim')")
    page.wait_for_timeout(300)  # the SVG renderer redraws just after the zoom ends


def screenshot(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def serious_accessibility_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
