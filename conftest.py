"""Personas shared by every app's tests: one user per role, an outsider with no role, and a
logged-in client for each."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.test import Client

from kap_clinic import roles

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counts (kap_clinic.witness) must not carry from one test to the next: user ids
    repeat once a test's transaction is rolled back."""
    cache.clear()
    yield


def make_user(username: str, role: str | None, **extra: object) -> User:
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        first_name=username.title(),
        last_name="Tester",
        **extra,
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def front_desk(db) -> User:
    return make_user("fd_user", roles.FRONT_DESK)


@pytest.fixture
def clinician(db) -> User:
    return make_user("clin_user", roles.CLINICIAN)


@pytest.fixture
def provider(db) -> User:
    return make_user("prov_user", roles.MEDICAL_PROVIDER)


@pytest.fixture
def clinic_admin(db) -> User:
    return make_user("admin_user", roles.CLINIC_ADMIN, is_staff=True)


@pytest.fixture
def outsider(db) -> User:
    """Authenticated, active, but in no role group."""
    return make_user("no_role_user", None)


@pytest.fixture
def personas(front_desk, clinician, provider, clinic_admin, outsider) -> dict[str, User]:
    return {
        "front_desk": front_desk,
        "clinician": clinician,
        "provider": provider,
        "clinic_admin": clinic_admin,
        "outsider": outsider,
    }


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def as_front_desk(front_desk) -> Client:
    return client_for(front_desk)


@pytest.fixture
def as_clinician(clinician) -> Client:
    return client_for(clinician)


@pytest.fixture
def as_provider(provider) -> Client:
    return client_for(provider)


@pytest.fixture
def as_clinic_admin(clinic_admin) -> Client:
    return client_for(clinic_admin)


@pytest.fixture
def as_outsider(outsider) -> Client:
    return client_for(outsider)
