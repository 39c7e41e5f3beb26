"""The de-identified research export (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)): one row per
dosed session, with the measures, route, dose per kg, CADSS-6 and adverse events.

Safe Harbor removes the 18 identifiers. Here: no names, contact details, addresses, MRN or other
record numbers, and no free text (a note may name anyone); no dates — every time is a whole
number of days from the patient's first dose; ages above 89 are "90+"; patients are known only by
a random study id drawn afresh for each export, so two exports cannot be joined on it and no id
leads back to a record. Rows are ordered by study id, not by registration.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from patients import instruments
from patients import selectors as patient_selectors
from patients.models import MeasureResult, age_on
from sessions.models import AdverseEvent, DosingSession

# Safe Harbor: "all elements of dates (except year) ... and all ages over 89 ... aggregated into a
# single category of age 90 or older".
AGE_CAP = 89

COLUMNS = (
    "study_id",
    "route",
    "protocol",
    "session_number",
    "day_from_first_dose",
    "age_at_first_dose",
    "sex_assigned_at_birth",
    "weight_kg",
    "dose_mg_per_kg",
    "dose_mg",
    "phq9_baseline",
    "phq9_before_dose",
    "gad7_baseline",
    "gad7_before_dose",
    "pcl5_baseline",
    "pcl5_before_dose",
    "cadss6",
    "adverse_events",
    "integration_follow_up_within_72h",
)


def age_band(age: int) -> str:
    return "90+" if age > AGE_CAP else str(age)


def _study_ids(patient_ids: list[int]) -> dict[int, str]:
    ids: dict[int, str] = {}
    used: set[str] = set()
    for patient_id in patient_ids:
        token = secrets.token_hex(4)
        while token in used:
            token = secrets.token_hex(4)
        used.add(token)
        ids[patient_id] = f"S-{token}"
    return ids


def deidentified_rows() -> list[dict[str, Any]]:
    """Every dosed session of the clinic as a de-identified row (see the module docstring)."""
    sessions = list(
        DosingSession.objects.filter(dose_started_at__isnull=False)
        .select_related("course__protocol", "course__patient", "cadss")
        .prefetch_related(
            Prefetch("adverse_events", queryset=AdverseEvent.objects.order_by("onset_at")),
            "follow_ups",
        )
        .order_by("dose_started_at", "id")
    )
    by_patient: dict[int, list[DosingSession]] = defaultdict(list)
    for session in sessions:
        by_patient[session.course.patient_id].append(session)
    results: dict[int, list[MeasureResult]] = defaultdict(list)
    for measure in MeasureResult.objects.filter(
        patient_id__in=list(by_patient), code__in=instruments.OUTCOME_MEASURES
    ).order_by("taken_at", "id"):
        results[measure.patient_id].append(measure)
    study_ids = _study_ids(list(by_patient))
    rows = []
    for patient_id, mine in by_patient.items():
        patient = mine[0].course.patient
        first = timezone.localdate(mine[0].dose_started_at)
        baselines = {
            row.instrument.code: row.baseline.total if row.baseline else None
            for row in patient_selectors.outcomes_for_chart(patient)
        }
        previous = None
        for session in mine:
            dosed = session.dose_started_at
            before = {
                code: _latest_between(results[patient_id], code, previous, dosed)
                for code in instruments.OUTCOME_MEASURES
            }
            rows.append(
                {
                    "study_id": study_ids[patient_id],
                    "route": session.course.protocol.route,
                    "protocol": session.course.protocol.name,
                    "session_number": session.number,
                    "day_from_first_dose": (timezone.localdate(dosed) - first).days,
                    "age_at_first_dose": age_band(age_on(patient.date_of_birth, first)),
                    "sex_assigned_at_birth": patient.sex_assigned_at_birth,
                    "weight_kg": session.weight_kg,
                    "dose_mg_per_kg": session.mg_per_kg,
                    "dose_mg": session.total_mg,
                    "phq9_baseline": _blank(baselines.get(instruments.PHQ9)),
                    "phq9_before_dose": _blank(before[instruments.PHQ9]),
                    "gad7_baseline": _blank(baselines.get(instruments.GAD7)),
                    "gad7_before_dose": _blank(before[instruments.GAD7]),
                    "pcl5_baseline": _blank(baselines.get(instruments.PCL5)),
                    "pcl5_before_dose": _blank(before[instruments.PCL5]),
                    "cadss6": _blank(session.cadss.total if session.cadss else None),
                    # Kinds and severities only: the descriptions are free text.
                    "adverse_events": ";".join(
                        f"{event.kind}:{event.severity}" for event in session.adverse_events.all()
                    ),
                    "integration_follow_up_within_72h": "yes"
                    if any(
                        f.held_at <= session.integration_due_by for f in session.follow_ups.all()
                    )
                    else "no",
                }
            )
            previous = dosed
    rows.sort(key=lambda row: (row["study_id"], row["session_number"], row["day_from_first_dose"]))
    return rows


def _latest_between(results: list[MeasureResult], code: str, after, until) -> int | None:
    """The latest total of ``code`` taken after the previous dose and up to this one."""
    found = None
    for result in results:
        if result.code != code or result.taken_at > until:
            continue
        if after is not None and result.taken_at <= after:
            continue
        found = result.total
    return found


def _blank(value: Any) -> Any:
    return "" if value is None else value
