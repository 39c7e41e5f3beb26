"""The patient's answers through a self-report link: one item at a time, kept as they go, each
measure recorded through ``measure_record`` (scored by ``instruments.score`` only) and marked
patient-reported; a risky answer raises the usual flag and e-mails the primary clinician.

Every write re-reads the link under a row lock and refuses a used or expired one, so two taps
on an old page, or a second use, store nothing.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from kap_clinic import roles
from patients.models import CheckIn, MeasureResult, Patient, SafetyPlan, SelfReportLink
from patients.selfreport import questions
from patients.selfreport.tokens import EXPIRED, USED, LinkError
from patients.services.measures import measure_record


def link_valid_for() -> timedelta:
    return timedelta(hours=getattr(settings, "SELF_REPORT_LINK_HOURS", 72))


@transaction.atomic
def selfreport_link_create(
    *,
    patient: Patient,
    purpose: str,
    instruments: list[str] | tuple[str, ...] = (),
    by: User | None = None,
    context: str = "",
    valid_for: timedelta | None = None,
    dose_day: date | None = None,
    safety_plan: SafetyPlan | None = None,
    now: datetime | None = None,
) -> SelfReportLink:
    """A new link for ``patient``; the token is ``patients.selfreport.tokens.make_token``."""
    now = now or timezone.now()
    codes = list(dict.fromkeys(instruments))
    if purpose == SelfReportLink.Purpose.QUESTIONNAIRE:
        unknown = [code for code in codes if code not in questions.SELF_REPORT_CODES]
        if not codes or unknown:
            raise ValidationError(
                {"instruments": "Choose one or more of PHQ-9, GAD-7, PCL-5 and the C-SSRS."}
            )
    elif codes:
        raise ValidationError({"instruments": "Only a questionnaire link carries measures."})
    if purpose == SelfReportLink.Purpose.SAFETY_PLAN and (
        safety_plan is None or not safety_plan.is_signed
    ):
        raise ValidationError("Only a signed safety plan can be sent to the patient.")
    return SelfReportLink.objects.create(
        patient=patient,
        purpose=purpose,
        instruments=codes,
        context=context,
        nonce=secrets.token_urlsafe(32),
        created_at=now,
        created_by=by,
        expires_at=now + (valid_for or link_valid_for()),
        dose_day=dose_day,
        safety_plan=safety_plan,
    )


def _locked_usable(link: SelfReportLink, now: datetime) -> SelfReportLink:
    locked = SelfReportLink.objects.select_for_update().select_related("patient").get(pk=link.pk)
    if locked.used_at is not None:
        raise LinkError(USED)
    if locked.expires_at <= now:
        raise LinkError(EXPIRED)
    return locked


def current_step(link: SelfReportLink) -> tuple[str, str] | None:
    """(code, item key) the patient answers next, or None when every measure is recorded."""
    for code in link.instruments:
        if code in link.recorded:
            continue
        answers = link.progress.get(code, {})
        key = questions.next_key(code, answers)
        if key is not None:
            return code, key
    return None


@transaction.atomic
def selfreport_answer(
    *, link: SelfReportLink, code: str, key: str, value: object, now: datetime | None = None
) -> tuple[SelfReportLink, MeasureResult | None]:
    """Keep one answer; when it completes a measure, record the measure (patient-reported) and
    return it. The link is used up once every measure is recorded."""
    now = now or timezone.now()
    link = _locked_usable(link, now)
    if code not in link.instruments:
        raise ValidationError("This questionnaire is not part of the link.")
    if code in link.recorded:
        raise ValidationError("This questionnaire was already sent to the clinic.")
    answers = dict(link.progress.get(code, {}))
    if questions.item(code, key, answers) is None:
        raise ValidationError("That question does not apply; please continue.")
    number = questions.valid_value(code, value)
    if number is None:
        raise ValidationError("Choose one of the answers.")
    answers[key] = number
    answers = questions.prune(code, answers)
    link.progress = {**link.progress, code: answers}
    measure = None
    if questions.next_key(code, answers) is None:
        measure = measure_record(
            patient=link.patient,
            code=code,
            answers=questions.score_input(code, answers),
            by=None,
            taken_at=now,
            patient_reported_at=now,
            context=link.context or "self-report",
        )
        link.recorded = {**link.recorded, code: measure.pk}
        if measure.has_suicide_risk:
            link.risk_at = link.risk_at or now
            _notify_clinicians(link.patient)
        if all(c in link.recorded for c in link.instruments):
            link.used_at = now
    link.save(update_fields=["progress", "recorded", "risk_at", "used_at"])
    return link, measure


def clinicians_to_notify(patient: Patient) -> list[str]:
    """The primary clinician's address; every clinician's while the patient has none (the same
    people whose home page lists the flag)."""
    if patient.primary_clinician_id and patient.primary_clinician.email:
        return [patient.primary_clinician.email]
    users = User.objects.filter(
        Q(groups__name__in=roles.CLINICAL), is_active=True, email__gt=""
    ).distinct()
    return sorted({user.email for user in users})


def _notify_clinicians(patient: Patient) -> None:
    """E-mail that a patient's answers need review: no name, no score, a link behind login."""
    recipients = clinicians_to_notify(patient)
    if not recipients:
        return
    url = settings.SITE_URL + reverse("patients:chart", args=[patient.pk])
    body = (
        "A patient's answers sent through a self-report link need review.\n\n"
        f"Sign in to see them: {url}\n\n"
        f"{settings.CLINIC_NAME}"
    )
    transaction.on_commit(
        lambda: send_mail(
            subject=f"{settings.CLINIC_NAME}: a patient's questionnaire needs review",
            message=body,
            from_email=None,
            recipient_list=recipients,
        )
    )


