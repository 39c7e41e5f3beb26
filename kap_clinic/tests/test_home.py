from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import client_for


@pytest.mark.parametrize(
    ("persona", "role_name", "sees_admin_link", "area", "area_url"),
    [
        ("front_desk", "Front desk", False, "Schedule", "scheduling:day"),
        ("clinician", "Clinician", False, "Dosing sessions", "sessions:worklist"),
        ("provider", "Medical provider", False, "Controlled substances", "sessions:ledger"),
        ("clinic_admin", "Clinic admin", True, "Users and roles", "admin:auth_user_changelist"),
    ],
)
@pytest.mark.django_db
def test_home_page_names_the_role_and_links_its_areas(
    personas, persona, role_name, sees_admin_link, area, area_url
) -> None:
    response = client_for(personas[persona]).get(reverse("home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-testid="current-role">{role_name}<' in page
    assert f'<a class="stretched-link" href="{reverse(area_url)}">{area}</a>' in page
    assert (reverse("admin:index") in page) is sees_admin_link


@pytest.mark.django_db
def test_front_desk_home_shows_no_clinical_areas(as_front_desk) -> None:
    page = as_front_desk.get(reverse("home")).content.decode()
    assert "Dosing sessions" not in page
    assert "Controlled substances" not in page


@pytest.mark.django_db
def test_user_without_a_role_is_refused(as_outsider) -> None:
    response = as_outsider.get(reverse("home"))
    assert response.status_code == 403
    assert "have access to this page" in response.content.decode()


@pytest.mark.django_db
def test_unknown_page_gets_the_clinic_404(as_clinician) -> None:
    response = as_clinician.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.django_db
def test_pages_send_security_headers(as_clinician) -> None:
    response = as_clinician.get(reverse("home"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
