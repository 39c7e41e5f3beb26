"""The booking forms' patient picker: the lookup endpoint, the form that resolves the choice
(or, without JavaScript, the typed text), and the booking pages around them."""

from __future__ import annotations

import datetime as dt
import logging
from datetime import timedelta

import pytest
from django.core.servers.basehttp import WSGIRequestHandler
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from kap_clinic.models import AccessEvent
from patients import services as patient_services
from patients.tests.factories import PatientFactory, UserFactory
from scheduling.forms import BookingForm, SeriesForm
from scheduling.models import Appointment, AppointmentType, Room
from scheduling.tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    RoomFactory,
    full_week_hours,
    tomorrow_at,
)

pytestmark = pytest.mark.django_db

LOOKUP = "scheduling:patient_picker"


def lookup(client, q: str):
    return client.get(reverse(LOOKUP), {"q": q})


def archive(patient) -> None:
    patient_services.patient_archive(patient=patient, by=UserFactory())


@pytest.fixture
def clinic(clinician):
    consult = AppointmentTypeFactory(name="Consultation", kind=AppointmentType.Kind.CONSULTATION)
    RoomFactory(name="Consult A", kind=Room.Kind.CONSULT)
    full_week_hours(clinician)
    return {"consult": consult}


def booking_data(clinic, clinician, **extra):
    start = tomorrow_at(10)
    return {
        "type": clinic["consult"].pk,
        "clinician": clinician.pk,
        "date": start.date().isoformat(),
        "time": "10:00",
        **extra,
    }


# --- the lookup endpoint ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["front_desk", "clinician", "provider"])
def test_booking_roles_find_patients_by_part_of_the_name(personas, persona) -> None:
    patient = PatientFactory(
        legal_first_name="Margaret", legal_last_name="Whitfield", preferred_name="Peggy"
    )
    PatientFactory(legal_first_name="Other", legal_last_name="Person")
    response = lookup(client_for(personas[persona]), "whitf")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-testid="patient-option"') == 1
    assert f'data-patient-pk="{patient.pk}"' in page
    assert "Whitfield, Margaret" in page and "(Peggy)" in page
    assert "06/15/1985" in page and patient.mrn in page
    assert "Person" not in page


@pytest.mark.parametrize("persona", ["clinic_admin", "outsider"])
def test_roles_that_cannot_book_cannot_look_patients_up(personas, persona) -> None:
    PatientFactory(legal_last_name="Whitfield")
    response = lookup(client_for(personas[persona]), "whitfield")
    assert response.status_code == 403
    assert b"Whitfield" not in response.content


def test_anonymous_lookup_goes_to_the_sign_in_page(client) -> None:
    PatientFactory(legal_last_name="Whitfield")
    response = lookup(client, "whitfield")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_lookup_is_read_only(as_front_desk) -> None:
    assert as_front_desk.post(reverse(LOOKUP), {"q": "whitfield"}).status_code == 405


@pytest.mark.parametrize(
    "query",
    ["Peggy", "peggy whit", "1979-03-02", "03/02/1979", "7345559876", "KAP-{n}", "kap{n}", "{n}"],
)
def test_lookup_matches_by_the_patient_search_rules(as_front_desk, query) -> None:
    patient = PatientFactory(
        legal_first_name="Margaret",
        legal_last_name="Whitfield",
        preferred_name="Peggy",
        date_of_birth=dt.date(1979, 3, 2),
        phone="+17345559876",
    )
    page = lookup(as_front_desk, query.format(n=patient.pk)).content.decode()
    assert f'data-patient-pk="{patient.pk}"' in page


def test_lookup_never_offers_archived_patients(as_front_desk) -> None:
    archive(PatientFactory(legal_last_name="Whitfield"))
    page = lookup(as_front_desk, "whitfield").content.decode()
    assert 'data-testid="patient-option"' not in page
    assert "No current patient matches “whitfield”" in page


def test_lookup_offers_eight_and_says_more_match(as_front_desk) -> None:
    for n in range(10):
        PatientFactory(legal_last_name=f"Whitfield{n:02d}")
    page = lookup(as_front_desk, "whitfield").content.decode()
    assert page.count('data-testid="patient-option"') == 8
    assert "Whitfield00" in page and "Whitfield08" not in page  # by name
    assert "More patients match" in page


