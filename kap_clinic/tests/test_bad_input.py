"""Bad input never breaks a page or corrupts data (Hypothesis).

Through the real views, for the main forms — patient registration, intake measures (PHQ-9),
booking, dose, vitals, the preparation checklist and the controlled-substance ledger: a body that
is valid except for one field made invalid gets a form error (200/400) and saves nothing; any text
at all, raw bytes that are not UTF-8, encoded lone surrogates, NUL characters and oversized values
never give a server error; and what is stored comes back escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PASSWORD, client_for
from patients.models import Patient
from patients.tests.factories import PatientFactory
from scheduling.tests.matrix import booking
from sessions.tests.factories import (
    SUPPLIER_DEA_NUMBER,
    make_lot,
    make_registrant,
    make_session,
)

EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DATA_APPS = ("patients", "clinic_sessions", "scheduling")


def rows() -> dict[str, int]:
    """Row counts of every model of the clinical apps, history tables included."""
    return {
        model._meta.label: model._default_manager.count()
        for label in DATA_APPS
        for model in apps.get_app_config(label).get_models()
    }


def post_raw(client: Client, url: str, pairs: dict[str, str | bytes]) -> Any:
    """POST an urlencoded body built from raw bytes, so it may be anything but UTF-8."""
    body = "&".join(
        f"{quote_from_bytes(key.encode())}="
        f"{quote_from_bytes(value if isinstance(value, bytes) else value.encode('utf-8', 'surrogatepass'))}"  # noqa: E501
        for key, value in pairs.items()
    )
    return client.generic(
        "POST", url, body, content_type="application/x-www-form-urlencoded; charset=utf-8"
    )


@dataclass
class Target:
    """One form: how to reach it, a valid body, and which fields hold numbers."""

    name: str
    persona: str
    setup: Callable[[dict[str, User]], tuple[str, dict[str, str]]]
    numeric: tuple[str, ...]


def patient_form(users):
    body = {
        "legal_first_name": "Ada",
        "legal_last_name": "Input",
        "date_of_birth": "1980-01-02",
        "sex_assigned_at_birth": "unknown",
        "remind_by_email": "on",
    }
    return reverse("patients:create"), body


def phq9_form(users):
    url = reverse("patients:measure_create", args=[PatientFactory().pk, "phq9"])
    return url, {f"item_{n}": "1" for n in range(1, 10)}


def booking_form(users):
    from kap_clinic.tests.role_matrix import Ctx

    body = booking(Ctx(personas=users, persona="front_desk", user=users["front_desk"]))
    return reverse("scheduling:appointment_book"), {k: str(v) for k, v in body.items()}


def vitals_form(users):
    session = make_session(by=users["provider"])
    body = {"systolic": "120", "diastolic": "80", "heart_rate": "70", "spo2": "98"}
    return reverse("sessions:vitals_add", args=[session.pk]), body


def dose_form(users):
    from sessions.tests.factories import prepare

    session = make_session(by=users["provider"])
    prepare(session, by=users["provider"])
    lot = make_lot(by=users["provider"], number=f"F-{session.pk}")
    body = {
        "weight": "70.0",
        "weight_unit": "kg",
        "mg_per_kg": "0.5",
        "lot": str(lot.pk),
        "administered_by": str(users["clinician"].pk),
        "supervising_provider": str(users["provider"].pk),
    }
    return reverse("sessions:dose_record", args=[session.pk]), body


def ledger_form(users):
    body = {
        "registrant": str(make_registrant().pk),
        "lot_number": "FZ-1",
        "ndc": "0143-9508-10",
        "supplier_dea_number": SUPPLIER_DEA_NUMBER,
        "invoice_number": "INV-1",
        "witness": str(users["clinician"].pk),
        "witness_password": PASSWORD,
        "supplier": "Hospira",
        "concentration_mg_per_ml": "50",
        "vial_volume_ml": "10",
        "vial_count": "5",
        "expires_on": (timezone.localdate() + dt.timedelta(days=300)).isoformat(),
    }
    return reverse("sessions:ledger"), body


TARGETS = [
    Target("patient", "front_desk", patient_form, ("date_of_birth",)),
    Target("phq9", "clinician", phq9_form, tuple(f"item_{n}" for n in range(1, 10))),
    Target("booking", "front_desk", booking_form, ("patient", "date", "time")),
    Target("vitals", "clinician", vitals_form, ("systolic", "diastolic", "heart_rate", "spo2")),
    Target("dose", "provider", dose_form, ("weight", "mg_per_kg")),
    Target(
        "ledger",
        "provider",
        ledger_form,
        ("concentration_mg_per_ml", "vial_volume_ml", "vial_count", "expires_on"),
    ),
]

# Values no number, date or time field accepts. (Digits of other scripts, such as "٣", are
# numbers to Python's int() and Decimal(), and so to Django's fields: not listed here.)
NOT_A_NUMBER = st.one_of(
    st.text(alphabet=st.characters(categories=["L", "P", "S", "Z"]), min_size=1, max_size=40),
    st.sampled_from(["", " ", "NaN", "Infinity", "-Infinity", "1e400", "1,5", "0x10", "--1"]),
    st.integers(min_value=10**7, max_value=10**30).map(str),
    st.integers(min_value=-(10**30), max_value=-(10**7)).map(str),
)
# Text that attacks the page or the database rather than the rules.
NASTY_TEXT = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            "'; DROP TABLE patients_patient; --",
            "\x00",
            "a\x00b",
            "{{ 7*7 }}{% debug %}",
            "\u202e\ufeff\u200b",
            "x" * 20_000,
        ]
    ),
)


# Any text, raw bytes that are mostly not UTF-8, and encoded lone surrogates.
RAW = st.one_of(
    NASTY_TEXT.map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=64),
    st.sampled_from([b"\xff\xfe", b"\xed\xa0\x80", b"\xc0\xaf", b"\x80abc"]),
)


@pytest.fixture
def users(personas) -> dict[str, User]:
    return personas


def assert_refused_and_nothing_saved(response, before: dict[str, int], what: str) -> None:
    assert response.status_code in (200, 400), f"{what}: {response.status_code}"
    page = response.content.decode()
    markers = ("invalid-feedback", "alert-danger", "errorlist", 'class="text-danger small"')
    assert any(marker in page for marker in markers), f"{what}: no error shown"
    assert rows() == before, f"{what}: something was saved"


@pytest.mark.django_db
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_valid_body_is_accepted(target: Target, users) -> None:
    # The baseline the fuzzing below mutates: one field away from a save.
    url, body = target.setup(users)
    response = post_raw(client_for(users[target.persona]), url, body)
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.mark.django_db
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_an_invalid_number_gets_a_form_error_and_saves_nothing(target: Target, users) -> None:
    url, body = target.setup(users)
    client = client_for(users[target.persona])

    @EXAMPLES
    @given(field=st.sampled_from(target.numeric), value=NOT_A_NUMBER)
    def check(field: str, value: str) -> None:
        before = rows()
        response = post_raw(client, url, {**body, field: value})
        assert_refused_and_nothing_saved(response, before, f"{field}={value!r}")

    check()


@pytest.mark.django_db
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_a_missing_required_field_gets_a_form_error_and_saves_nothing(
    target: Target, users
) -> None:
    url, body = target.setup(users)
    client = client_for(users[target.persona])
    for field in body:
        if field == "remind_by_email":
            continue  # a checkbox: absent means "no"
        before = rows()
        response = post_raw(client, url, {k: v for k, v in body.items() if k != field})
        assert_refused_and_nothing_saved(response, before, f"without {field}")


@pytest.mark.django_db
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_any_text_bytes_or_surrogates_in_any_field_never_break_the_page(
    target: Target, users
) -> None:
    url, body = target.setup(users)
    client = client_for(users[target.persona])

    @EXAMPLES
    @given(field=st.sampled_from(sorted(body)), value=RAW)
    def check(field: str, value: bytes) -> None:
        before = rows()
        response = post_raw(client, url, {**body, field: value})
        assert response.status_code < 500, f"{field}={value!r}"
        if response.status_code != 302:
            assert rows() == before, f"{field}={value!r}: refused but saved"

    check()


def checklist_form(users):
    session = make_session(by=users["provider"])
    body = {
        "fasting_confirmed": "on",
        "escort_name": "Jamie Doe",
        "escort_phone": "+1 734 555 0199",
        "medications_reviewed": "on",
        "pregnancy_test": "not_applicable",
        "intention_set": "on",
        "contraindications_reconfirmed": "new_found",
        "contraindications_note": "Started an MAOI",
    }
    return reverse("sessions:checklist_update", args=[session.pk]), body


# The checklist has no required field (an unticked item is an answer), so it is not one of the
# TARGETS; its choices and the note a new contraindication needs are checked here.
@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        {"pregnancy_test": "maybe"},
        {"contraindications_reconfirmed": "probably_fine"},
        {"contraindications_note": ""},
        {"contraindications_note": "   "},
    ],
)
def test_checklist_refuses_a_bad_answer_or_a_finding_without_a_note(change, users) -> None:
    url, body = checklist_form(users)
    before = rows()
    response = post_raw(client_for(users["clinician"]), url, {**body, **change})
    assert_refused_and_nothing_saved(response, before, str(change))


@pytest.mark.django_db
def test_any_text_bytes_or_surrogates_in_the_checklist_never_break_the_page(users) -> None:
    url, body = checklist_form(users)
    client = client_for(users["clinician"])

    @EXAMPLES
    @given(field=st.sampled_from(sorted(body)), value=RAW)
    def check(field: str, value: bytes) -> None:
        before = rows()
        response = post_raw(client, url, {**body, field: value})
        assert response.status_code < 500, f"{field}={value!r}"
        if response.status_code != 302:
            assert rows() == before, f"{field}={value!r}: refused but saved"

    check()


@pytest.mark.django_db
def test_oversized_request_is_refused_cleanly(users) -> None:
    url, body = patient_form(users)
    before = rows()
    response = post_raw(
        client_for(users["front_desk"]), url, {**body, "legal_last_name": "x" * 3_000_000}
    )
    assert response.status_code == 400
    assert rows() == before


@pytest.mark.django_db
def test_names_with_markup_are_stored_as_typed_and_shown_escaped(users) -> None:
    client = client_for(users["front_desk"])
    url, body = patient_form(users)
    shown: list[str] = []

    @EXAMPLES
    @given(
        name=st.text(
            alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=40
        ).filter(lambda s: s.strip() and s == s.strip())
    )
    def check(name: str) -> None:
        typed = f"<script>alert('{name}')</script>"[:100]
        response = post_raw(client, url, {**body, "legal_last_name": typed})
        if response.status_code != 302:
            return  # refused with a form error (e.g. normalisation): nothing to display
        patient = Patient.objects.order_by("-pk").first()
        assert "<script>" in patient.legal_last_name  # stored as typed, not mangled
        page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
        assert "<script>alert(" not in page
        assert "&lt;script&gt;alert(" in page
        shown.append(typed)

    check()
    assert shown, "no name with markup was ever accepted, so escaping was never checked"


@pytest.mark.django_db
def test_note_with_markup_is_shown_escaped(users) -> None:
    session = make_session(by=users["provider"])
    client = client_for(users["clinician"])
    url = reverse("sessions:note_save", args=[session.pk])
    response = post_raw(client, url, {"note": '<img src=x onerror="alert(1)"> ok'})
    assert response.status_code in (200, 302)
    page = client.get(reverse("sessions:session_detail", args=[session.pk])).content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; ok" in page
