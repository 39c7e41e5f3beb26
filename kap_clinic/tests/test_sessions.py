"""Login sessions: each knows its user, a staff member signs out their other sessions, a password
change ends every other session, and the idle warning is wired to the server's idle limit."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import reverse

from conftest import PASSWORD, client_for
from kap_clinic.models import ClinicSession


def sign_in(user: User, *, agent: str = "Tablet/1.0", ip: str = "10.1.2.3") -> Client:
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def signed_in(client: Client) -> bool:
    return client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_a_login_session_records_its_user_address_and_browser(clinician) -> None:
    client = sign_in(clinician, agent="Infusion-room tablet", ip="10.9.8.7")
    row = ClinicSession.objects.get(session_key=client.session.session_key)
    assert row.user == clinician
    assert row.ip_address == "10.9.8.7"
    assert row.user_agent == "Infusion-room tablet"
    assert row.signed_in_at is not None
    page = client.get(reverse("my_sessions")).content.decode()
    assert "Infusion-room tablet" in page
    assert "This session" in page


@pytest.mark.django_db
def test_staff_member_signs_out_their_other_sessions(clinician, provider) -> None:
    desk = sign_in(clinician, agent="Desk PC")
    tablet = sign_in(clinician, agent="Tablet")
    phone = sign_in(clinician, agent="Phone")
    colleague = sign_in(provider)
    page = desk.get(reverse("my_sessions")).content.decode()
    assert "Tablet" in page and "Phone" in page

    response = desk.post(reverse("my_sessions"), follow=True)
    assert "Signed out 2 other sessions." in response.content.decode()
    assert signed_in(desk)
    assert not signed_in(tablet)
    assert not signed_in(phone)
    assert signed_in(colleague)
    assert ClinicSession.objects.filter(user=clinician).count() == 1


@pytest.mark.django_db
def test_changing_the_password_ends_every_other_session(clinician) -> None:
    here, elsewhere = sign_in(clinician), sign_in(clinician)
    response = here.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-brand-new-passphrase",
            "new_password2": "a-brand-new-passphrase",
        },
    )
    assert response.status_code == 302
    # Django keeps the session that changed it (update_session_auth_hash)...
    assert signed_in(here)
    # ...and the session hash no longer matches anywhere else.
    response = elsewhere.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_a_password_set_by_the_clinic_admin_ends_all_the_users_sessions(
    clinician, clinic_admin
) -> None:
    tablet = sign_in(clinician)
    admin = client_for(clinic_admin)
    response = admin.post(
        reverse("admin:auth_user_password_change", args=[clinician.pk]),
        {"password1": "admin-set-passphrase-1", "password2": "admin-set-passphrase-1"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert not signed_in(tablet)


@pytest.mark.django_db
def test_signing_out_deletes_the_session(clinician) -> None:
    client = sign_in(clinician)
    key = client.session.session_key
    client.post(reverse("logout"))
    assert not ClinicSession.objects.filter(session_key=key).exists()


@pytest.mark.django_db
def test_login_replaces_a_pre_login_session_row(clinician) -> None:
    client = Client()
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    sign_in_response = client.post(
        reverse("login"), {"username": clinician.username, "password": PASSWORD}
    )
    assert sign_in_response.status_code == 302
    assert not ClinicSession.objects.filter(session_key=before).exists()
    assert ClinicSession.objects.get(session_key=client.session.session_key).user == clinician


@override_settings(SESSION_IDLE_TIMEOUT=600)
@pytest.mark.django_db
def test_pages_carry_the_idle_limit_for_the_warning_a_minute_before(as_clinician) -> None:
    page = as_clinician.get(reverse("home")).content.decode()
    assert 'data-idle-timeout="600"' in page
    assert f'data-keepalive-url="{reverse("keepalive")}"' in page
    assert 'id="idle-warning"' in page and "data-idle-stay" in page
    # static/js/app.js reads these; the browser journeys in e2e/test_sign_in.py watch the
    # warning appear, "Stay signed in" keep the session, and the idle sign-out with its reason.


def test_session_settings_match_the_policy() -> None:
    assert settings.SESSION_ENGINE == "kap_clinic.session_store"
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_ABSOLUTE_LIFETIME
