from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse

from kap_clinic import roles


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_demo_staff_can_sign_in(monkeypatch) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", "--force")  # the suite runs with DEBUG off
    count = User.objects.count()
    with override_settings(DEBUG=True):
        call_command("seed_demo")
    assert User.objects.count() == count
    for username, role in [
        ("frontdesk", roles.FRONT_DESK),
        ("clinician", roles.CLINICIAN),
        ("provider", roles.MEDICAL_PROVIDER),
        ("clinicadmin", roles.CLINIC_ADMIN),
    ]:
        client = Client()
        response = client.post(
            reverse("login"), {"username": username, "password": "demo-password-for-tests"}
        )
        assert response.status_code == 302, username
        assert role in client.get(reverse("home")).content.decode()
    admin_user = User.objects.get(username="clinicadmin")
    assert admin_user.is_staff and not admin_user.is_superuser
    assert not User.objects.filter(is_superuser=True).exists()


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_seed_demo_refuses_without_debug_unless_forced() -> None:
    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        call_command("seed_demo")
    assert not User.objects.filter(username="frontdesk").exists()
    # "--force" runs it anyway: seeded in the test above (one seed fewer for the suite).


@pytest.mark.django_db
def test_migrations_create_the_four_roles_but_no_users() -> None:
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL_ROLES)
    assert not User.objects.exists()
