"""Reads of one patient's whole record, part by part, for the PDF and the FHIR bundle.

Each function takes the patient and returns that part's rows in a fixed number of queries, with
what the PDF and the FHIR builders need already loaded. Clinical content: callers check the role
and write the access log (``sessions.services.records``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from kap_clinic.models import AccessEvent
from patients import instruments
from patients.models import (
    Consent,
    EligibilityDecision,
    Intake,
    MeasureResult,
    Patient,
)
from scheduling.models import Appointment, Reminder
from sessions.models import (
    AdverseEvent,
    ChecklistOverride,
    DosingSession,
    IntegrationFollowUp,
    SessionAddendum,
    TreatmentCourse,
    VitalReading,
)


@dataclass(frozen=True)
class ItemAnswer:
    """One item of a measure as answered: its number, wording, value and the option's label."""

    link_id: str
    text: str
    value: int | bool | None
    label: str


def demographics(patient: Patient) -> Patient:
    return Patient.objects.select_related("primary_clinician").get(pk=patient.pk)


def intakes(patient: Patient) -> list[Intake]:
    return list(
        Intake.objects.filter(patient_id=patient.pk)
        .select_related("created_by", "signed_by")
        .prefetch_related("screen", "addenda__author")
        .order_by("created_at", "id")
    )


def measures(patient: Patient) -> list[MeasureResult]:
    found = list(
        MeasureResult.objects.filter(patient_id=patient.pk)
        .select_related("entered_by", "risk_flag__acknowledged_by")
        .order_by("taken_at", "id")
    )
    for measure in found:
        measure.item_answers = item_answers(measure)
    return found


def item_answers(measure: MeasureResult) -> list[ItemAnswer]:
    """The measure's items with the answers given, in published order."""
    instrument = instruments.INSTRUMENTS[measure.code]
    options = dict(instrument.options)
    if instrument.keys:  # the C-SSRS screener: yes/no answers keyed q1..q6_recent
        answers = measure.answers if isinstance(measure.answers, dict) else {}
        out = []
        for key, text in zip(instrument.keys, instrument.items, strict=True):
            value = answers.get(key)
            label = "Not asked" if value is None else ("Yes" if value else "No")
            out.append(ItemAnswer(key, text, value, label))
        return out
    values = measure.answers if isinstance(measure.answers, list) else []
    return [
        ItemAnswer(
            str(index),
            text,
            values[index - 1] if index <= len(values) else None,
            options.get(values[index - 1], "") if index <= len(values) else "Not answered",
        )
        for index, text in enumerate(instrument.items, start=1)
    ]


def eligibility(patient: Patient) -> list[EligibilityDecision]:
    return list(
        EligibilityDecision.objects.filter(patient_id=patient.pk)
        .select_related("signed_by")
        .order_by("signed_at", "id")
    )


def consents(patient: Patient) -> list[Consent]:
    return list(
        Consent.objects.filter(patient_id=patient.pk)
        .select_related("document", "witness", "countersigned_by", "revoked_by")
        .order_by("signed_at", "id")
    )


def treatment(patient: Patient) -> list[TreatmentCourse]:
    """Courses, each with its sessions and everything recorded in them: checklist item
    overrides, vitals, adverse events, addenda, the ledger's administration entry, CADSS-6,
    integration follow-ups."""
    sessions = DosingSession.objects.select_related(
        "lot",
        "cadss",
        "appointment",
        "ledger_entry__recorded_by",
        "administered_by",
        "supervising_provider",
        "dose_override_by",
        "checklist_override_by",
        "discharged_by",
        "signed_by",
        "created_by",
    ).prefetch_related(
        Prefetch("vitals", queryset=VitalReading.objects.select_related("recorded_by")),
        Prefetch("adverse_events", queryset=AdverseEvent.objects.select_related("recorded_by")),
        Prefetch("item_overrides", queryset=ChecklistOverride.objects.select_related("by")),
        Prefetch("addenda", queryset=SessionAddendum.objects.select_related("author")),
        Prefetch(
            "follow_ups",
            queryset=IntegrationFollowUp.objects.select_related("signed_by").prefetch_related(
                "measures"
            ),
        ),
    )
    return list(
        TreatmentCourse.objects.filter(patient_id=patient.pk)
        .select_related("protocol", "created_by", "stopped_by")
        .prefetch_related(Prefetch("sessions", queryset=sessions.order_by("number")))
        .order_by("starts_on", "id")
    )


def appointments(patient: Patient) -> list[Appointment]:
    return list(
        Appointment.objects.filter(patient_id=patient.pk)
        .select_related("type", "room", "clinician")
        .prefetch_related(Prefetch("reminders", queryset=Reminder.objects.order_by("due_at", "id")))
        .order_by("starts_at", "id")
    )


def access_log(patient: Patient) -> list[AccessEvent]:
    """Every look at the chart, oldest first (the whole log, not the chart's latest 15)."""
    return list(
        AccessEvent.objects.filter(patient_id=patient.pk)
        .select_related("user")
        .order_by("at", "id")
    )
