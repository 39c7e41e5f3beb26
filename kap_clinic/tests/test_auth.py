from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD


def login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password}, follow=False)


@pytest.mark.django_db
def test_staff_member_signs_in_and_lands_on_home(clinician) -> None:
    client = Client()
    response = login(client, clinician.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_five_failures_lock_the_account_for_fifteen_minutes(clinician) -> None:
    client = Client()
    for _ in range(4):
        response = login(client, clinician.username, "wrong password!")
        assert response.status_code == 200
        assert "correct username and password" in response.content.decode()
    response = login(client, clinician.username, "wrong password!")
    assert response.status_code == 429
    assert "locked for 15 minutes" in response.content.decode()

    # Even the right password is refused while locked...
    response = login(Client(), clinician.username, PASSWORD)
    assert response.status_code == 429
    # ...and works again after the cool-off.
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = login(Client(), clinician.username, PASSWORD)
    assert response.status_code == 302


@pytest.mark.django_db
def test_idle_staff_member_is_signed_out_after_fifteen_minutes(clinician) -> None:
    start = timezone.now()
    client = Client()
    with time_machine.travel(start, tick=False):
        login(client, clinician.username, PASSWORD)
        assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert client.get(reverse("home")).status_code == 200
    # 14 minutes idle again: still fine, the clock restarted at the last request.
    with time_machine.travel(start + timedelta(minutes=28), tick=False):
        assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(start + timedelta(minutes=44), tick=False):
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        page = client.get(response["Location"]).content.decode()
        assert "signed out after a period of inactivity" in page
        assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_session_ends_after_twelve_hours_even_when_active(clinician) -> None:
    start = timezone.now()
    client = Client()
    with time_machine.travel(start, tick=False):
        login(client, clinician.username, PASSWORD)
    for minutes in range(10, 12 * 60, 10):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_login_gives_a_new_session_key(clinician) -> None:
    client = Client()
    client.get(reverse("login"))
    client.session["probe"] = 1  # force a pre-login session
    session = client.session
    session.save()
    before = session.session_key
    login(client, clinician.username, PASSWORD)
    assert client.session.session_key != before


@pytest.mark.parametrize(
    ("password", "ok"),
    [("short-pass1", False), ("exactly12chr", True), ("123456789012", False)],
)
def test_passwords_need_twelve_characters_and_not_be_numeric(password: str, ok: bool) -> None:
    if ok:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)


@pytest.mark.django_db
def test_password_change_page_works(as_clinician, clinician) -> None:
    response = as_clinician.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-brand-new-passphrase",
            "new_password2": "a-brand-new-passphrase",
        },
    )
    assert response.status_code == 302
    clinician.refresh_from_db()
    assert clinician.check_password("a-brand-new-passphrase")


@pytest.mark.django_db
def test_keepalive_needs_login_and_post(as_clinician) -> None:
    assert Client().post(reverse("keepalive")).status_code == 302
    assert as_clinician.get(reverse("keepalive")).status_code == 405
    assert as_clinician.post(reverse("keepalive")).status_code == 204
