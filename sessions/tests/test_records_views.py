"""The record-export pages end to end (request → task → progress → download), the access log,
refusals, and the de-identified export's rules."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from kap_clinic.celery import app as celery_app
from kap_clinic.models import AccessEvent
from sessions import services, tasks
from sessions.models import RecordExport
from sessions.records import deidentify
from sessions.tests.factories import dose, make_lot, make_session, prepare

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.RECORD_EXPORT_DIR = tmp_path / "exports"


@pytest.fixture
def eager():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_clinician_exports_from_the_chart_follows_progress_and_downloads(
    clinician, provider, as_clinician, eager, django_capture_on_commit_callbacks
) -> None:
    patient = make_session(by=provider).course.patient
    chart = as_clinician.get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert 'data-testid="record-export-form"' in chart
    with django_capture_on_commit_callbacks(execute=True):
        response = as_clinician.post(
            reverse("records:patient_exports", args=[patient.pk]), {"format": "pdf"}
        )
    export = RecordExport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("records:export_detail", args=[export.pk])
    assert (export.status, export.requested_by) == ("ready", clinician)
    page = as_clinician.get(response["Location"]).content.decode()
    assert 'data-status="ready"' in page and "hx-trigger" not in page
    download = as_clinician.get(reverse("records:export_download", args=[export.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert (
        download["Content-Disposition"] == f'attachment; filename="record-export-{export.pk}.pdf"'
    )
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    logged = list(
        AccessEvent.objects.filter(patient_id=patient.pk, user=clinician)
        .order_by("id")
        .values_list("what", flat=True)
    )
    assert "record export requested (PDF)" in logged
    assert "record export downloaded (PDF)" in logged


def test_a_pending_export_polls_its_status_card(provider, as_provider) -> None:
    patient = make_session(by=provider).course.patient
    export = RecordExport.objects.create(patient=patient, format="fhir", requested_by=provider)
    url = reverse("records:export_detail", args=[export.pk])
    page = as_provider.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in page and "<html" in page
    logged = AccessEvent.objects.filter(patient_id=patient.pk).count()
    card = as_provider.get(url, headers={"HX-Request": "true"}).content.decode()
    assert card.lstrip().startswith('<div id="export-status"') and "<html" not in card
    # The page was logged once; its polls are not (they show no chart content).
    assert AccessEvent.objects.filter(patient_id=patient.pk).count() == logged == 1


def test_an_unknown_format_is_refused_with_a_message_and_nothing_queued(
    provider, as_provider
) -> None:
    patient = make_session(by=provider).course.patient
    response = as_provider.post(
        reverse("records:patient_exports", args=[patient.pk]), {"format": "docx"}, follow=True
    )
    assert "Choose PDF or FHIR." in response.content.decode()
    assert not RecordExport.objects.exists()


def test_front_desk_can_open_no_export_and_no_file(front_desk, provider, as_front_desk) -> None:
    patient = make_session(by=provider).course.patient
    export = services.record_export_request(patient=patient, format="fhir", by=provider)
    tasks.build_record_export(export.pk)
    for url in (
        reverse("records:patient_exports", args=[patient.pk]),
        reverse("records:export_detail", args=[export.pk]),
        reverse("records:export_download", args=[export.pk]),
        reverse("records:outcomes"),
        reverse("records:outcomes_csv"),
        reverse("records:research_export"),
    ):
        assert as_front_desk.get(url).status_code == 403, url
    assert (
        as_front_desk.post(
            reverse("records:patient_exports", args=[patient.pk]), {"format": "pdf"}
        ).status_code
        == 403
    )
    assert RecordExport.objects.count() == 1
    chart_section = as_front_desk.get(reverse("patients:detail", args=[patient.pk]))
    assert b"record-export-form" not in chart_section.content


def test_an_expired_export_says_so_instead_of_serving_the_file(provider, as_provider) -> None:
    patient = make_session(by=provider).course.patient
    export = services.record_export_request(patient=patient, format="fhir", by=provider)
    tasks.build_record_export(export.pk)
    RecordExport.objects.filter(pk=export.pk).update(expires_at=timezone.now())
    response = as_provider.get(reverse("records:export_download", args=[export.pk]), follow=True)
    assert "no longer available" in response.content.decode()


def test_outcomes_report_explains_a_bad_date_and_shows_the_default_period(as_provider) -> None:
    response = as_provider.get(reverse("records:outcomes"), {"start": "31/02/2026"})
    assert response.status_code == 200
    assert "is not a date (YYYY-MM-DD)" in response.content.decode()
    assert response.context["report"].end == timezone.localdate()


@pytest.mark.parametrize(
    ("age", "shown"), [(18, "18"), (65, "65"), (89, "89"), (90, "90+"), (104, "90+")]
)
def test_ages_over_89_are_one_category(age: int, shown: str) -> None:
    # 45 CFR 164.514(b)(2)(i)(C): ages over 89 are aggregated into "90 or older".
    assert deidentify.age_band(age) == shown


def test_a_patient_over_89_is_exported_as_90_plus(provider) -> None:
    session = make_session(by=provider)
    patient = session.course.patient
    patient.date_of_birth = timezone.localdate() - dt.timedelta(days=365 * 93)
    patient.save()
    session = prepare(session, by=provider)
    dose(session, by=provider, lot=make_lot(by=provider), provider=provider)
    (row,) = deidentify.deidentified_rows()
    assert row["age_at_first_dose"] == "90+"
    assert row["day_from_first_dose"] == 0
    # A random id, drawn afresh each export: nothing of the MRN or the row's key.
    assert re.fullmatch(r"S-[0-9a-f]{8}", row["study_id"])
    assert row["study_id"] != deidentify.deidentified_rows()[0]["study_id"]
    assert row["phq9_before_dose"] != ""
