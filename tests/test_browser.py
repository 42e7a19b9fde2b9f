"""Browser tests of the built site, offline: Debian's Chromium driven by Playwright (sync API).

The site (built once per run by the ``site_build`` fixture, shared with test_site_build.py) is served on
127.0.0.1 by an ``http.server`` thread. Every request to another host is intercepted (routed, recorded and
aborted; a request listener and a websocket listener record anything the route might miss), and each test
asserts there were none. Each page of the table of contents must
load without console errors, typeset every equation with the bundled MathJax, load every image; the search
page must find "forget gate"; every page's previous/next links must follow the table of contents, and
clicking them must navigate. A screenshot of each page
goes to test-artifacts/screenshots/ (git-ignored).

Without /usr/bin/chromium (or Playwright) these tests are skipped locally and FAIL in CI (``CI=true``).
"""
from __future__ import annotations

import functools
import http.server
import re
import threading
import urllib.parse
from pathlib import Path

import pytest

from conftest import REPO_ROOT, running_in_ci, strip_suffix, toc_files

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
# toolchain.md pitfall 11; Playwright adds --headless and gives every launch a new empty profile itself.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
TIMEOUT_MS = 20_000
VIEWPORT = {"width": 1280, "height": 900}
MAX_SCREENSHOT_HEIGHT = 6000
# any URL except http://127.0.0.1:<port>/... (and data:/blob:/about: URLs, which are never requested)
NOT_LOCAL = re.compile(r"^(?!http://127\.0\.0\.1[:/])(?!data:|blob:|about:)")
PAGES = [strip_suffix(doc) for doc in toc_files()]


def _unavailable(reason: str):
    if running_in_ci():
        pytest.fail(f"{reason}: the browser tests cannot run, and CI must not skip them", pytrace=False)
    pytest.skip(reason)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site_url(site_build):
    """Serve the built HTML folder on 127.0.0.1 (free port) for the duration of the module."""
    if not (site_build.html / "index.html").exists():
        pytest.fail(f"the site was not built:\n{site_build.log[-3000:]}", pytrace=False)
    handler = functools.partial(_QuietHandler, directory=str(site_build.html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session", autouse=True)
def _chromium_and_playwright():
    """Checked before the (session-scoped) site build, so a local run without Chromium skips at once."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("playwright (Python) is not installed")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visit:
    """A fresh browser context that blocks and records requests to other hosts, and records console errors."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport=VIEWPORT, service_workers="block")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.foreign: list[str] = []
        self.blocked: list[str] = []
        self.errors: list[str] = []
        # Only requests that do NOT go to 127.0.0.1 are routed (the regex is matched inside the browser driver,
        # so local requests do not make a round trip through Python): each is recorded and aborted.
        self.context.route(NOT_LOCAL, self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(f"console: {msg.text}"))
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)
        self.page.on("request", self._request)
        self.page.on("websocket", lambda ws: self.foreign.append(ws.url))

    def _route(self, route):
        self.blocked.append(route.request.url)
        if route.request.url not in self.foreign:
            self.foreign.append(route.request.url)
        route.abort("blockedbyclient")

    def _request(self, request):
        """Backstop for the route: record any request to another host the route did not catch."""
        url = request.url
        if not url.startswith(("data:", "blob:", "about:")) and urllib.parse.urlsplit(url).hostname != "127.0.0.1":
            if url not in self.foreign:
                self.foreign.append(url)

    def _failed(self, request):
        if urllib.parse.urlsplit(request.url).hostname == "127.0.0.1":
            self.errors.append(f"request failed: {request.url} ({request.failure})")

    def _response(self, response):
        path = urllib.parse.urlsplit(response.url).path
        if response.status >= 400 and path != "/favicon.ico":  # Chromium asks for /favicon.ico by itself
            self.errors.append(f"HTTP {response.status}: {response.url}")

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser, site_url):
    v = Visit(browser)
    yield v
    v.close()
    assert v.foreign == [], "requests left 127.0.0.1"


