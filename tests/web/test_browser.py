"""End to end in headless Chromium: the page loads from a live uvicorn server with no
outside network, a slider drag changes the decoded image, a map click decodes that point.

Needs Debian's chromium (/usr/bin/chromium) and the playwright Python package (the dev
extra); Playwright's own browser download is never used. Skipped without them, except in
CI (CI=true), where a missing browser is a failure. Also a script that takes the README's
screenshot:  python tests/web/test_browser.py RUN docs/web-explorer.png
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("VAEKIT_CHROMIUM", "/usr/bin/chromium")
PNG_URI = re.compile(r"^data:image/png;base64,")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _need_browser() -> None:
    missing = []
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (pip install -e '.[dev]')")
    if not Path(CHROMIUM).is_file():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if missing:
        message = "the browser test needs " + " and ".join(missing)
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def _browser_available() -> None:
    """Checked before the (slower) trained-run fixtures are built."""
    _need_browser()


@contextlib.contextmanager
def serving(run_dir: Path) -> Iterator[str]:
    """uvicorn on a free loopback port in a thread; yields the page's URL."""
    import uvicorn

    from vaekit.web.app import LOOPBACK_HOSTS, create_app
    from vaekit.web.service import Explorer

    app = create_app(Explorer(run_dir), allowed_hosts=LOOPBACK_HOSTS)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def offline_page(url: str, *, width: int = 1400, height: int = 1000):
    """A Chromium page that may reach only `url`'s origin; yields (page, problems), where
    problems lists console errors and every request that tried to leave the server."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})

            def guard(route):
                if route.request.url.startswith(url):
                    route.continue_()
                else:
                    problems.append(f"outside request: {route.request.url}")
                    route.abort()

            page.route("**/*", guard)
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.goto(url)
            page.wait_for_selector("body[data-ready=true]", timeout=20_000)
            yield page, problems
        finally:
            browser.close()


def _new_src(page, selector: str, old: str) -> str:
    """Wait until the image's src differs from `old`; return it. (Waits use Playwright's
    expect, which works under the page's strict CSP; wait_for_function would need eval.)"""
    from playwright.sync_api import expect

    expect(page.locator(selector)).not_to_have_attribute("src", old, timeout=10_000)
    return page.get_attribute(selector, "src")


def _count(page, selector: str, n: int, *, timeout: int = 10_000) -> None:
    from playwright.sync_api import expect

    expect(page.locator(selector)).to_have_count(n, timeout=timeout)


def test_slider_and_map_click_decode_in_a_real_browser(digits_run):
    from playwright.sync_api import expect

    with serving(digits_run) as url, offline_page(url) as (page, problems):
        expect(page.locator("#decoded")).to_have_attribute("src", PNG_URI)
        assert page.inner_text("#run-name") == "digits"
        assert "latent 2" in page.inner_text("#summary")
        before = page.get_attribute("#decoded", "src")
        page.locator("#z0").fill("2.5")  # sets the value and fires input, like a drag
        after = _new_src(page, "#decoded", before)
        assert after.startswith("data:image/png;base64,") and after != before
        assert page.input_value("#z0") == "2.5"

        page.locator("#map").click(position={"x": 40, "y": 50})  # near the top-left corner
        clicked = _new_src(page, "#decoded", after)
        assert clicked != after and page.input_value("#z0") != "2.5"  # sliders followed

        page.click("#interpolate")
        _count(page, "#strip img", 10)
        page.click("#sample")
        _count(page, "#samples img", 8)
        assert "error" not in (page.get_attribute("#status", "class") or "")
        assert problems == []


def test_label_picker_and_sampler_on_a_conditional_run(conditional_run):
    from playwright.sync_api import expect

    with serving(conditional_run) as url, offline_page(url) as (page, problems):
        expect(page.locator("#decoded")).to_have_attribute("src", PNG_URI)
        assert page.is_visible("#label") and page.locator("#label option").count() == 10
        before = page.get_attribute("#decoded", "src")
        with page.expect_request("**/api/decode") as request:
            page.select_option("#label", "6")
        assert request.value.post_data_json["label"] == 6
        assert _new_src(page, "#decoded", before) != before  # the same z as another class
        page.select_option("#sampler", "gmm")
        with page.expect_request("**/api/sample") as request:
            page.click("#sample")
        assert request.value.post_data_json == {"n": 8, "temperature": 1, "sampler": "gmm",
                                                "label": 6}
        _count(page, "#samples img", 8, timeout=60_000)  # the first one fits the mixture
        assert problems == []


def test_unconditional_page_hides_the_label_picker(digits_run):
    with serving(digits_run) as url, offline_page(url) as (page, problems):
        page.wait_for_selector("body[data-ready=true]")
        assert not page.is_visible("#label")
        assert problems == []


def test_melody_page_draws_a_piano_roll_and_downloads_midi(melody_run):
    with serving(melody_run) as url, offline_page(url) as (page, problems):
        assert page.is_visible("#roll") and not page.is_visible("#decoded")
        assert not page.is_visible("#from-file")  # uploads are for image runs
        with page.expect_response("**/api/decode") as response:
            page.locator("#z1").fill("-2")
        assert response.value.ok
        drawn = page.evaluate("document.getElementById('roll').toDataURL()")
        blank = page.evaluate("(() => { const c = document.createElement('canvas');"
                              "c.width = 512; c.height = 256; return c.toDataURL(); })()")
        assert drawn != blank
        with page.expect_download() as download:
            page.click("#midi")
        assert Path(download.value.path()).read_bytes().startswith(b"MThd")
        page.click("#interpolate")
        _count(page, "#strip canvas", 10)
        assert problems == []


def screenshot(run_dir: Path, out: Path) -> None:
    """Serve `run_dir`, use the page a little, and save a screenshot of it to `out`."""
    with serving(run_dir) as url, offline_page(url, width=1400, height=900) as (page, problems):
        page.wait_for_timeout(500)
        page.click("#sample")
        _count(page, "#samples > *", 8)
        page.fill("#to-index", "3")
        page.dispatch_event("#to-index", "change")
        page.click("#interpolate")
        _count(page, "#strip > *", 10)
        if page.locator("#attribute option").count() > 2:
            page.select_option("#attribute", index=2)
        page.locator("#scale").fill("1.5")
        page.locator("#map").click(position={"x": 250, "y": 150})
        page.wait_for_timeout(800)
        page.screenshot(path=str(out), full_page=True)
        if problems:
            raise RuntimeError(f"the page reported problems: {problems}")


if __name__ == "__main__":
    screenshot(Path(sys.argv[1]), Path(sys.argv[2]))
