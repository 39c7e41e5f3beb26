"""The self-report part of the exported record: next-day check-ins and every safety-plan
version, in the FHIR bundle (valid R4B) and in the PDF's HTML."""

from __future__ import annotations

import pytest

from patients import services
from patients.tests.factories import PatientFactory
from sessions.records import fhir, pdf

pytestmark = pytest.mark.django_db


def test_checkins_and_safety_plans_are_exported(clinician) -> None:
    patient = PatientFactory()
    link = services.selfreport_link_create(patient=patient, purpose="checkin")
    services.checkin_submit(
        link=link, answers={"wellbeing": 3, "nausea": True, "please_call": True}
    )
    plan = services.safety_plan_save(
        patient=patient, by=clinician, warning_signs="Not sleeping", reasons_for_living="My kids"
    )
    services.safety_plan_sign(plan=plan, by=clinician)
    services.safety_plan_save(patient=patient, by=clinician, warning_signs="Withdrawing")

    bundle = fhir.record_bundle(patient)
    fhir.validate_bundle(bundle)
    resources = {entry["resource"]["id"]: entry["resource"] for entry in bundle["entry"]}
    checkin = next(r for key, r in resources.items() if key.startswith("checkin-"))
    answers = {item["linkId"]: item["answer"][0] for item in checkin["item"]}
    assert answers["wellbeing"] == {"valueInteger": 3}
    assert answers["please_call"] == {"valueBoolean": True}
    assert checkin["author"]["reference"].startswith("Patient/")
    plans = [r for key, r in resources.items() if key.startswith("safety-plan-")]
    assert sorted((p["status"], p["docStatus"]) for p in plans) == [
        ("current", "final"),
        ("superseded", "preliminary"),
    ]

    html = pdf.record_html(patient, exported_by="test")
    for text in ("Next-day check-ins", "asked for a call", "concerning", "Not sleeping", "My kids"):
        assert text in html
    assert "Version 2" in html and "Withdrawing" in html
