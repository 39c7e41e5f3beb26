"""Reads of the patient's self-report: which screen counts for a dose, completion rates, the
clinician's check-in worklist. Re-exported from ``patients.selectors`` where other apps use them."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from patients.models import CheckIn, MeasureResult, Patient, SafetyPlan, SelfReportLink


def screen_for_dose(patient: Patient, code: str, dose_at: datetime) -> MeasureResult | None:
    """The PHQ-9 or C-SSRS result that counts for a dose at ``dose_at``: the latest taken on the
    dose's clinic-local day, or, for a patient-reported one, completed within
    ``SELF_REPORT_CHECKLIST_HOURS`` (default 24) before the dose (issue 14: answered on the phone
    the evening before counts). ``None`` when there is none."""
    local = timezone.localtime(dose_at)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    day_end = day_start + timedelta(days=1)
    hours = timedelta(hours=getattr(settings, "SELF_REPORT_CHECKLIST_HOURS", 24))
    return (
        MeasureResult.objects.filter(patient_id=patient.pk, code=code)
        .filter(
            Q(taken_at__gte=day_start, taken_at__lt=day_end)
            | Q(
                patient_reported_at__isnull=False,
                taken_at__gte=dose_at - hours,
                taken_at__lt=day_end,
            )
        )
        .order_by("-taken_at", "-id")
        .first()
    )


def screen_label(measure: MeasureResult, dose_at: datetime) -> str:
    """What the checklist says about the result it used, e.g. "Patient-reported Mon 7 Dec
    20:14: 6 · mild" or "Today: 6 · mild"."""
    result = measure.result_label
    if measure.total is None:
        result = "no risk identified" if measure.severity == "none" else f"{measure.severity} risk"
    taken = timezone.localtime(measure.taken_at)
    if measure.is_patient_reported:
        return f"Patient-reported {taken:%a %-d %b %H:%M}: {result}"
    same_day = taken.date() == timezone.localtime(dose_at).date()
    return f"{'Today' if same_day else f'{taken:%a %-d %b}'}: {result}"


def completion(patient: Patient) -> dict[str, int | None]:
    """Questionnaire links sent to the patient, how many were completed, and the rate (%)."""
    links = SelfReportLink.objects.filter(
        patient_id=patient.pk, purpose=SelfReportLink.Purpose.QUESTIONNAIRE
    )
    counts = links.aggregate(sent=Count("pk"), done=Count("pk", filter=Q(used_at__isnull=False)))
    sent, done = counts["sent"], counts["done"]
    return {"sent": sent, "done": done, "rate": round(100 * done / sent) if sent else None}


def recent_links(patient: Patient, limit: int = 10) -> list[SelfReportLink]:
    return list(
        SelfReportLink.objects.filter(patient_id=patient.pk).order_by("-created_at")[:limit]
    )


def recent_checkins(patient: Patient, limit: int = 5) -> list[CheckIn]:
    return list(CheckIn.objects.filter(patient_id=patient.pk).order_by("-submitted_at")[:limit])


def open_checkins_for_clinician(user: User) -> QuerySet[CheckIn]:
    """Concerning check-ins not yet reviewed, for the clinician's own patients and patients with
    no primary clinician (as the risk flags)."""
    return (
        CheckIn.objects.filter(concerning=True, reviewed_at__isnull=True)
        .filter(Q(patient__primary_clinician=user) | Q(patient__primary_clinician__isnull=True))
        .select_related("patient")
        .order_by("-submitted_at", "-id")
    )


def safety_plans(patient: Patient) -> list[SafetyPlan]:
    return list(
        SafetyPlan.objects.filter(patient_id=patient.pk)
        .select_related("signed_by", "created_by")
        .order_by("-version")
    )
