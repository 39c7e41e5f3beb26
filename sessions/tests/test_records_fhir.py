"""The FHIR export of the demo clinic: every patient's Bundle validates with fhir.resources' R4B
models, and each measure and vital sign carries its LOINC code (DESIGN.md, "Interoperability")."""

from __future__ import annotations

import json
from datetime import date, datetime, time

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from patients.models import MeasureResult, Patient
from sessions.models import DosingSession, VitalReading
from sessions.records import fhir

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
