"""Records out on the demo clinic (seeded once for the module): every patient's FHIR Bundle
validates with fhir.resources' R4B models and each measure and vital sign carries its LOINC code
(DESIGN.md, "Interoperability"); every row of Robin's record is in the bundle; the outcomes report
equals the patients' own Outcomes sections; the de-identified export names no one."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from kap_clinic.models import AccessEvent
from patients.models import (
    Consent,
    EligibilityDecision,
    Intake,
    IntakeAddendum,
    MeasureResult,
    Patient,
    RiskFlag,
)
from scheduling.models import Appointment, GroupAttendance, GroupWaitlistEntry, Reminder
from sessions.models import (
    AdverseEvent,
    DosingSession,
    GroupNote,
    GroupNoteAddendum,
    IntegrationFollowUp,
    LedgerEntry,
    SessionAddendum,
    TreatmentCourse,
    VitalReading,
)
from sessions.records import deidentify, fhir, outcomes_report, registry

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.combine(date(2026, 11, 25), time(11, 35)))


@pytest.fixture(scope="module")
def demo_clinic(django_db_setup, django_db_blocker):
    """``seed_demo`` once for the module, rolled back at its end."""
    with django_db_blocker.unblock(), time_machine.travel(NOW, tick=False), transaction.atomic():
        call_command("seed_demo", "--force", verbosity=0)
        yield
        transaction.set_rollback(True)


def _codes(resource: dict) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for c in resource.get("code", {}).get("coding", [])}


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_every_demo_patients_bundle_validates_as_fhir_r4(demo_clinic) -> None:
    patients = list(Patient.objects.all())
    assert len(patients) >= 25
    for patient in patients:
        bundle = fhir.record_bundle(patient)
        parsed = fhir.validate_bundle(json.loads(json.dumps(bundle)))
        assert parsed.type == "collection"
        kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
        assert "Patient" in kinds


def test_robins_bundle_has_each_kind_of_resource_with_its_loinc_codes(demo_clinic) -> None:
    robin = Patient.objects.get(legal_first_name="Robin", legal_last_name="Ellery")
    bundle = fhir.record_bundle(robin)
    fhir.validate_bundle(bundle)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds >= {
        "Patient",
        "Practitioner",
        "Appointment",
        "Encounter",
        "QuestionnaireResponse",
        "Observation",
        "MedicationAdministration",
        "Consent",
        "AllergyIntolerance",
        "DocumentReference",
        "EpisodeOfCare",
    }
    # One total Observation per measure, coded with LOINC where LOINC has the measure.
    loinc_total = {"phq9": "44261-6", "gad7": "70274-6", "pcl5": "101698-9"}
    observations = {o["id"]: o for o in _resources(bundle, "Observation")}
    measures = MeasureResult.objects.filter(patient=robin)
    assert measures.count() > 3
    for measure in measures:
        observation = observations[f"measure-{measure.pk}"]
        if measure.code in loinc_total:
            assert ("http://loinc.org", loinc_total[measure.code]) in _codes(observation)
        else:  # C-SSRS screener and CADSS-6: the clinic's own code system
            assert any(
                system.endswith("/fhir/CodeSystem/measures") for system, _ in _codes(observation)
            )
    responses = {r["id"]: r for r in _resources(bundle, "QuestionnaireResponse")}
    phq9 = measures.filter(code="phq9").first()
    assert responses[f"qr-{phq9.pk}"]["questionnaire"] == "http://loinc.org/q/44249-1"
    assert [i["answer"][0]["valueInteger"] for i in responses[f"qr-{phq9.pk}"]["item"]] == (
        phq9.answers
    )
    # Every vital-sign reading: BP panel with systolic/diastolic components, HR, SpO2.
    readings = VitalReading.objects.filter(session__course__patient=robin)
    assert readings.count() >= 21
    for reading in readings:
        bp = observations[f"vitals-bp-{reading.pk}"]
        assert ("http://loinc.org", "85354-9") in _codes(bp)
        components = {
            c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in bp["component"]
        }
        assert components == {"8480-6": reading.systolic, "8462-4": reading.diastolic}
        assert ("http://loinc.org", "8867-4") in _codes(observations[f"vitals-hr-{reading.pk}"])
        assert ("http://loinc.org", "59408-5") in _codes(observations[f"vitals-spo2-{reading.pk}"])
    weights = [o for o in observations.values() if ("http://loinc.org", "29463-7") in _codes(o)]
    assert weights
    # Each dose: ketamine (RxNorm 6130), the route, mg and the lot.
    doses = {d["id"]: d for d in _resources(bundle, "MedicationAdministration")}
    dosed = DosingSession.objects.filter(course__patient=robin, dose_started_at__isnull=False)
    assert dosed.count() == 3
    for session in dosed:
        dose = doses[f"dose-{session.pk}"]
        medication = dose["contained"][0]
        assert medication["code"]["coding"][0] == {
            "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
            "code": "6130",
            "display": "ketamine",
        }
        assert medication["batch"]["lotNumber"] == session.lot.lot_number
        assert dose["dosage"]["route"]["coding"][0]["code"] == "47625008"  # IV
        assert dose["dosage"]["dose"]["value"] == float(session.total_mg)


# Where each model's rows land in the bundle: resource type and id prefix (+ the row's pk).
ROW_RESOURCES = {
    "patients.Patient": ("Patient", ""),
    "patients.Intake": ("DocumentReference", "intake-"),
    "patients.IntakeAddendum": ("DocumentReference", "intake-addendum-"),
    "patients.MeasureResult": ("Observation", "measure-"),
    "patients.RiskFlag": ("Flag", "flag-"),
    "patients.EligibilityDecision": ("DocumentReference", "eligibility-"),
    "patients.Consent": ("Consent", "consent-"),
    "clinic_sessions.TreatmentCourse": ("EpisodeOfCare", "course-"),
    "clinic_sessions.DosingSession": ("Encounter", "session-"),
    "clinic_sessions.VitalReading": ("Observation", "vitals-bp-"),
    "clinic_sessions.AdverseEvent": ("AdverseEvent", "ae-"),
    "clinic_sessions.SessionAddendum": ("DocumentReference", "session-addendum-"),
    "clinic_sessions.IntegrationFollowUp": ("Encounter", "followup-"),
    "scheduling.Appointment": ("Appointment", "appt-"),
    "scheduling.Reminder": ("Communication", "reminder-"),
    "kap_clinic.AccessEvent": ("AuditEvent", "access-"),
    "clinic_sessions.GroupNoteAddendum": ("DocumentReference", "group-addendum-"),
    "scheduling.GroupWaitlistEntry": ("Appointment", "group-wait-"),
}


def _rows_of(patient: Patient) -> dict[str, list[int]]:
    p = patient.pk
    return {
        "patients.Patient": [p],
        "patients.Intake": list(Intake.objects.filter(patient=p).values_list("pk", flat=True)),
        "patients.IntakeAddendum": list(
            IntakeAddendum.objects.filter(intake__patient=p).values_list("pk", flat=True)
        ),
        "patients.MeasureResult": list(
            MeasureResult.objects.filter(patient=p).values_list("pk", flat=True)
        ),
        "patients.RiskFlag": list(RiskFlag.objects.filter(patient=p).values_list("pk", flat=True)),
        "patients.EligibilityDecision": list(
            EligibilityDecision.objects.filter(patient=p).values_list("pk", flat=True)
        ),
        "patients.Consent": list(Consent.objects.filter(patient=p).values_list("pk", flat=True)),
        "clinic_sessions.TreatmentCourse": list(
            TreatmentCourse.objects.filter(patient=p).values_list("pk", flat=True)
        ),
        "clinic_sessions.DosingSession": list(
            DosingSession.objects.filter(course__patient=p).values_list("pk", flat=True)
        ),
        "clinic_sessions.VitalReading": list(
            VitalReading.objects.filter(session__course__patient=p).values_list("pk", flat=True)
        ),
        "clinic_sessions.AdverseEvent": list(
            AdverseEvent.objects.filter(session__course__patient=p).values_list("pk", flat=True)
        ),
        "clinic_sessions.SessionAddendum": list(
            SessionAddendum.objects.filter(session__course__patient=p).values_list("pk", flat=True)
        ),
        "clinic_sessions.IntegrationFollowUp": list(
            IntegrationFollowUp.objects.filter(session__course__patient=p).values_list(
                "pk", flat=True
            )
        ),
        "scheduling.Appointment": list(
            Appointment.objects.filter(patient=p).values_list("pk", flat=True)
        ),
        "scheduling.Reminder": list(
            Reminder.objects.filter(appointment__patient=p).values_list("pk", flat=True)
        ),
        "kap_clinic.AccessEvent": list(
            AccessEvent.objects.filter(patient_id=p).values_list("pk", flat=True)
        ),
        "clinic_sessions.GroupNoteAddendum": list(
            GroupNoteAddendum.objects.filter(patient=p).values_list("pk", flat=True)
        ),
        "scheduling.GroupWaitlistEntry": list(
            GroupWaitlistEntry.objects.filter(patient=p).values_list("pk", flat=True)
        ),
    }


@pytest.mark.parametrize(("first", "last"), [("Samuel", "Adeyemi"), ("Leah", "Johansson")])
def test_every_group_row_of_a_circle_member_is_in_the_bundle(demo_clinic, first, last) -> None:
    patient = Patient.objects.get(legal_first_name=first, legal_last_name=last)
    bundle = fhir.record_bundle(patient)
    ids = {(e["resource"]["resourceType"], e["resource"]["id"]) for e in bundle["entry"]}
    rows = _rows_of(patient)
    group_rows = ("clinic_sessions.GroupNoteAddendum", "scheduling.GroupWaitlistEntry")
    for label in group_rows:
        kind, prefix = ROW_RESOURCES[label]
        for pk in rows[label]:
            assert (kind, f"{prefix}{pk}") in ids, f"{label} {pk} is missing from the bundle"
    attended = GroupAttendance.objects.filter(appointment__patient=patient)
    for attendance in attended:
        encounter = next(
            e["resource"]
            for e in bundle["entry"]
            if e["resource"]["id"] == f"group-meeting-{attendance.appointment.group_meeting_id}"
        )
        assert encounter["extension"][0]["valueCoding"]["code"] == attendance.status
    notes = GroupNote.objects.filter(meeting__seats__patient=patient, signed_at__isnull=False)
    for note in notes:
        assert ("DocumentReference", f"group-note-{note.pk}") in ids
    if first == "Samuel":
        assert attended.exists() and notes.exists()
    else:
        assert rows["scheduling.GroupWaitlistEntry"]


def test_every_row_of_robins_record_is_in_the_bundle(demo_clinic, provider) -> None:
    robin = Patient.objects.get(legal_first_name="Robin", legal_last_name="Ellery")
    # A look at the chart, so the access log has a row to carry.
    assert client_for(provider).get(reverse("patients:chart", args=[robin.pk])).status_code == 200
    bundle = fhir.record_bundle(robin)
    ids = {(e["resource"]["resourceType"], e["resource"]["id"]) for e in bundle["entry"]}
    rows = _rows_of(robin)
    # Every model the export covers is checked here; the ledger entry is in the dose's notes, the
    # contraindication answers in the intake's document and the checklist item overrides in the
    # session's document. A group meeting's attendance is on its Encounter, the member's private
    # part and the integration credit in the group note's document.
    inside = {
        "clinic_sessions.LedgerEntry",
        "patients.ContraindicationAnswer",
        "clinic_sessions.ChecklistOverride",
        "scheduling.GroupAttendance",
        "clinic_sessions.GroupNotePrivate",
        "clinic_sessions.GroupIntegrationCredit",
        # Self-report check-ins and safety plans: test_records_selfreport.py (Robin has none).
        "patients.CheckIn",
        "patients.SafetyPlan",
    }
    assert set(ROW_RESOURCES) | inside == registry.covered_models()
    optional = {  # Robin has none of these in the demo
        "patients.IntakeAddendum",
        "patients.RiskFlag",
        "clinic_sessions.AdverseEvent",
        "clinic_sessions.SessionAddendum",
        "clinic_sessions.GroupNoteAddendum",
        "scheduling.GroupWaitlistEntry",
    }
    assert all(pks for label, pks in rows.items() if label not in optional)
    for label, pks in rows.items():
        kind, prefix = ROW_RESOURCES[label]
        for pk in pks:
            assert (kind, f"{prefix}{pk}") in ids, f"{label} {pk} is missing from the bundle"
    ledger = LedgerEntry.objects.filter(session__course__patient=robin, kind="administration")
    notes = " ".join(
        n["text"]
        for e in bundle["entry"]
        for n in e["resource"].get("note", [])
        if e["resource"]["resourceType"] == "MedicationAdministration"
    )
    assert ledger.count() == 3
    for entry in ledger:
        assert f"ledger entry {entry.pk}:" in notes
    intake = Intake.objects.get(patient=robin)
    document = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["id"] == f"intake-{intake.pk}"
    )
    text = base64.b64decode(document["content"][0]["attachment"]["data"]).decode()
    answers = list(intake.screen.all())
    assert answers
    for answer in answers:
        assert f"{answer.get_item_display()} (" in text


# --- the outcomes report equals the patients' own outcome pages --------------------------------

ROW = re.compile(r'<tr data-testid="outcome-(\w+)">(.*?)</tr>', re.S)
CHANGE = re.compile(r'data-testid="outcome-change">([+-]?\d+)<')


def _page_outcomes(client, patient: Patient) -> dict[str, str]:
    html = client.get(reverse("patients:chart", args=[patient.pk])).content.decode()
    return dict(ROW.findall(html))


def _mean(values: list[int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def test_outcomes_report_figures_equal_the_patients_outcome_pages(demo_clinic, provider) -> None:
    today = NOW.date()
    report = outcomes_report.outcomes_report(start=today - timedelta(days=400), end=today)
    assert {g.route for g in report.groups} == {"Intravenous (IV)", "Intramuscular (IM)"}
    client = client_for(provider)
    for group in [*report.groups, report.total]:
        evaluable = responders = remitters = 0
        gad7: list[int] = []
        pcl5: list[int] = []
        patients = (
            {c.patient_id: c.patient for c in group.courses}
            if group.courses
            else {c.patient_id: c.patient for g in report.groups for c in g.courses}
        )
        for patient in patients.values():
            rows = _page_outcomes(client, patient)
            phq9 = rows.get("phq9", "")
            if 'data-testid="outcome-change"' in phq9:
                evaluable += 1
                responders += ">response</span>" in phq9
                remitters += ">remission</span>" in phq9
            for code, into in (("gad7", gad7), ("pcl5", pcl5)):
                found = CHANGE.search(rows.get(code, ""))
                if found:
                    into.append(int(found.group(1)))
        assert group.patients_started == len(patients)
        assert (group.phq9_evaluable, group.phq9_responders, group.phq9_remitters) == (
            evaluable,
            responders,
            remitters,
        ), group.label
        assert group.gad7_mean_change == _mean(gad7)
        assert group.pcl5_mean_change == _mean(pcl5)
    # The demo has responders and non-responders, so the comparison says something.
    assert 0 < report.total.phq9_responders < report.total.phq9_evaluable
    assert report.total.dosed_sessions > 20
    assert report.total.median_sessions_to_response is not None


def test_outcomes_report_page_and_csv_show_the_same_figures(demo_clinic, provider) -> None:
    client = client_for(provider)
    query = {"start": "2025-01-01", "end": NOW.date().isoformat()}
    page = client.get(reverse("records:outcomes"), query)
    assert page.status_code == 200
    report = page.context["report"]
    body = page.content.decode()
    total = report.total
    assert f"{total.phq9_responders} of {total.phq9_evaluable}" in body
    rows = list(
        csv.reader(io.StringIO(client.get(reverse("records:outcomes_csv"), query).content.decode()))
    )
    header, last = rows[0], rows[-1]
    assert last[0] == "All routes and protocols"
    record = dict(zip(header, last, strict=True))
    assert int(record["phq9_responders"]) == total.phq9_responders
    assert record["phq9_response_rate_pct"] == str(total.response_rate)
    assert len(rows) == len(report.groups) + 2


# --- the de-identified export ----------------------------------------------------------------


def _identifiers(patient: Patient) -> list[str]:
    found = [
        patient.legal_first_name,
        patient.legal_last_name,
        patient.preferred_name,
        patient.mrn,
        patient.email,
        patient.address_line1,
        patient.city,
        patient.postal_code,
        patient.emergency_contact_name,
        patient.date_of_birth.isoformat(),
        patient.date_of_birth.strftime("%m/%d/%Y"),
    ]
    for phone in (patient.phone, patient.emergency_contact_phone):
        if phone:
            found += [str(phone), str(phone.national_number)]
    return [value for value in found if value and len(value) >= 3]


def test_research_export_has_none_of_the_demo_patients_identifiers(demo_clinic, provider) -> None:
    response = client_for(provider).post(reverse("records:research_export"))
    assert response.status_code == 200
    text = response.content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == DosingSession.objects.filter(dose_started_at__isnull=False).count() > 20
    lowered = text.lower()
    for patient in Patient.objects.all():
        for value in _identifiers(patient):
            assert not re.search(rf"\b{re.escape(value.lower())}\b", lowered), (
                f"an identifier of patient {patient.pk} is in the export"
            )
    # No dates at all: times are days from the first dose.
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}", text)
    assert {row["day_from_first_dose"] for row in rows if row["session_number"] == "1"} == {"0"}
    # A fresh random study id per export: the same patients, none of the same ids.
    again = {row["study_id"] for row in deidentify.deidentified_rows()}
    first = {row["study_id"] for row in rows}
    assert len(again) == len(first) and not (again & first)