# --- next-day check-in ----------------------------------------------------------------------

CHECKIN_SYMPTOMS = ("nausea", "headache", "dizziness", "unusual_distress", "thoughts_of_self_harm")
# A wellbeing this low (0 worst – 10 best) goes to the clinician like a worrying symptom.
CHECKIN_LOW_WELLBEING = 3


def checkin_is_concerning(answers: dict[str, Any]) -> bool:
    """Thoughts of self-harm, unusual distress, a request to be called or a very low wellbeing
    go to the clinician's worklist at once; nausea, headache and dizziness the day after a dose
    are expected after-effects and are only recorded."""
    return bool(
        answers.get("thoughts_of_self_harm")
        or answers.get("unusual_distress")
        or answers.get("please_call")
        or answers["wellbeing"] <= CHECKIN_LOW_WELLBEING
    )


@transaction.atomic
def checkin_submit(
    *, link: SelfReportLink, answers: dict[str, Any], now: datetime | None = None
) -> CheckIn:
    now = now or timezone.now()
    link = _locked_usable(link, now)
    if link.purpose != SelfReportLink.Purpose.CHECKIN:
        raise ValidationError("This link is not a check-in.")
    wellbeing = answers.get("wellbeing")
    if not isinstance(wellbeing, int) or not 0 <= wellbeing <= 10:
        raise ValidationError({"wellbeing": "Choose a number from 0 to 10."})
    flags = {name: bool(answers.get(name)) for name in (*CHECKIN_SYMPTOMS, "please_call")}
    checkin = CheckIn.objects.create(
        patient=link.patient,
        link=link,
        dose_day=link.dose_day,
        wellbeing=wellbeing,
        submitted_at=now,
        concerning=checkin_is_concerning({"wellbeing": wellbeing, **flags}),
        **flags,
    )
    link.used_at = now
    if checkin.thoughts_of_self_harm:
        link.risk_at = now
    link.save(update_fields=["used_at", "risk_at"])
    if checkin.concerning:
        _notify_clinicians(link.patient)
    return checkin


@transaction.atomic
def checkin_review(*, checkin: CheckIn, note: str, by: User) -> CheckIn:
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Write what was done (for example, called the patient)."})
    locked = CheckIn.objects.select_for_update().get(pk=checkin.pk)
    if locked.reviewed_at is not None:
        raise ValidationError("This check-in was already reviewed.")
    locked.reviewed_at = timezone.now()
    locked.reviewed_by = by
    locked.review_note = note
    locked.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
    return locked