def test_lookup_needs_two_characters(as_front_desk) -> None:
    PatientFactory(legal_last_name="Whitfield")
    page = lookup(as_front_desk, " w ").content.decode()
    assert 'data-testid="patient-option"' not in page
    assert "Type at least two" in page
    assert lookup(as_front_desk, "").content.decode().strip() == ""


def test_lookup_is_not_cached_and_records_no_chart_access(as_front_desk) -> None:
    # Like the patient list: a search shows registry lines, not a record (kap_clinic.audit).
    PatientFactory(legal_last_name="Whitfield")
    response = lookup(as_front_desk, "whitfield")
    assert "no-store" in response["Cache-Control"]
    assert not AccessEvent.objects.exists()


@pytest.mark.parametrize("count", [5, 50])
def test_lookup_query_count_does_not_grow(
    as_front_desk, clinician, django_assert_max_num_queries, count
) -> None:
    for _ in range(count):
        PatientFactory(primary_clinician=clinician)
    as_front_desk.get(reverse("home"))  # the session's first request also writes the session
    # session, user, roles, the matches (one query), and the idle-timeout middleware's session
    # save (savepoint, update, release): the same at 5 and 50 matches.
    with django_assert_max_num_queries(7):
        page = lookup(as_front_desk, "avery").content.decode()
    assert page.count('data-testid="patient-option"') == min(count, 8)


def test_search_terms_reach_no_log(as_front_desk, caplog) -> None:
    PatientFactory(legal_first_name="Quillonzia", legal_last_name="Vexmorrow")
    with caplog.at_level(logging.DEBUG):
        assert b"Vexmorrow" in lookup(as_front_desk, "Vexmorrow").content
        assert lookup(client_for(UserFactory()), "Quillonzia Vexmorrow").status_code == 403
    assert "Vexmorrow" not in caplog.text and "Quillonzia" not in caplog.text


def test_dev_server_request_line_of_a_lookup_loses_the_search_term() -> None:
    # The request line is what the dev server logs for every request (django.server).
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    class Request:
        request = None

        def log_date_time_string(self) -> str:
            return "now"

    logger = logging.getLogger("django.server")
    handler = Keep()
    logger.addHandler(handler)
    try:
        line = f"GET {reverse(LOOKUP)}?q=Vexmorrow HTTP/1.1"
        WSGIRequestHandler.log_message(Request(), '"%s" %s %s', line, "200", "812")
    finally:
        logger.removeHandler(handler)
    assert seen == [f'"GET {reverse(LOOKUP)}?[query removed] HTTP/1.1" 200 812']


# --- the form: what the picker (or the typed text) resolves to ----------------------------------


def form(cls=BookingForm, **data):
    bound = cls(data=data)
    bound.is_valid()
    return bound


def test_form_takes_the_chosen_patient_by_id() -> None:
    patient = PatientFactory()
    bound = form(patient=str(patient.pk))
    assert bound.cleaned_data["patient"] == patient
    assert bound.chosen_patient == patient
    assert "patient_search" not in bound.errors


@pytest.mark.parametrize("typed", ["{mrn}", "{mrn_lower}", " KAP-{n} ", "{n}"])
def test_form_takes_a_typed_mrn(typed) -> None:
    patient = PatientFactory()
    text = typed.format(mrn=patient.mrn, mrn_lower=patient.mrn.lower(), n=patient.pk)
    assert form(patient_search=text).cleaned_data["patient"] == patient


def test_form_takes_a_typed_name_that_matches_one_patient() -> None:
    patient = PatientFactory(legal_first_name="Margaret", legal_last_name="Whitfield")
    PatientFactory(legal_first_name="Margaret", legal_last_name="Other")
    assert form(patient_search="margaret whitf").cleaned_data["patient"] == patient


def test_typed_text_wins_over_the_hidden_choice() -> None:
    # Without JavaScript a preselected patient is replaced by typing another.
    preselected = PatientFactory()
    other = PatientFactory(legal_last_name="Whitfield")
    bound = form(patient=str(preselected.pk), patient_search="whitfield")
    assert bound.cleaned_data["patient"] == other


