"""Coverage of the record export: every model that belongs to a patient — found by walking the
installed models' foreign keys to ``patients.Patient``, through courses, sessions, appointments,
groups or anything else — is in a part of the export, or on the explicit, commented
``registry.NOT_RECORD`` list. A model added on another branch (group notes, self-report check-ins,
a safety plan, a waitlist entry ...) fails this test until someone adds it to the export."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.template.loader import get_template

from sessions.records import registry


def test_every_patient_owned_model_is_in_the_export() -> None:
    missing = registry.missing_models()
    assert missing == [], (
        "These models belong to a patient but are not in the record export: "
        f"{', '.join(missing)}. Add each to a part (sessions.records.registry.register_part, "
        "or an existing part in sessions/records/parts.py with its PDF template and FHIR "
        "builder), or, if it is not part of the patient's record, to registry.NOT_RECORD "
        "with the reason."
    )


def test_the_walk_follows_foreign_keys_through_course_session_and_appointment() -> None:
    owned = registry.patient_owned_models()
    assert {
        "patients.Patient",
        "patients.ContraindicationAnswer",  # intake → patient
        "clinic_sessions.DosingSession",  # course → patient
        "clinic_sessions.VitalReading",  # session → course → patient
        "clinic_sessions.LedgerEntry",  # the administration entry → session
        "scheduling.Reminder",  # appointment → patient
    } <= owned
    # Configuration and stock are not anyone's record; history tables are versions of rows.
    assert not {"clinic_sessions.Lot", "clinic_sessions.DosingProtocol", "auth.User"} & owned
    assert not any(label.split(".")[1].startswith("Historical") for label in owned)


def test_the_coverage_check_names_a_model_left_out_of_the_export() -> None:
    removed = registry.unregister_part("treatment")
    try:
        missing = registry.missing_models()
    finally:
        registry.register_part(removed)
    assert "clinic_sessions.VitalReading" in missing
    assert "clinic_sessions.IntegrationFollowUp" in missing
    assert registry.missing_models() == []


def test_not_record_names_only_real_models_each_with_a_reason() -> None:
    for label, reason in registry.NOT_RECORD.items():
        assert apps.get_model(label) is not None
        assert len(reason) > 10


@pytest.mark.parametrize("part", registry.parts(), ids=lambda part: part.key)
def test_every_part_names_real_models_and_a_template(part) -> None:
    for label in part.models:
        apps.get_model(label)
    get_template(part.template)
