"""The browser harness itself: static files really load, and problems in the page are caught."""

from __future__ import annotations

from types import SimpleNamespace

from django.urls import reverse
from playwright.sync_api import expect

from e2e.conftest import ARTIFACTS_DIR, _save_artifacts


def test_login_page_loads_bootstrap_htmx_and_the_site_script(page) -> None:
    response = page.goto(reverse("login"))
    assert response.status == 200
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # Bootstrap's stylesheet is applied (a plain button would have a grey or transparent face).
    background = page.get_by_role("button", name="Sign in").evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert background == "rgb(13, 110, 253)"
    assert page.evaluate("typeof window.bootstrap.Modal") == "function"
    assert page.evaluate("typeof window.htmx.ajax") == "function"
    script = page.evaluate("[...document.scripts].map(s => s.src).join(' ')")
    assert "/static/js/app.js" in script


def test_console_errors_page_errors_and_missing_assets_are_caught(pages) -> None:
    page = pages.new()
    page.goto(reverse("login"))
    page.evaluate("console.error('boom from the console')")
    page.evaluate("setTimeout(() => { throw new Error('uncaught boom'); }, 0)")
    page.evaluate(
        """() => new Promise(resolve => {
            const link = document.createElement('link');
            link.rel = 'stylesheet';
            link.href = '/static/css/does-not-exist.css';
            link.onerror = resolve;
            document.head.appendChild(link);
        })"""
    )
    page.wait_for_timeout(200)
    problems = "\n".join(pages.watched[0].problems)
    assert "console error: boom from the console" in problems
    assert "page error: uncaught boom" in problems
    assert "asset 404: " in problems and "does-not-exist.css" in problems
    # Expected here; allowing them keeps this test green, and shows the allow list works.
    for pattern in ("boom", "does-not-exist.css", r"status of 404"):
        pages.allow(page, pattern)
    assert pages.watched[0].unexpected() == []


def test_a_failed_journey_leaves_a_screenshot_and_the_html(pages) -> None:
    page = pages.new()
    page.goto(reverse("login"))
    item = SimpleNamespace(name="test_harness_self_check[artifacts]")
    saved = _save_artifacts(item, pages.watched)
    try:
        png, html = saved
        assert png.parent == ARTIFACTS_DIR
        assert png.name == "test_harness_self_check_artifacts.png"
        assert png.read_bytes().startswith(b"\x89PNG")
        assert "Five failed attempts lock the account" in html.read_text()
    finally:
        for path in saved:
            path.unlink(missing_ok=True)