def test_a_name_matching_several_patients_asks_to_choose_and_lists_them() -> None:
    first = PatientFactory(legal_last_name="Whitfield")
    second = PatientFactory(legal_last_name="Whitfielder")
    archive(PatientFactory(legal_last_name="Whitfieldest"))
    bound = form(patient_search="whitf")
    assert bound.errors["patient_search"] == [
        "2 patients match “whitf”: choose one below, or type their MRN."
    ]
    assert bound.patient_candidates == [first, second]
    assert bound.chosen_patient is None


def test_a_name_matching_too_many_asks_for_more() -> None:
    for n in range(9):
        PatientFactory(legal_last_name=f"Whitfield{n}")
    bound = form(patient_search="whitfield")
    assert "More than 8 patients match “whitfield”" in bound.errors["patient_search"][0]
    assert len(bound.patient_candidates) == 8 and bound.patient_candidates_more


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"patient_search": "KAP-999999"}, "No patient matches “KAP-999999”."),
        ({"patient_search": "Nobody"}, "No patient matches “Nobody”."),
        ({"patient": "999999"}, "That patient could not be found: search again."),
        ({"patient": str(10**30)}, "That patient could not be found: search again."),
        ({"patient_search": "x" * 101}, "at most 100 characters"),
        ({"patient": "abc"}, "Choose the patient again."),
    ],
)
def test_unknown_patient_is_a_form_error(data, message) -> None:
    bound = form(**data)
    errors = bound.errors.get("patient_search", []) + bound.errors.get("patient", [])
    assert any(message in error for error in errors), errors
    assert bound.chosen_patient is None


@pytest.mark.parametrize("how", ["pk", "mrn", "name"])
def test_archived_patient_cannot_be_booked(how) -> None:
    patient = PatientFactory(legal_first_name="Margaret", legal_last_name="Whitfield")
    archive(patient)
    data = {
        "pk": {"patient": str(patient.pk)},
        "mrn": {"patient_search": patient.mrn},
        "name": {"patient_search": "whitfield"},
    }[how]
    bound = form(**data)
    assert bound.errors["patient_search"] == [
        f"Margaret Whitfield ({patient.mrn}) is archived: restore them on their page before "
        "booking."
    ]


def test_booking_form_without_a_patient_is_a_new_inquiry(clinic, clinician) -> None:
    bound = form(
        **booking_data(
            clinic,
            clinician,
            new_first_name="Robin",
            new_last_name="Inquirer",
            new_date_of_birth="1988-04-05",
            new_email="robin@example.org",
        )
    )
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data["patient"] is None


def test_series_form_needs_a_patient() -> None:
    bound = form(SeriesForm)
    assert bound.errors["patient_search"] == ["Choose the patient."]


def test_series_form_takes_the_chosen_patient() -> None:
    patient = PatientFactory()
    assert form(SeriesForm, patient=str(patient.pk)).cleaned_data["patient"] == patient


# --- the booking pages ---------------------------------------------------------------------------


def test_booking_page_has_the_picker_and_its_script(as_front_desk) -> None:
    page = as_front_desk.get(reverse("scheduling:appointment_book")).content.decode()
    assert 'role="combobox"' in page and f'hx-get="{reverse(LOOKUP)}"' in page
    assert 'name="patient" value=""' in page
    assert "/static/js/patient_picker.js" in page
    assert " hidden data-picker-chosen" in page  # nothing chosen yet


def test_front_desk_books_the_patient_chosen_in_the_picker(as_front_desk, clinic, clinician):
    patient = PatientFactory()
    response = as_front_desk.post(
        reverse("scheduling:appointment_book"),
        booking_data(clinic, clinician, patient=patient.pk, patient_search=""),
    )
    assert response.status_code == 302
    assert Appointment.objects.get().patient == patient


def test_front_desk_books_by_a_typed_unique_name_without_javascript(
    as_front_desk, clinic, clinician
):
    patient = PatientFactory(legal_last_name="Whitfield")
    response = as_front_desk.post(
        reverse("scheduling:appointment_book"),
        booking_data(clinic, clinician, patient_search="whitfield"),
    )
    assert response.status_code == 302
    assert Appointment.objects.get().patient == patient


