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


def static_read_at_once(app):
    """The app with each static file read whole and closed before it is sent. When a page is left while its
    files still load, the development server meets the dropped connection before it closes the file, which
    the garbage collector then reports as a ResourceWarning in whichever test is running (gunicorn, which
    serves the application in production, closes it)."""
    def served(environ, start_response):
        body = app(environ, start_response)
        if not environ.get("PATH_INFO", "").startswith("/static/"):
            return body
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return served


@pytest.fixture(scope="session")
def live_server(app):
    """The app on a free loopback port, reading the committed test database."""
    server = make_server("127.0.0.1", 0, static_read_at_once(app), threaded=True)
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


# Run before any script of the page (Playwright injects it outside the page's policy): every
# Content-Security-Policy violation Chromium reports is handed to the test.
REPORT_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', e => window.__cspViolation({
    directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber,
    sample: e.sample}));
"""


def watch_csp(context, violations):
    """Record in `violations` every CSP violation of any page in this browser context."""
    context.expose_binding("__cspViolation", lambda source, violation: violations.append(
        {**violation, "page": source["page"].url}))
    context.add_init_script(REPORT_VIOLATIONS)


@pytest.fixture
def csp_violations():
    """The violations of the pages a test opened; none may happen."""
    violations = []
    yield violations
    assert violations == [], "pages broke their Content-Security-Policy"


@pytest.fixture
def open_page(browser, live_server, csp_violations):
    """open_page(path, viewport) -> (page, requests): outside requests are refused and recorded, and any
    Content-Security-Policy violation fails the test."""
    contexts = []

    def opener(path, viewport=PHONE):
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        watch_csp(context, csp_violations)
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


def wait_until_true(page, expression, timeout_ms=10_000):
    """Poll a JavaScript expression until it is true.

    Playwright's wait_for_function evaluates its predicate with eval() inside the page, which the
    page's Content-Security-Policy refuses (no 'unsafe-eval'); page.evaluate is not subject to it.
    """
    for _ in range(timeout_ms // 50):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"still false after {timeout_ms} ms: {expression}")


def wait_for_map(page):
    """Wait until Leaflet has drawn its layers and finished any zoom animation."""
    page.wait_for_selector("path.leaflet-interactive")
    wait_until_true(page, "() => !document.querySelector('.leaflet-zoom-anim')")
    page.wait_for_timeout(300)  # the SVG renderer redraws just after the zoom ends


def screenshot(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"  # see tests/vendor/README.md
# WCAG 2.0, 2.1 and 2.2 A and AA, and axe's best practices (the meta-viewport rule among them).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def accessibility_violations(page, impacts=("serious", "critical")):
    """What axe-core finds on the page as it is now, of these impacts: (rule, impact, help, first targets)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())  # evaluate is not governed by the page's policy; the page itself is
    results = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in results["violations"] if v["impact"] in impacts]


def serious_accessibility_violations(page):
    return accessibility_violations(page)
