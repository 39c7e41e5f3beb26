"""Two-factor sign-in: enrolment with a QR code, the code step after the password, the roles
setting, and the Django admin and clinic-admin pages always behind a second factor in
production."""

from __future__ import annotations

import re
from base64 import b32encode
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from kap_clinic import mfa, roles
from kap_clinic.tests.test_settings import PRODUCTION_ENV, run_manage

ALL_ROLES = override_settings(MFA_REQUIRED_ROLES="all", MFA_ADMIN_REQUIRED=True)
# Production with the roles setting turned off: the admin areas still need a second factor.
ADMIN_ONLY = override_settings(MFA_REQUIRED_ROLES="none", MFA_ADMIN_REQUIRED=True)


def sign_in(user: User) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "password sign-in failed"
    return client


def code(device: TOTPDevice, *, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, drift=offset):06d}"


def enrolled(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def after_backoff(seconds: int = 5):
    """django-otp makes each wrong code double the wait before the next try (1 s, 2 s, 4 s...)."""
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=False)


def wrong(device: TOTPDevice) -> str:
    right = {code(device, offset=d) for d in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


@ALL_ROLES
@pytest.mark.django_db
def test_staff_member_without_authenticator_is_sent_to_enrol_and_then_let_in(clinician) -> None:
    client = sign_in(clinician)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('mfa_setup')}?next=%2F"

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'data-testid="mfa-qr"[^>]*><svg[^>]*xmlns="http://www.w3.org/2000/svg"', html)
    assert "<script" not in html.split('data-testid="mfa-qr"')[1].split("</div>")[0]
    device = TOTPDevice.objects.get(user=clinician, confirmed=False)
    secret = re.search(r'data-testid="mfa-secret">([A-Z2-7 ]+)<', html)[1]
    assert secret.replace(" ", "") == b32encode(device.bin_key).decode().rstrip("=")
    # Reloading shows the same pending device, not a new secret each time.
    client.get(reverse("mfa_setup"))
    assert TOTPDevice.objects.filter(user=clinician).count() == 1

    response = client.post(reverse("mfa_setup"), {"token": wrong(device), "next": "/"})
    assert response.status_code == 200
    assert "not accepted" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302

    before = client.session.session_key
    with after_backoff():
        response = client.post(reverse("mfa_setup"), {"token": code(device), "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.session.session_key != before  # new key once verified
    assert client.get(reverse("home")).status_code == 200


@ALL_ROLES
@pytest.mark.django_db
def test_enrolled_staff_member_enters_a_code_after_the_password(provider) -> None:
    device = enrolled(provider)
    client = sign_in(provider)
    response = client.get(reverse("home"))
    assert response["Location"] == f"{reverse('mfa_verify')}?next=%2F"
    # Replacing the authenticator needs the current one first.
    assert client.get(reverse("mfa_setup"))["Location"].startswith(reverse("mfa_verify"))

    response = client.post(reverse("mfa_verify"), {"token": "12 34", "next": "/"})
    assert "Enter the 6 digits" in response.content.decode()
    response = client.post(reverse("mfa_verify"), {"token": wrong(device), "next": "/"})
    assert "not accepted" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302

    with after_backoff():
        response = client.post(reverse("mfa_verify"), {"token": code(device), "next": "/"})
        assert response.status_code == 302
        assert client.get(reverse("home")).status_code == 200
    # A fresh sign-in asks again.
    assert sign_in(provider).get(reverse("home")).status_code == 302


@ALL_ROLES
@pytest.mark.django_db
def test_repeated_wrong_codes_throttle_even_the_right_one(provider) -> None:
    device = enrolled(provider)
    client = sign_in(provider)
    for _ in range(3):
        client.post(reverse("mfa_verify"), {"token": wrong(device)})
    response = client.post(reverse("mfa_verify"), {"token": code(device), "next": "/"})
    assert response.status_code == 200
    assert "before the next try" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302
    with after_backoff(seconds=10):
        assert client.post(reverse("mfa_verify"), {"token": code(device)}).status_code == 302


@ALL_ROLES
@pytest.mark.django_db
def test_verification_never_redirects_off_site(provider) -> None:
    device = enrolled(provider)
    client = sign_in(provider)
    response = client.post(
        reverse("mfa_verify"), {"token": code(device), "next": "https://evil.example/x"}
    )
    assert response["Location"] == reverse("home")


@ALL_ROLES
@pytest.mark.django_db
def test_enrolling_a_new_phone_replaces_the_old_authenticator(provider) -> None:
    old = enrolled(provider)
    client = sign_in(provider)
    client.post(reverse("mfa_verify"), {"token": code(old)})
    page = client.get(reverse("mfa_setup")).content.decode()
    assert 'data-testid="mfa-enrolled"' in page
    new = TOTPDevice.objects.get(user=provider, confirmed=False)
    client.post(reverse("mfa_setup"), {"token": code(new)})
    assert list(TOTPDevice.objects.filter(user=provider)) == [new]


@ADMIN_ONLY
@pytest.mark.django_db
def test_in_production_the_django_admin_needs_a_second_factor(clinic_admin) -> None:
    device = enrolled(clinic_admin)
    client = sign_in(clinic_admin)
    # The roles setting is "none", so the clinic's own pages do not ask...
    assert client.get(reverse("home")).status_code == 200
    # ...but the admin and the clinic-admin pages do.
    for url in (reverse("admin:index"), reverse("admin:auth_user_changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("mfa_verify") + "?next=")
    response = client.get(reverse("access_log"))
    assert response["Location"] == f"{reverse('mfa_verify')}?next=%2Faudit%2Faccess%2F"
    assert client.get(reverse("access_log_csv"))["Location"].startswith(reverse("mfa_verify"))

    client.post(reverse("mfa_verify"), {"token": code(device)})
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("access_log")).status_code == 200


@ADMIN_ONLY
@pytest.mark.django_db
def test_in_production_a_clinic_admin_without_authenticator_must_enrol(clinic_admin) -> None:
    client = sign_in(clinic_admin)
    response = client.get(reverse("admin:index"))
    assert response["Location"].startswith(reverse("mfa_setup") + "?next=")


@ADMIN_ONLY
@pytest.mark.django_db
def test_admin_site_refuses_an_unverified_session_even_without_the_middleware(
    clinic_admin,
) -> None:
    enrolled(clinic_admin)
    without = [m for m in django_settings.MIDDLEWARE if not m.endswith("MFARequiredMiddleware")]
    with override_settings(MIDDLEWARE=without):
        response = sign_in(clinic_admin).get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@ADMIN_ONLY
@pytest.mark.django_db
def test_admin_area_rule_does_not_ask_roles_that_cannot_enter_anyway(front_desk) -> None:
    # Front desk is refused by the admin itself; no enrolment detour first.
    response = sign_in(front_desk).get(reverse("admin:index"))
    assert response["Location"].startswith(reverse("admin:login"))


@override_settings(MFA_REQUIRED_ROLES="Medical provider, Clinic admin", MFA_ADMIN_REQUIRED=False)
@pytest.mark.django_db
def test_roles_setting_chooses_who_needs_a_second_factor(provider, clinician) -> None:
    assert mfa.required_roles() == {roles.MEDICAL_PROVIDER, roles.CLINIC_ADMIN}
    assert sign_in(clinician).get(reverse("home")).status_code == 200
    assert sign_in(provider).get(reverse("home")).status_code == 302


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("all", roles.STAFF),
        ("ALL", roles.STAFF),
        ("none", frozenset()),
        ("", frozenset()),
        ("Front desk", frozenset({roles.FRONT_DESK})),
    ],
)
def test_roles_setting_values(settings, value, expected) -> None:
    settings.MFA_REQUIRED_ROLES = value
    assert mfa.required_roles() == expected


def test_unknown_role_in_the_setting_is_a_start_up_error(settings) -> None:
    settings.MFA_REQUIRED_ROLES = "Nurse,Clinician"
    errors = [e for e in run_checks() if e.id == "kap_clinic.E001"]
    assert len(errors) == 1
    assert "Nurse" in errors[0].msg


@pytest.mark.django_db
def test_demo_settings_let_the_demo_logins_in_without_a_second_factor(clinic_admin) -> None:
    # settings_test carries the demo's MFA values ("none", admin not required).
    client = sign_in(clinic_admin)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("access_log")).status_code == 200


PRINT_MFA = (
    "from django.conf import settings; from kap_clinic import mfa; "
    "print(sorted(mfa.required_roles()), settings.MFA_ADMIN_REQUIRED)"
)


def test_production_settings_require_mfa_for_every_role_and_the_admin() -> None:
    result = run_manage("shell", "-c", PRINT_MFA, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == f"{sorted(roles.STAFF)} True"
    # Turning the roles off in production still leaves the admin behind a second factor.
    result = run_manage(
        "shell", "-c", PRINT_MFA, env={**PRODUCTION_ENV, "MFA_REQUIRED_ROLES": "none"}
    )
    assert result.stdout.strip().splitlines()[-1] == "[] True"


def test_demo_settings_of_make_run_require_no_mfa() -> None:
    demo = {"DEBUG": "true", "SECRET_KEY": "", "MFA_REQUIRED_ROLES": "none"}
    result = run_manage("shell", "-c", PRINT_MFA, env=demo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[] False"
