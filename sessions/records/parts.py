"""The record's parts for the models of this project (registered from ``SessionsConfig.ready``).

Other apps add theirs with ``registry.register_part`` (see that module). The ``models`` of each
part are what the coverage test holds against every model that belongs to a patient.
"""

from __future__ import annotations

from sessions.records import collect, fhir_chart, fhir_treatment, groups_part, selfreport
from sessions.records.registry import Part, register_part

TEMPLATES = "sessions/records/parts"

PARTS = (
    Part(
        key="demographics",
        title="Demographics",
        models=("patients.Patient",),
        collect=collect.demographics,
        template=f"{TEMPLATES}/demographics.html",
        fhir=fhir_chart.patient_resources,
        order=10,
    ),
    Part(
        key="intake",
        title="Intake assessment",
        models=("patients.Intake", "patients.ContraindicationAnswer", "patients.IntakeAddendum"),
        collect=collect.intakes,
        template=f"{TEMPLATES}/intake.html",
        fhir=fhir_chart.intake_resources,
        order=20,
    ),
    Part(
        key="measures",
        title="Measures",
        models=("patients.MeasureResult", "patients.RiskFlag"),
        collect=collect.measures,
        template=f"{TEMPLATES}/measures.html",
        fhir=fhir_chart.measure_resources,
        order=30,
    ),
    Part(
        key="eligibility",
        title="Eligibility",
        models=("patients.EligibilityDecision",),
        collect=collect.eligibility,
        template=f"{TEMPLATES}/eligibility.html",
        fhir=fhir_chart.eligibility_resources,
        order=40,
    ),
    Part(
        key="consents",
        title="Consents signed",
        models=("patients.Consent",),
        collect=collect.consents,
        template=f"{TEMPLATES}/consents.html",
        fhir=fhir_chart.consent_resources,
        order=50,
    ),
    Part(
        key="self_report",
        title="Self-report: next-day check-ins and safety plan",
        models=("patients.CheckIn", "patients.SafetyPlan"),
        collect=selfreport.collect,
        template=f"{TEMPLATES}/self_report.html",
        fhir=selfreport.fhir,
        order=55,
    ),
    Part(
        key="treatment",
        title="Treatment courses and dosing sessions",
        models=(
            "clinic_sessions.TreatmentCourse",
            "clinic_sessions.DosingSession",
            "clinic_sessions.VitalReading",
            "clinic_sessions.AdverseEvent",
            # A provider's override of one checklist item before the dose, with the reason.
            "clinic_sessions.ChecklistOverride",
            "clinic_sessions.SessionAddendum",
            "clinic_sessions.IntegrationFollowUp",
            # The administration entry of the controlled-substance ledger, with its dose.
            "clinic_sessions.LedgerEntry",
        ),
        collect=collect.treatment,
        template=f"{TEMPLATES}/treatment.html",
        fhir=fhir_treatment.treatment_resources,
        order=60,
    ),
    groups_part.PART,
    Part(
        key="appointments",
        title="Appointments",
        models=("scheduling.Appointment", "scheduling.Reminder"),
        collect=collect.appointments,
        template=f"{TEMPLATES}/appointments.html",
        fhir=fhir_treatment.appointment_resources,
        order=80,
    ),
    Part(
        key="access_log",
        title="Who opened this record",
        # Keyed by the patient's id, not a foreign key, so the walk does not find it.
        models=("kap_clinic.AccessEvent",),
        collect=collect.access_log,
        template=f"{TEMPLATES}/access_log.html",
        fhir=fhir_treatment.access_resources,
        order=90,
    ),
)


def register() -> None:
    for part in PARTS:
        register_part(part)