def test_chosen_patient_stays_chosen_when_the_form_comes_back(as_front_desk, clinic, clinician):
    patient = PatientFactory(legal_first_name="Margaret", legal_last_name="Whitfield")
    data = booking_data(clinic, clinician, patient=patient.pk, date="")
    page = as_front_desk.post(reverse("scheduling:appointment_book"), data).content.decode()
    assert "This field is required" in page
    assert f'name="patient" value="{patient.pk}"' in page
    chosen = page.split('data-testid="chosen-patient"')[1].split("data-picker-search")[0]
    assert "Whitfield, Margaret" in chosen and patient.mrn in chosen
    assert not Appointment.objects.exists()


def test_ambiguous_typed_name_comes_back_with_the_matches_and_the_text(
    as_front_desk, clinic, clinician
):
    PatientFactory(legal_last_name="Whitfield")
    PatientFactory(legal_last_name="Whitfielder")
    data = booking_data(clinic, clinician, patient_search="whitf")
    page = as_front_desk.post(reverse("scheduling:appointment_book"), data).content.decode()
    assert "2 patients match “whitf”" in page
    assert page.count('data-testid="patient-option"') == 2
    assert 'value="whitf"' in page
    assert 'name="patient" value=""' in page
    assert not Appointment.objects.exists()


def test_patient_page_link_preselects_the_patient(as_front_desk) -> None:
    patient = PatientFactory(legal_first_name="Margaret", legal_last_name="Whitfield")
    for name in ("scheduling:appointment_book", "scheduling:series_book"):
        page = as_front_desk.get(reverse(name), {"patient": patient.pk}).content.decode()
        assert f'name="patient" value="{patient.pk}"' in page, name
        chosen = page.split('data-testid="chosen-patient"')[1].split("data-picker-search")[0]
        assert "Whitfield, Margaret" in chosen, name


def test_archived_patient_opened_from_their_page_is_marked_and_refused(
    as_front_desk, clinic, clinician
) -> None:
    patient = PatientFactory(legal_first_name="Margaret", legal_last_name="Whitfield")
    archive(patient)
    url = reverse("scheduling:appointment_book")
    page = as_front_desk.get(url, {"patient": patient.pk}).content.decode()
    chosen = page.split('data-testid="chosen-patient"')[1].split("data-picker-search")[0]
    assert "Whitfield, Margaret" in chosen and "Archived" in chosen
    response = as_front_desk.post(url, booking_data(clinic, clinician, patient=patient.pk))
    assert "is archived: restore them on their page before booking" in response.content.decode()
    assert not Appointment.objects.exists()


def test_unknown_preselected_patient_is_ignored(as_front_desk) -> None:
    page = as_front_desk.get(reverse("scheduling:appointment_book"), {"patient": 999999})
    assert 'name="patient" value=""' in page.content.decode()


def test_series_preview_keeps_the_chosen_patient(as_front_desk, clinician) -> None:
    RoomFactory(name="Infusion 1", kind=Room.Kind.INFUSION)
    dosing = AppointmentTypeFactory(
        name="Dosing session", kind=AppointmentType.Kind.DOSING, room_kind=Room.Kind.INFUSION
    )
    full_week_hours(clinician)
    patient = PatientFactory(legal_last_name="Whitfield")
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    data = {
        "patient": patient.pk,
        "patient_search": "",
        "type": dosing.pk,
        "clinician": clinician.pk,
        "first_day": monday.isoformat(),
        "weekdays": ["0"],
        "time": "09:00",
        "weeks": "1",
        "preview": "1",
    }
    page = as_front_desk.post(reverse("scheduling:series_book"), data).content.decode()
    assert 'data-testid="series-preview"' in page
    assert f'name="patient" value="{patient.pk}"' in page


def test_conflict_names_the_other_patient_and_keeps_the_choice(as_front_desk, clinic, clinician):
    existing = AppointmentFactory(
        type=clinic["consult"], clinician=clinician, starts_at=tomorrow_at(10)
    )
    patient = PatientFactory()
    data = booking_data(clinic, clinician, patient=patient.pk, time="10:30")
    page = as_front_desk.post(reverse("scheduling:appointment_book"), data).content.decode()
    assert "is already booked" in page and existing.patient.display_name in page
    assert f'name="patient" value="{patient.pk}"' in page
