"""Signing in and being signed out, as staff see it."""

from __future__ import annotations

import re

from django.urls import reverse
from playwright.sync_api import expect

from conftest import PASSWORD
from e2e.conftest import TABLET, fill_login_form
from kap_clinic import middleware


def test_five_wrong_passwords_show_the_lockout_page_even_for_the_right_one(
    pages, clinician
) -> None:
    page = pages.new()
    # The lockout page is served with 429, which Chromium reports on the console.
    pages.allow(page, r"status of 429")
    for _ in range(4):
        fill_login_form(page, clinician.username, "not-the-password")
        expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
        # The form keeps what was typed, except the password.
        expect(page.get_by_label("Username")).to_have_value(clinician.username)

    fill_login_form(page, clinician.username, "not-the-password")
    expect(page.get_by_role("heading", name="Account temporarily locked")).to_be_visible()
    expect(page.get_by_test_id("lockout-message")).to_contain_text("locked for 15 minutes")

    page.get_by_role("link", name="Back to sign in").click()
    fill_login_form(page, clinician.username, PASSWORD)
    expect(page.get_by_test_id("lockout-message")).to_be_visible()
    expect(page.get_by_test_id("current-user")).to_have_count(0)


def test_idle_staff_member_is_warned_then_signed_out_with_the_reason(
    page, sign_in, clinician, settings
) -> None:
    settings.SESSION_IDLE_TIMEOUT = 4
    sign_in(clinician)
    warning = page.get_by_role("dialog", name="Still there?")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("signed out in")

    expect(page).to_have_url(re.compile(re.escape(reverse("login")) + r"\?next=/$"))
    expect(page.get_by_role("alert")).to_contain_text(
        "You were signed out after a period of inactivity."
    )
    expect(page.get_by_test_id("current-user")).to_have_count(0)
    page.goto(reverse("home"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_stay_signed_in_on_the_idle_warning_keeps_the_session(
    page, sign_in, clinician, settings, monkeypatch
) -> None:
    settings.SESSION_IDLE_TIMEOUT = 8
    # The server refreshes "last seen" at most every 30 s; an 8-second limit needs every request.
    monkeypatch.setattr(middleware, "LAST_SEEN_RESOLUTION", 0)
    sign_in(clinician)
    warning = page.get_by_role("dialog", name="Still there?")
    expect(warning).to_be_visible()
    warning.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()

    # Past the moment the page would have signed out (the warning came 4 s after loading, the
    # sign-out was due 5 s later) the user is still here, and the server agrees.
    page.wait_for_timeout(5_500)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("current-user")).to_contain_text(clinician.get_full_name())
    page.goto(reverse("home"))
    expect(page.get_by_test_id("current-user")).to_contain_text(clinician.get_full_name())


def test_on_a_tablet_the_signed_in_name_and_role_stay_visible_with_the_menu_folded(
    pages, clinician
) -> None:
    page = pages.new(viewport=TABLET, has_touch=True)
    fill_login_form(page, clinician.username, PASSWORD)
    compact = page.get_by_test_id("current-user-compact")
    expect(compact).to_be_visible()
    expect(compact).to_contain_text(clinician.get_full_name())
    expect(compact).to_contain_text("Clinician")
    # The menu itself is folded behind the toggler, and opens on a tap.
    nav = page.get_by_test_id("main-nav")
    expect(nav).to_be_hidden()
    page.get_by_role("button", name="Toggle navigation").tap()
    expect(nav.get_by_role("link", name="Patients")).to_be_visible()
