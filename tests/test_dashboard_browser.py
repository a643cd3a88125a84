"""Every dashboard page in a real browser: Debian's Chromium, headless, driven by Playwright's
client (never a downloaded browser), against the demo registry served by waitress.

Requests to anything but the dashboard's own 127.0.0.1 address are blocked and recorded; a
page that asks for one fails the test. Each page is screenshotted under tmp_path, and the
screenshot must hold a rendered page (many distinct colours), not a blank one."""

from __future__ import annotations

import base64
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.needs import missing

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(missing("chromium", "the dashboard's browser tests drive it headless"),
                allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

from promptc.dashboard.app import create_app  # noqa: E402
from promptc.dashboard.serve import make_server, url  # noqa: E402

from .test_dashboard_seed import IMG, SCRIPT, hostile_registry  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# (screenshot name, path, texts the page must show)
PAGES = [
    ("matrix", "/", ["What is live", "support.answer", "sales.outreach", "canary 2.0.3 at 10 %", "label frozen",
                     "promptc rollback support.answer --env prod"]),
    ("rollouts", "/rollouts", ["Rollouts in flight", "Candidate exposure", "escalation", "schema_error",
                               "The guard has not evaluated this rollout yet"]),
    ("decision-log", "/rollouts/support.answer@prod%2315", ["Guard decisions", "breach", "guard-breach",
                                                            "no longer in flight"]),
    ("history", "/history/support.answer/prod?at=2026-03-12T13:00:00Z",
     ["What was live at", "prod served support.answer@2.0.1", "Audit chain verified", "rollout-complete"]),
    ("audit", "/audit", ["Audit log", "Audit chain verified", "guard-breach", "publish"]),
    ("prompt", "/prompts/support.answer", ["Versions", "2.0.3", "maria.lopez@ledgerly.example", "Compare"]),
    ("diff", "/prompts/support.answer/diff?a=2.0.1&b=2.0.2",
     ["support.answer: 2.0.1 → 2.0.2", "The help center is a good place to start", "Interface", "Tokens"]),
    ("signals", "/prompts/support.answer/signals?env=prod",
     ["live signals in prod", "Responses served per bucket", "escalation: share of responses"]),
    ("not-found", "/prompts/support.answr", ["No prompt named", "support.answer"]),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = create_app(str(hostile_registry(tmp_path_factory)))
    srv = make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield url(srv).rstrip("/")
    srv.close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(str(profile), executable_path=str(CHROMIUM), headless=True,
                                                        args=FLAGS, viewport={"width": 1280, "height": 900})
        yield context
        context.close()


@pytest.fixture
def page(browser):
    """A tab that may only reach 127.0.0.1, recording anything else it tries and every
    console error (a CSP violation shows up there)."""
    blocked: list[str] = []
    errors: list[str] = []

    def route(r):
        if urlsplit(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    tab = browser.new_page()
    tab.route("**/*", route)
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.blocked, tab.errors = blocked, errors
    yield tab
    tab.close()


COUNT_COLOURS = """async (b64) => {
  const img = new Image();
  img.src = "data:image/png;base64," + b64;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, img.width, img.height).data;
  const seen = new Set();
  for (let i = 0; i < data.length; i += 4) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
  return [img.width, img.height, seen.size];
}"""


def png_colours(browser, data: bytes) -> tuple[int, int, int]:
    """(width, height, distinct colours) of a screenshot, decoded by the browser's own PNG
    decoder in a blank tab that has no network access and no dashboard page loaded."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    tab = browser.new_page()
    try:
        return tuple(tab.evaluate(COUNT_COLOURS, base64.b64encode(data).decode("ascii")))
    finally:
        tab.close()


@pytest.mark.parametrize("name, path, texts", PAGES, ids=[p[0] for p in PAGES])
def test_page_renders_in_chromium(server: str, browser, page, tmp_path: Path, name: str, path: str,
                                  texts: list[str]) -> None:
    response = page.goto(server + path)
    assert response.status == (404 if name == "not-found" else 200)
    assert response.headers["content-security-policy"] == "default-src 'self'"
    body = page.inner_text("body")
    for text in texts:
        assert text in body, f"{name}: {text!r} not on the page"
    # The stylesheet loaded and applied (the header is dark, not the browser's default white).
    assert page.eval_on_selector("header.top", "e => getComputedStyle(e).backgroundColor") == "rgb(36, 41, 47)"
    shot = tmp_path / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    width, height, colours = png_colours(browser, shot.read_bytes())
    assert width == 1280 and height >= 300
    assert colours >= 12, f"{name}: the screenshot looks blank ({colours} colours)"
    assert page.blocked == [], f"{name} tried to reach {page.blocked}"
    # The one error a 404 page may log is its own status.
    errors = [e for e in page.errors if not (name == "not-found" and "404" in e)]
    assert errors == [], f"{name}: console errors {errors}"
    assert page.locator("script").count() == 0


def test_signal_charts_are_inline_svg(server: str, page) -> None:
    page.goto(server + "/prompts/support.answer/signals?env=prod")
    assert page.locator("figure.chart svg").count() >= 3
    box = page.locator("figure.chart svg").first.bounding_box()
    assert box["width"] > 500 and box["height"] > 200
    assert page.locator("figure.chart svg polyline").count() >= 4


@pytest.mark.parametrize("path_of", ["bundle", "diff", "matrix", "history"])
def test_hostile_prompt_text_is_shown_never_run(server: str, page, path_of: str) -> None:
    if path_of == "bundle":
        page.goto(server + "/prompts/evil")
        page.click("td a.hash")
        assert "{{ name }}." in page.inner_text("pre.prompt-text")
        expected = [SCRIPT, IMG]
    elif path_of == "diff":
        page.goto(server + "/prompts/evil/diff?a=1.0.0&b=1.0.1")
        expected = [SCRIPT, IMG]
    elif path_of == "matrix":
        page.goto(server + "/")
        expected = ["<img src=x onerror=window.__pwned=2>"]
    else:
        page.goto(server + "/history/evil/prod")
        expected = [f"ship it {SCRIPT}", "by <img src=x onerror=window.__pwned=3>"]
    body = page.inner_text("body")
    for text in expected:
        assert text in body
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("main script, main img").count() == 0
    assert page.blocked == [] and page.errors == []


def test_point_in_time_form_submits_as_get(server: str, page) -> None:
    page.goto(server + "/history/support.answer/prod")
    page.fill("#at", "2026-03-11T00:00:00Z")
    page.click("form button")
    page.wait_for_url("**at=2026-03-11T00%3A00%3A00Z*")
    assert "prod served support.answer@2.0.1" in page.inner_text("#moment")
    page.goto(server + "/prompts/support.answer")
    page.select_option("#a", "2.0.0")
    page.select_option("#b", "2.0.3")
    page.click("form.inline button")
    assert "support.answer: 2.0.0 → 2.0.3" in page.inner_text("h1")
    assert page.blocked == [] and page.errors == []
