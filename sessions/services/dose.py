"""The dose at the chair: weight checks, dosing weight, the checklist's hard stops and
per-item overrides, pre-dose holds, the protocol's range and cap, and the ledger entry — all in
one transaction; and the end of an infusion."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kap_clinic import roles
from patients import selectors as patient_selectors
from sessions import dosing, selectors
from sessions.dosing import dose_problems
from sessions.models import DosingSession, LedgerEntry, Lot
from sessions.services.common import _charted_time, _lock
from sessions.services.ledger import _ledger_append

Status = DosingSession.Status
Kind = LedgerEntry.Kind
WEIGHT_UNITS = ("kg", "lb")
# Ending an IV infusion before this share of the protocol's duration needs a reason.
EARLY_END_SHARE = Decimal("0.75")


def _hold_message(reading) -> str:
    labels = "; ".join(reading.alert_labels)
    return (
        f"The pre-dose reading at {timezone.localtime(reading.taken_at):%H:%M} "
        f"({reading}) holds the dose: {labels}. Recheck after 5 minutes' rest; a medical "
        "provider acknowledges the hold to go on."
    )


def _checklist_problems(items: list) -> list[str]:
    problems = [item.hard_stop for item in items if item.hard_stop]
    review = [i for i in items if i.blocks and not i.hard_stop and not i.overridable]
    if review:
        problems.append(
            "; ".join(i.label for i in review) + ": a clinician documents the review on the "
            "checklist before the dose."
        )
    missing = [i.label for i in items if i.blocks and not i.hard_stop and i.overridable]
    if missing:
        problems.append(
            "Checklist items not done: " + "; ".join(missing) + ". Complete them, or a medical "
            "provider overrides each one with a reason."
        )
    return problems


def _dosing_weight(session: DosingSession, weight_kg: Decimal) -> tuple[Decimal, str]:
    """The weight the dose is calculated on, by the protocol's method (``dosing``)."""
    method = session.course.protocol.dosing_weight_method
    patient = session.course.patient
    intake = patient_selectors.latest_signed_intake(patient)
    height = intake.height_cm if intake is not None else None
    if method == dosing.ACTUAL and height is None:
        return weight_kg, method
    if height is None:
        raise ValidationError(
            "The protocol doses on adjusted body weight, which needs the patient's height: "
            "record it on the intake, or a director sets the protocol to actual weight."
        )
    try:
        value = dosing.dosing_weight(
            weight_kg=weight_kg,
            height_cm=height,
            sex=patient.sex_assigned_at_birth,
            method=method,
        )
    except ValueError as error:
        raise ValidationError(str(error)) from error
    return value, method


