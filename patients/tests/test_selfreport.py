"""The patient's self-report links: one item per screen, answers kept, scored by
``instruments.score`` through ``measure_record``, marked patient-reported; a risky answer raises
the flag, e-mails the primary clinician (no name, no score) and shows crisis resources at once;
used, expired and altered links are refused and store nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from patients.models import MeasureResult, RiskFlag, SelfReportLink
from patients.selfreport import questions, tokens
from patients.services import selfreport as services
from patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinician):
    clinician.email = "dr.ellis@example.org"
    clinician.save()
    return PatientFactory(
        legal_first_name="Noor", legal_last_name="Haddad", primary_clinician=clinician
    )


def make_link(patient, codes=("phq9",), **kw):
    link = services.selfreport_link_create(
        patient=patient, purpose=SelfReportLink.Purpose.QUESTIONNAIRE, instruments=list(codes), **kw
    )
    return link, tokens.make_token(link)


def answer_all(client, token, code, values):
    """Answer each screen in turn as the patient would; returns the last response."""
    response = None
    for key, value in values:
        url = reverse("patients:selfreport_item", args=[token, code, key])
        response = client.post(url, {"value": value})
    return response


PHQ9_ITEM9_ONE = [
    ("0", 1),
    ("1", 1),
    ("2", 0),
    ("3", 2),
    ("4", 0),
    ("5", 1),
    ("6", 0),
    ("7", 0),
    ("8", 1),
]


def test_phq9_by_link_is_recorded_patient_reported_with_flag_mail_and_crisis_resources(
    patient, clinician
):
    link, token = make_link(patient)
    client = Client()
    start = client.get(reverse("patients:selfreport_start", args=[token]))
    assert start.status_code == 200
    page = start.content.decode()
    assert "Hello Noor" in page
    assert "Haddad" not in page  # the first name only
    with django_capture_on_commit():
        response = answer_all(client, token, "phq9", PHQ9_ITEM9_ONE)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="crisis-resources"' in body
    assert "988" in body
    measure = MeasureResult.objects.get(patient=patient)
    assert measure.answers == [1, 1, 0, 2, 0, 1, 0, 0, 1]
    assert measure.total == 6 and measure.severity == "mild"
    assert measure.entered_by is None
    assert measure.patient_reported_at is not None
    assert RiskFlag.objects.filter(measure=measure, acknowledged_at__isnull=True).exists()
    link.refresh_from_db()
    assert link.used_at is not None
    # The clinician's mail: no name, no score, no measure; a link to sign in.
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["dr.ellis@example.org"]
    chart_url = reverse("patients:chart", args=[patient.pk])
    assert chart_url in sent.body
    text = (sent.subject + sent.body.replace(chart_url, "")).lower()
    for word in ("noor", "haddad", patient.mrn.lower(), "phq", "score", " 6", "mild", "suicid"):
        assert word not in text, word


def django_capture_on_commit():
    # pytest-django's fixture is not usable as a context manager here; tests run in a
    # transaction, so run on_commit callbacks as they are registered.
    from unittest import mock

    from django.db import transaction

    return mock.patch.object(transaction, "on_commit", lambda fn, *a, **k: fn())


def test_no_risk_no_mail_no_crisis_panel(patient):
    link, token = make_link(patient)
    client = Client()
    response = answer_all(client, token, "phq9", [(str(i), 0) for i in range(9)])
    assert 'data-testid="crisis-resources"' not in response.content.decode()
    assert mail.outbox == []
    assert not RiskFlag.objects.exists()


def test_answers_are_kept_when_the_page_is_left_and_back_shows_the_choice(patient):
    link, token = make_link(patient, codes=("gad7",))
    client = Client()
    answer_all(client, token, "gad7", [("0", 2), ("1", 3)])
    # Reopening the link offers "Continue" at question 3.
    start = client.get(reverse("patients:selfreport_start", args=[token])).content.decode()
    assert "Continue" in start
    assert reverse("patients:selfreport_item", args=[token, "gad7", "2"]) in start
    back = client.get(reverse("patients:selfreport_item", args=[token, "gad7", "1"]))
    assert 'value="3" class="btn btn-lg text-start btn-primary"' in back.content.decode()
    assert "Question 2 of 7" in back.content.decode()


def test_cssrs_asks_three_to_five_only_after_yes_to_two_and_scores_moderate(patient):
    link, token = make_link(patient, codes=("cssrs",))
    client = Client()
    with django_capture_on_commit():
        answer_all(
            client,
            token,
            "cssrs",
            [("q1", 1), ("q2", 1), ("q3", 1), ("q4", 0), ("q5", 0), ("q6", 0)],
        )
    measure = MeasureResult.objects.get(patient=patient, code="cssrs")
    assert measure.severity == "moderate"
    assert measure.answers == {
        "q1": True,
        "q2": True,
        "q3": True,
        "q4": False,
        "q5": False,
        "q6": False,
    }
    assert RiskFlag.objects.filter(measure=measure).exists()
    assert len(mail.outbox) == 1


def test_changing_q2_to_no_drops_the_follow_up_answers():
    answers = questions.prune("cssrs", {"q1": 1, "q2": 0, "q3": 1, "q4": 1})
    assert answers == {"q1": 1, "q2": 0}
    assert questions.next_key("cssrs", answers) == "q6"
    assert questions.item_keys("cssrs", {"q2": 0, "q6": 1}) == ["q1", "q2", "q6", "q6_recent"]


def test_two_measures_in_one_link_show_parts_and_crisis_at_once_after_the_risky_one(patient):
    link, token = make_link(patient, codes=("phq9", "gad7"))
    client = Client()
    with django_capture_on_commit():
        response = answer_all(client, token, "phq9", PHQ9_ITEM9_ONE)
    assert response.status_code == 302
    follow = client.get(response["Location"]).content.decode()
    assert "Part 2 of 2" in follow
    assert 'data-testid="crisis-resources"' in follow
    link.refresh_from_db()
    assert link.used_at is None and list(link.recorded) == ["phq9"]


@pytest.mark.parametrize("how", ["used", "expired", "altered", "other nonce"])
def test_refused_link_stores_nothing(patient, how):
    link, token = make_link(patient)
    client = Client()
    if how == "used":
        answer_all(client, token, "phq9", [(str(i), 0) for i in range(9)])
        assert MeasureResult.objects.count() == 1
    elif how == "expired":
        SelfReportLink.objects.filter(pk=link.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    elif how == "altered":
        token = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    else:
        SelfReportLink.objects.filter(pk=link.pk).update(nonce="replaced")
    before = MeasureResult.objects.count()
    progress_before = SelfReportLink.objects.get(pk=link.pk).progress
    for response in (
        client.get(reverse("patients:selfreport_start", args=[token])),
        client.post(reverse("patients:selfreport_item", args=[token, "phq9", "0"]), {"value": 3}),
    ):
        assert response.status_code == 410
        assert "Nothing was stored" in response.content.decode()
    assert MeasureResult.objects.count() == before
    assert SelfReportLink.objects.get(pk=link.pk).progress == progress_before


def test_expiry_is_checked_when_the_answer_is_written(patient):
    link, token = make_link(patient)
    with (
        time_machine.travel(link.expires_at + timedelta(seconds=1)),
        pytest.raises(tokens.LinkError),
    ):
        services.selfreport_answer(link=link, code="phq9", key="0", value=1)
    link.refresh_from_db()
    assert link.progress == {}


def test_bad_value_is_refused_with_a_message_and_keeps_the_other_answers(patient):
    link, token = make_link(patient)
    client = Client()
    answer_all(client, token, "phq9", [("0", 2)])
    response = client.post(
        reverse("patients:selfreport_item", args=[token, "phq9", "1"]), {"value": 9}
    )
    assert response.status_code == 400
    assert "Choose one of the answers" in response.content.decode()
    link.refresh_from_db()
    assert link.progress == {"phq9": {"0": 2}}


def test_a_link_without_a_primary_clinician_mails_every_clinician(clinician, provider):
    provider.email = "prov@example.org"
    provider.save()
    clinician.email = "clin@example.org"
    clinician.save()
    patient = PatientFactory()
    assert services.clinicians_to_notify(patient) == ["clin@example.org", "prov@example.org"]


@pytest.mark.parametrize(
    ("hours_before", "patient_reported", "counts"),
    [
        (1, False, True),  # same day, staff-entered
        (1, True, True),  # same day, patient-reported
        (14, False, False),  # the evening before, staff-entered: not the dose's day
        (14, True, True),  # the evening before, patient-reported: within 24 h
        (23.5, True, True),
        (24.5, True, False),  # more than 24 h before
        (-2, False, True),  # later on the dose's day
    ],
)
def test_which_screen_counts_for_a_dose(
    clinician, settings, hours_before, patient_reported, counts
):
    from patients import selectors

    settings.SELF_REPORT_CHECKLIST_HOURS = 24
    patient = PatientFactory()
    dose_at = timezone.make_aware(
        timezone.datetime.combine(
            timezone.localdate() + timedelta(days=3), timezone.datetime.min.time()
        )
    ) + timedelta(hours=10)
    taken = dose_at - timedelta(hours=hours_before)
    measure = patient_services_measure(patient, clinician, taken, patient_reported)
    found = selectors.screen_for_dose(patient, "phq9", dose_at)
    assert (found == measure) is counts
    if counts and patient_reported:
        assert selectors.screen_label(found, dose_at).startswith("Patient-reported")


def patient_services_measure(patient, clinician, taken, patient_reported):
    from patients.services import measure_record

    return measure_record(
        patient=patient,
        code="phq9",
        answers=[0] * 9,
        by=None if patient_reported else clinician,
        taken_at=taken,
        patient_reported_at=taken if patient_reported else None,
    )


def test_patient_reported_results_are_marked_on_the_outcomes(as_clinician, clinician):
    from patients.services import measure_record

    patient = PatientFactory()
    measure_record(patient=patient, code="phq9", answers=[2] * 9, by=clinician)
    now = timezone.now()
    measure_record(patient=patient, code="phq9", answers=[1] * 9, by=None, patient_reported_at=now)
    page = as_clinician.get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert 'data-testid="outcome-patient-reported-phq9"' in page
    assert "1 result the patient reported by link" in page
    assert "(patient-reported)" in page