def _docname(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/").removesuffix(".html")


def _wait_for_mathjax(page):
    if page.locator("script[src*='mathjax/tex-chtml.js']").count() == 0:
        return  # Sphinx adds MathJax only to pages with math
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    page.evaluate("() => MathJax.startup.promise")


@pytest.mark.parametrize("doc", PAGES)
def test_page_loads_offline_with_math_and_images(doc, visit, site_url):
    page = visit.page
    page.goto(f"{site_url}/{doc}.html", wait_until="load")
    _wait_for_mathjax(page)
    # scroll through the page so anything lazy gets a chance to load, then wait for every image
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    page.evaluate(
        """() => Promise.all([...document.images].map(img => img.complete ? null :
               new Promise(resolve => { img.onload = img.onerror = resolve; })))"""
    )
    page.evaluate("() => window.scrollTo(0, 0)")

    math = page.evaluate(
        """() => [...document.querySelectorAll('article .math')].map(el => ({
               typeset: el.querySelector('mjx-container') !== null,
               text: el.textContent.slice(0, 80)}))"""
    )
    untypeset = [m["text"] for m in math if not m["typeset"]]
    assert untypeset == [], f"equations left untypeset on {doc}"
    assert page.locator("mjx-merror").count() == 0, f"MathJax reported a TeX error on {doc}"

    visible = page.evaluate(
        """() => { const art = document.querySelector('article').cloneNode(true);
                   art.querySelectorAll('pre, code, mjx-container, mjx-assistive-mml, script').forEach(e => e.remove());
                   return art.innerText; }"""
    )
    for raw in ("$$", "\\(", "\\[", "\\begin{"):
        assert raw not in visible, f"raw TeX {raw!r} left in the visible text of {doc}"

    broken = page.evaluate(
        "() => [...document.images].filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src)"
    )
    assert broken == [], f"images that did not load on {doc}"

    # "previous"/"next" links follow the table of contents
    index = PAGES.index(doc)
    for selector, neighbour in (("a.left-prev", index - 1), ("a.right-next", index + 1)):
        hrefs = page.locator(selector).evaluate_all("links => links.map(a => a.href)")
        if 0 <= neighbour < len(PAGES):
            assert hrefs and _docname(hrefs[0]) == PAGES[neighbour], f"{selector} on {doc}: {hrefs}"
        else:
            assert hrefs == [], f"{doc} should have no {selector} link"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # the whole page, cut at MAX_SCREENSHOT_HEIGHT px (full-page shots of the long API page take tens of seconds)
    height = min(page.evaluate("() => document.documentElement.scrollHeight"), MAX_SCREENSHOT_HEIGHT)
    page.screenshot(
        path=str(SCREENSHOTS / f"{doc.replace('/', '__')}.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height},
    )
    assert visit.errors == [], f"console errors on {doc}"


def test_search_finds_forget_gate(visit, site_url):
    page = visit.page
    page.goto(f"{site_url}/search.html?q=forget+gate", wait_until="load")
    results = page.locator("#search-results ul.search li")
    results.first.wait_for()
    assert results.count() >= 1
    text = " ".join(results.all_inner_texts()).lower()
    assert "forget" in text
    assert visit.errors == []


def test_next_and_previous_links_work(visit, site_url):
    """Clicking "next" and "previous" moves along the table of contents (every page's two links are checked
    against the TOC in test_page_loads_offline_with_math_and_images)."""
    page = visit.page
    page.goto(f"{site_url}/{PAGES[1]}.html", wait_until="domcontentloaded")
    for link, expected in (("a.right-next", PAGES[2]), ("a.left-prev", PAGES[1]), ("a.left-prev", PAGES[0])):
        with page.expect_navigation(wait_until="domcontentloaded"):
            page.locator(link).first.click()
        assert _docname(page.url) == expected, f"{link} led to {page.url}"
        assert page.locator("article h1").first.is_visible()
    assert visit.errors == []


def test_requests_to_other_hosts_are_caught(browser, site_url):
    """The interception the other tests rely on really sees (and blocks) a request leaving 127.0.0.1."""
    v = Visit(browser)
    try:
        v.page.goto(f"{site_url}/{PAGES[0]}.html", wait_until="domcontentloaded")
        v.page.evaluate("() => fetch('https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js').catch(() => null)")
        assert v.foreign == ["https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"]
        assert v.blocked == v.foreign, "the route itself must catch and abort it"
    finally:
        v.close()


def test_root_index_redirects_to_the_first_page(visit, site_url):
    page = visit.page
    page.goto(f"{site_url}/", wait_until="load")
    page.wait_for_url(f"**/{PAGES[0]}.html")
    assert visit.errors == []
