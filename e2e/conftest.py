"""Browser journeys: Playwright (sync API) driving Debian's Chromium against Django's live server.

Every test under ``e2e/`` is marked ``e2e`` and runs against pytest-django's ``live_server`` (real
static files through the staticfiles handler, a transactional database restored from the migrated
state before each test, so the role groups exist). Each page a test opens is watched: any console
error, uncaught page error, or failed stylesheet/script/image/font fails the test, and a failed test
leaves a screenshot and the page HTML under ``var/e2e/``.

Chromium comes from the distribution (``/usr/bin/chromium``, or ``KAP_E2E_CHROMIUM``). Without it
the journeys are skipped with the reason, unless ``KAP_E2E_REQUIRED=1`` (``make e2e``, CI), which
turns that into a failure.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD

E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("KAP_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
REQUIRED = os.environ.get("KAP_E2E_REQUIRED", "") == "1"
ARTIFACTS_DIR = Path(settings.BASE_DIR) / "var" / "e2e"
# Generous for a loaded CI machine; a journey that works never waits this long.
ACTION_TIMEOUT_MS = 15_000
EXPECT_TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# An iPad Air held upright: the tablet beside the infusion chair.
TABLET = {"width": 820, "height": 1180}
ASSET_TYPES = frozenset({"stylesheet", "script", "image", "font"})


def chromium_missing_reason() -> str | None:
    if shutil.which(CHROMIUM) is None:
        return (
            f"Chromium not found at {CHROMIUM} (install Debian's `chromium` package, or point "
            "KAP_E2E_CHROMIUM at a Chromium)"
        )
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = chromium_missing_reason()
    for item in items:
        if E2E_DIR not in Path(str(item.path)).parents:
            continue
        item.add_marker(pytest.mark.e2e)
        # Serialized rollback: the live server needs committed data, so each test flushes the
        # database; this puts the migrated rows (role groups, permissions) back before each test.
        item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))
        if missing and not REQUIRED:
            item.add_marker(pytest.mark.skip(reason=f"{missing}: browser journeys skipped"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[Any]:
    # Keep each phase's report on the item, so fixtures know at teardown whether the test failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def browser() -> Generator[Any]:
    """Chromium, one per test module.

    Playwright's sync API keeps an asyncio event loop running in this thread for as long as it is
    started. Two things follow, and are handled here, only while the browser lives (the module
    scope stops the loop before the rest of the suite runs: pytest-django orders live-server tests
    after the others, but tests without a database come after them):

    - Django refuses ORM calls from a thread with a running loop (SynchronousOnlyOperation). The
      test thread uses the ORM only for fixtures and assertions, never concurrently with the loop,
      so the check is switched off (the standard workaround:
      https://docs.djangoproject.com/en/5.2/topics/async/#async-safety).
    - Django keeps database connections in an asgiref ``Local``, which hands out different
      connection objects once a loop runs. The test database's connection (which carries the
      serialized migrated state restored before each test) is put back in place, so the test
      thread keeps one connection per database.
    """
    missing = chromium_missing_reason()
    if missing and REQUIRED:
        pytest.fail(f"{missing}, and KAP_E2E_REQUIRED=1 requires the browser journeys")
    if missing:
        pytest.skip(f"{missing}: browser journeys skipped")
    from django.db import connections
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    outside_the_loop = {alias: connections[alias] for alias in connections}
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        for alias, connection in outside_the_loop.items():
            connections[alias] = connection
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@dataclass
class WatchedPage:
    """A page and everything that went wrong in it."""

    page: Any
    problems: list[str] = field(default_factory=list)
    # Problems a test expects (e.g. the console line Chromium logs for a 403 page), as regexes.
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def unexpected(self) -> list[str]:
        return [p for p in self.problems if not any(a.search(p) for a in self.allowed)]


class Pages:
    """Opens watched pages on the live server, each in its own browser context (own cookies)."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.watched: list[WatchedPage] = []
        self._contexts: list[Any] = []

    def new(self, *, viewport: dict[str, int] | None = None, **context_options: Any) -> Any:
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport=viewport or DESKTOP,
            locale="en-US",
            timezone_id=settings.TIME_ZONE,
            **context_options,
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        self._contexts.append(context)
        page = context.new_page()
        watched = WatchedPage(page)
        self.watched.append(watched)

        def on_console(message: Any) -> None:
            if message.type == "error":
                where = message.location.get("url", "")
                watched.problems.append(f"console error: {message.text} ({where})")

        def on_response(response: Any) -> None:
            if response.request.resource_type in ASSET_TYPES and response.status >= 400:
                watched.problems.append(f"asset {response.status}: {response.url}")

        def on_request_failed(request: Any) -> None:
            # A page left before its assets finished loading aborts them; that is navigation,
            # not breakage (a missing asset answers 404 and is caught by on_response).
            if request.failure == "net::ERR_ABORTED":
                return
            if request.resource_type in ASSET_TYPES:
                watched.problems.append(f"asset failed ({request.failure}): {request.url}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: watched.problems.append(f"page error: {error}"))
        page.on("response", on_response)
        page.on("requestfailed", on_request_failed)
        return page

    def allow(self, page: Any, pattern: str) -> None:
        """Let a test say a problem is expected on ``page``, e.g. ``r"status of 403"``."""
        for watched in self.watched:
            if watched.page is page:
                watched.allowed.append(re.compile(pattern))
                return
        raise ValueError("not a page opened by this fixture")

    def close(self) -> None:
        for context in self._contexts:
            context.close()


def _artifact_stem(item: pytest.Item) -> str:
    return re.sub(r"[^\w.-]+", "_", item.name).strip("_")


def _save_artifacts(item: pytest.Item, watched: list[WatchedPage]) -> list[Path]:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    saved = []
    for index, entry in enumerate(watched):
        stem = _artifact_stem(item) + (f"-{index + 1}" if index else "")
        if entry.page.is_closed():
            continue
        png, html = ARTIFACTS_DIR / f"{stem}.png", ARTIFACTS_DIR / f"{stem}.html"
        try:
            entry.page.screenshot(path=str(png), full_page=True)
            html.write_text(entry.page.content(), encoding="utf-8")
        except Exception as error:  # noqa: BLE001 - a dead page must not hide the real failure
            html.write_text(f"<!-- could not capture the page: {error} -->", encoding="utf-8")
        saved += [png, html]
    return saved


def _remove_stale_artifacts(item: pytest.Item) -> None:
    stem = _artifact_stem(item)
    for old in ARTIFACTS_DIR.glob(f"{stem}*"):
        if old.stem == stem or re.fullmatch(rf"{re.escape(stem)}-\d+", old.stem):
            old.unlink()


@pytest.fixture
def pages(request: pytest.FixtureRequest, browser: Any, live_server: Any) -> Generator[Pages]:
    """Factory for watched pages; ``page`` is the common case of one desktop page."""
    opened = Pages(browser, live_server.url)
    yield opened
    call = getattr(request.node, "rep_call", None)
    failed = call is not None and call.failed
    problems = [p for entry in opened.watched for p in entry.unexpected()]
    if failed or problems:
        _save_artifacts(request.node, opened.watched)
    else:
        _remove_stale_artifacts(request.node)
    opened.close()
    if problems:
        pytest.fail("The browser reported errors:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.fixture
def page(pages: Pages) -> Any:
    return pages.new()


@pytest.fixture
def phone_page(pages: Pages) -> Any:
    """A phone-sized touch screen, as a patient opening a reminder would have."""
    return pages.new(viewport=PHONE, is_mobile=True, has_touch=True)


def fill_login_form(page: Any, username: str, password: str) -> None:
    page.goto(reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def sign_in(page: Any) -> Callable[..., Any]:
    """Sign in through the real login form: ``sign_in(clinician)``; lands on the home page."""
    from playwright.sync_api import expect

    def _sign_in(user: User, *, on: Any = None, password: str = PASSWORD) -> Any:
        target = on or page
        fill_login_form(target, user.username, password)
        expect(target.get_by_test_id("current-user")).to_contain_text(user.get_full_name())
        return target

    return _sign_in


@pytest.fixture
def clinic_clock() -> Generator[Any]:
    """The server's clock at 08:30 today (clinic time), ticking; ``clinic_clock.shift(delta)``
    moves it on. The live server runs in this process, so it shares the clock; the browser keeps
    real time. A journey that needs "later today" or "an hour after the dose" then works
    whatever the time of the test run."""
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time(8, 30)))
    with time_machine.travel(start, tick=True) as clock:
        yield clock
