"""The group sessions part of a member's exported record: the shared part of each signed group
note, that member's own private part and addenda, never another member's; the waiting list; the
group that counted as the integration follow-up. PDF page and FHIR bundle."""

from __future__ import annotations

import base64
import json

import pytest

from patients.tests.factories import PatientFactory
from scheduling import services as scheduling
from scheduling.tests.group_factories import group_type, meeting, started_meeting
from sessions import services
from sessions.models import GroupIntegrationCredit, IntegrationFollowUp
from sessions.records import fhir, groups_part, pdf
from sessions.tests.factories import make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(clinician):
    ana, ben = PatientFactory(), PatientFactory()
    m, seats = started_meeting(members=[ana, ben], kind=group_type(capacity=2))
    scheduling.group_attendance_record(
        meeting=m, statuses={seats[0].pk: "late", seats[1].pk: "present"}, by=clinician
    )
    note = services.group_note_save(
        meeting=m,
        themes="SHARED-THEMES",
        practices="Body scan",
        private={ana.pk: "ANA-OWN-PART", ben.pk: "BEN-OWN-PART"},
        by=clinician,
    )
    note = services.group_note_sign(note=note, by=clinician)
    services.group_note_addendum_add(note=note, text="ANA-ADDENDUM", patient=ana, by=clinician)
    services.group_note_addendum_add(note=note, text="BEN-ADDENDUM", patient=ben, by=clinician)
    services.group_note_addendum_add(note=note, text="SHARED-ADDENDUM", by=clinician)
    return note, ana, ben


def _fhir_text(patient) -> str:
    """The bundle's JSON with every attachment's text decoded after it."""
    record = services.record_collect(patient)
    bundle = fhir.record_bundle(patient, record)
    fhir.validate_bundle(bundle)
    texts = [
        base64.b64decode(content["attachment"]["data"]).decode()
        for entry in bundle["entry"]
        for content in entry["resource"].get("content", [])
    ]
    return json.dumps(bundle) + "\n".join(texts)


def test_a_member_gets_the_shared_part_and_only_their_own_part(signed) -> None:
    note, ana, ben = signed
    for text in (pdf.record_html(ana, exported_by="test"), _fhir_text(ana)):
        assert "SHARED-THEMES" in text and "SHARED-ADDENDUM" in text
        assert "ANA-OWN-PART" in text and "ANA-ADDENDUM" in text
        assert "BEN-OWN-PART" not in text and "BEN-ADDENDUM" not in text
        assert "Late" in text
    assert f'"id": "group-note-{note.pk}"' in _fhir_text(ben)


def test_the_part_reads_a_fixed_number_of_queries(
    signed, clinician, django_assert_max_num_queries
) -> None:
    _, ana, _ = signed
    second, seats = started_meeting(members=[ana], minutes_ago=300)
    scheduling.group_attendance_record(
        meeting=second, statuses={seats[0].pk: "present"}, by=clinician
    )
    with django_assert_max_num_queries(6):
        data = groups_part.collect(ana)
    assert len(data.meetings) == 2
    assert data.meetings[0].meeting == second  # oldest first


def test_the_waiting_list_and_the_integration_credit_are_in_the_record(clinician) -> None:
    session = make_session(by=clinician)
    patient = session.course.patient
    full = meeting(kind=group_type(capacity=2))
    for _ in range(2):
        scheduling.group_enrol(meeting=full, patient=PatientFactory(), by=clinician)
    scheduling.group_waitlist_join(meeting=full, patient=patient, by=clinician)
    m, seats = started_meeting(members=[patient], minutes_ago=60)
    scheduling.group_attendance_record(meeting=m, statuses={seats[0].pk: "present"}, by=clinician)
    note = services.group_note_save(
        meeting=m, themes="Themes", practices="", private={}, by=clinician
    )
    note = services.group_note_sign(note=note, by=clinician)
    follow_up = IntegrationFollowUp.objects.create(
        session=session, themes="T", plan="P", signed_by=clinician
    )
    GroupIntegrationCredit.objects.create(follow_up=follow_up, note=note)
    html = pdf.record_html(patient, exported_by="test")
    assert "Waiting list for" in html and "Waiting" in html
    assert f"integration follow-up after dosing session {session.number}" in html
    text = _fhir_text(patient)
    assert '"status": "waitlist"' in text
    assert f"follow-up after dosing session {session.number}" in text


def test_the_pdf_prints_with_the_group_part(signed) -> None:
    _, ana, _ = signed
    assert pdf.record_pdf(ana, exported_by="test").startswith(b"%PDF-")
