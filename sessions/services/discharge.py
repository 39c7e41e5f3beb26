"""Discharge after a dose (DESIGN.md, "Chair-side safety"): a modified Aldrete total of at least
9 (``sessions.discharge``), a reading after the dose ended and within 15 minutes before
discharge, no open alert, the protocol's minimum observation time, and the escort."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from sessions import discharge as discharge_rules
from sessions import selectors
from sessions.models import DosingSession, TreatmentCourse
from sessions.services.common import _charted_time, _lock

Status = DosingSession.Status
# Criteria the nurse confirms besides the Aldrete items (DESIGN.md, "Vitals": discharge).
DISCHARGE_CRITERIA = ("nausea_controlled", "escort_present", "instructions_given")
# The last reading must be this recent at discharge.
LAST_READING_WITHIN = timedelta(minutes=15)


def _hm(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


@transaction.atomic
def session_discharge(
    *,
    session: DosingSession,
    criteria: Mapping[str, bool],
    escort_name: str,
    by: User,
    activity: int,
    respiration: int,
    consciousness: int,
    on_oxygen: bool = False,
    at: datetime | None = None,
) -> DosingSession:
    """Complete the session, or refuse naming every reason and what would lift it."""
    session = _lock(session)
    at = _charted_time(session, at, "discharge")
    problems: list[str] = []
    if session.status != Status.IN_PROGRESS:
        problems.append("Only a session in progress can be completed.")
    if not session.is_dosed or session.dose_ended_at is None:
        problems.append("Record the end of the dose before discharge.")
    elif at < session.observed_until.replace(second=0, microsecond=0):
        minutes = session.course.protocol.min_observation_minutes
        problems.append(
            f"The protocol needs {minutes} minutes of observation after the dose ends: "
            f"discharge from {_hm(session.observed_until)}."
        )
    readings = list(session.vitals.filter(taken_at__lte=at).order_by("taken_at", "id"))
    open_alerts = [r for r in session.vitals.all() if r.is_open_alert]
    for reading in open_alerts:
        problems.append(
            f"Open alert at {_hm(reading.taken_at)} ({reading}: "
            + "; ".join(reading.alert_labels)
            + "): a clinician records the action taken on it first."
        )
    last = readings[-1] if readings else None
    ended = session.dose_ended_at
    if ended is not None and (last is None or last.taken_at < ended):
        problems.append(
            f"No reading since the dose ended at {_hm(ended)}: take a set of vitals now."
        )
    elif last is not None and last.taken_at < at - LAST_READING_WITHIN:
        problems.append(
            f"The last reading was at {_hm(last.taken_at)}, more than 15 minutes before "
            "discharge: take a set of vitals now."
        )
    baseline = selectors.pre_dose_baseline(session, readings)
    score = None
    if baseline is None:
        problems.append(
            "There is no pre-dose reading to compare the blood pressure with; the Aldrete "
            "circulation item cannot be scored."
        )
    elif last is not None and last.phase != "pre":
        try:
            score = discharge_rules.aldrete(
                activity=activity,
                respiration=respiration,
                consciousness=consciousness,
                systolic=last.systolic,
                systolic_baseline=baseline.systolic,
                spo2=last.spo2,
                on_oxygen=on_oxygen,
            )
        except ValueError as error:
            raise ValidationError(str(error)) from error
        if not score.fit_for_discharge:
            problems.append(
                f"Modified Aldrete total {score.total} of 10, discharge needs at least "
                f"{discharge_rules.MIN_DISCHARGE_TOTAL}: activity {score.activity}, "
                f"respiration {score.respiration}, consciousness {score.consciousness}, "
                f"circulation {score.circulation} (systolic {last.systolic} against "
                f"{baseline.systolic} before the dose), oxygenation {score.oxygenation} "
                f"(SpO₂ {last.spo2} % {'on oxygen' if on_oxygen else 'on room air'}). Let the "
                "patient recover and reassess with a new reading."
            )
    labels = {f: DosingSession._meta.get_field(f).verbose_name for f in DISCHARGE_CRITERIA}
    unmet = [str(labels[f]) for f in DISCHARGE_CRITERIA if not criteria.get(f)]
    if unmet:
        problems.append("Not yet confirmed: " + ", ".join(unmet) + ".")
    escort_name = escort_name.strip()
    if not escort_name:
        problems.append("Name the responsible adult taking the patient home.")
    if score is None and not problems:
        problems.append("Take a set of vitals after the dose so the Aldrete score can be made.")
    if problems:
        raise ValidationError(list(dict.fromkeys(problems)))
    for name in DISCHARGE_CRITERIA:
        setattr(session, name, True)
    # The Aldrete items stand for these older criteria: record them as scored.
    session.vitals_near_baseline = score.circulation == 2
    session.alert_and_oriented = score.consciousness == 2
    session.walking_steadily = score.activity == 2
    session.aldrete_activity = score.activity
    session.aldrete_respiration = score.respiration
    session.aldrete_consciousness = score.consciousness
    session.aldrete_circulation = score.circulation
    session.aldrete_oxygenation = score.oxygenation
    session.aldrete_total = score.total
    session.discharge_on_oxygen = on_oxygen
    session.discharged_with = escort_name
    session.discharged_at = at
    session.discharge_entered_at = timezone.now()
    session.discharged_by = by
    session.status = Status.COMPLETED
    session.save()
    course = TreatmentCourse.objects.select_for_update().get(pk=session.course_id)
    completed = DosingSession.objects.filter(course=course, status=Status.COMPLETED).count()
    if completed >= course.planned_sessions and course.status == TreatmentCourse.Status.ACTIVE:
        course.status = TreatmentCourse.Status.COMPLETED
        course._change_reason = f"all {completed} planned sessions completed"
        course.save()
    return session
