"""Every role walks through the demo clinic's main pages: nothing on them raises a browser error
(script errors, Content-Security-Policy refusals, missing assets) or a server error."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import expect

from e2e.conftest import fill_login_form
from kap_clinic.demo import DEMO_STAFF
from patients.models import Patient

DEMO_PASSWORD = "demo-password-for-the-browser-walk"  # noqa: S105 - a throwaway test database


def test_every_role_opens_its_pages_in_the_demo_clinic_without_errors(
    pages, monkeypatch, clinic_clock
) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", DEMO_PASSWORD)
    call_command("seed_demo", "--force", verbosity=0)
    patient = Patient.objects.filter(archived_at__isnull=True).order_by("pk").first()
    assert patient is not None
    visited: dict[str, list[str]] = {}

    for username, _first, _last, role in DEMO_STAFF:
        user = User.objects.get(username=username)
        page = pages.new()
        fill_login_form(page, username, DEMO_PASSWORD)
        expect(page.get_by_test_id("current-user")).to_contain_text(user.get_full_name())
        nav = page.get_by_test_id("main-nav").get_by_role("link")
        links = [
            (nav.nth(i).inner_text(), nav.nth(i).get_attribute("href")) for i in range(nav.count())
        ]
        addresses = [href for _label, href in links]
        if role != "Clinic admin":
            addresses.append(f"/patients/{patient.pk}/")
        if role in ("Clinician", "Medical provider"):
            addresses.append(f"/patients/{patient.pk}/chart/")
        for address in addresses:
            response = page.goto(address)
            assert response is not None and response.status == 200, (role, address)
            page.wait_for_load_state("networkidle")
        visited[role] = addresses
        page.context.close()

    assert set(visited) == {role for *_names, role in DEMO_STAFF}
    assert "/sessions/ledger/" in visited["Medical provider"]
    assert "/admin/" in visited["Clinic admin"]