@transaction.atomic
def dose_record(
    *,
    session: DosingSession,
    weight_kg: Decimal,
    mg_per_kg: Decimal,
    lot: Lot,
    administered_by: User,
    supervising_provider: User,
    by: User,
    started_at: datetime | None = None,
    override_reason: str = "",
    weight_unit: str = "kg",
    weight_confirmed: bool = False,
) -> DosingSession:
    """Record the dose and its administration entry in the ledger, in one transaction.

    Refused, whoever asks: a weight outside 30–250 kg; a hard stop on the checklist (consent,
    eligibility, positive pregnancy test, high-risk C-SSRS that day, new contraindication).
    Refused unless resolved: a weight more than 10 % from the last recorded one not confirmed;
    checklist items not done and not overridden item by item by a provider; an unacknowledged
    pre-dose hold; a dose outside the protocol (unless ``by`` is a medical provider giving
    ``override_reason``); a lot that is expired or holds less than the dose.
    """
    session = _lock(session)
    if session.is_dosed:
        raise ValidationError(
            "The dose for this session is already recorded: one dose per session."
        )
    if session.status == Status.ABORTED:
        raise ValidationError("This session was aborted.")
    if weight_unit not in WEIGHT_UNITS:
        raise ValidationError("Give the weight in kg or lb.")
    protocol = session.course.protocol
    started_at = _charted_time(session, started_at, "dose")

    problem = dosing.weight_problem(weight_kg)  # ValueError for unusable numbers
    if problem:
        raise ValidationError({"weight": problem})
    last = selectors.last_recorded_weight(session)
    if dosing.weight_change_needs_confirming(weight_kg, last) and not weight_confirmed:
        raise ValidationError(
            {
                "weight": f"{weight_kg} kg is more than 10 % away from the last recorded weight "
                f"({last} kg). Check the scale and the unit (pounds typed as kilograms are 2.2 "
                "times too many); if the weight is right, tick “Confirm weight”."
            }
        )
    dosing_weight, method = _dosing_weight(session, weight_kg)
    total = dosing.total_dose_mg(dosing_weight, mg_per_kg)

    checklist = selectors.checklist_items(session, started_at)
    problems = _checklist_problems(checklist)
    problems += [_hold_message(r) for r in session.vitals.all() if r.needs_acknowledgement]
    if not roles.has_role(supervising_provider, roles.MEDICAL_PROVIDER):
        problems.append("The supervising clinician must be a medical provider.")
    if not roles.has_role(administered_by, roles.CLINICAL):
        problems.append("The dose must be administered by a clinician or medical provider.")
    if problems:
        raise ValidationError(problems)

    override_reason = override_reason.strip()
    protocol_problems = dose_problems(protocol=protocol, mg_per_kg=mg_per_kg, total_mg=total)
    if protocol_problems:
        if not roles.has_role(by, roles.MEDICAL_PROVIDER):
            raise ValidationError(
                protocol_problems + ["Only a medical provider can override the protocol."]
            )
        if not override_reason:
            raise ValidationError(
                protocol_problems + ["To give it anyway, write an override reason."]
            )
    else:
        override_reason = ""  # nothing to override; keep the record honest

    session.weight_kg = weight_kg
    session.weight_unit = weight_unit
    session.weight_confirmed = bool(weight_confirmed and last is not None)
    session.dosing_weight_kg = dosing_weight
    session.dosing_weight_method = method
    session.mg_per_kg = mg_per_kg
    session.total_mg = total
    session.dose_override_reason = override_reason
    session.dose_override_by = by if override_reason else None
    session.lot = lot
    session.administered_by = administered_by
    session.supervising_provider = supervising_provider
    session.dose_started_at = started_at
    session.dose_entered_at = timezone.now()
    if protocol.route == "im":
        # An injection ends when it starts; observation runs from then.
        session.dose_ended_at = session.dose_started_at
        session.dose_end_entered_at = session.dose_entered_at
    session.status = Status.IN_PROGRESS
    session.checklist_at_dose = [dataclasses.asdict(item) for item in checklist]
    session.save()
    _ledger_append(
        lot=lot,
        kind=Kind.ADMINISTRATION,
        change_mg=-total,
        by=by,
        session=session,
        at=session.dose_started_at,
        for_dose=True,
    )
    return session


@transaction.atomic
def dose_end(
    *,
    session: DosingSession,
    by: User,
    ended_at: datetime | None = None,
    early_reason: str = "",
) -> DosingSession:
    """The infusion ended, now or back-charted. Before 75 % of the protocol's duration it needs
    a reason (DESIGN.md, "Infusion")."""
    session = _lock(session)
    if not session.is_dosed:
        raise ValidationError("Record the dose first.")
    if session.dose_ended_at is not None:
        raise ValidationError("The end of the dose is already recorded.")
    ended_at = _charted_time(session, ended_at, "end of the infusion")
    if ended_at < session.dose_started_at.replace(second=0, microsecond=0):
        raise ValidationError(
            f"The dose cannot end before it started "
            f"({timezone.localtime(session.dose_started_at):%H:%M})."
        )
    early_reason = early_reason.strip()
    minutes = session.course.protocol.infusion_minutes
    if minutes:
        ran = ended_at - session.dose_started_at
        shortest = timedelta(minutes=float(minutes * EARLY_END_SHARE))
        if ran < shortest and not early_reason:
            raise ValidationError(
                {
                    "early_reason": f"The infusion ran {int(ran.total_seconds() // 60)} minutes "
                    f"of the protocol's {minutes}. Ending it before "
                    f"{int(shortest.total_seconds() // 60)} minutes needs a reason: write why."
                }
            )
        if ran >= shortest:
            early_reason = ""
    session.dose_ended_at = ended_at
    session.dose_end_entered_at = timezone.now()
    session.early_end_reason = early_reason
    session.save()
    return session
