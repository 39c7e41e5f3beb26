"""FHIR resources for treatment and the rest of the record: courses (EpisodeOfCare), dosing
sessions (Encounter), their vitals, doses (MedicationAdministration), adverse events, the
session record and addenda, integration follow-ups, appointments with their reminders, and the
chart's access log (AuditEvent)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings

from sessions import vitals as vital_rules
from sessions.records.fhir import (
    KETAMINE,
    LOINC,
    ROUTES,
    FhirContext,
    coding,
    concept,
    extension,
    local,
    quantity,
    when,
)
from sessions.records.fhir_chart import ADDENDUM, blood_pressure, document, vital_quantity

AMBULATORY = coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory")
PROGRESS_NOTE = concept(coding(LOINC, "11506-3", "Progress note"))
COURSE_STATUS = {"active": "active", "completed": "finished", "stopped": "finished"}
SESSION_STATUS = {
    "planned": "planned",
    "in_progress": "in-progress",
    "completed": "finished",
    "aborted": "cancelled",
}
APPOINTMENT_STATUS = {
    "booked": "booked",
    "checked_in": "arrived",
    "completed": "fulfilled",
    "cancelled": "cancelled",
    "no_show": "noshow",
}
REMINDER_STATUS = {
    "pending": "preparation",
    "sending": "in-progress",
    "sent": "completed",
    "failed": "not-done",
    "cancelled": "not-done",
    "skipped": "not-done",
}
REMINDER_MEDIUM = {
    "email": coding(
        "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode", "EMAILWRIT", "email"
    ),
    "sms": coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationMode", "SMSWRIT", "SMS"),
}


def session_text(session: Any) -> str:
    """The session record as a clinician reads it: checklist, dose, discharge, note."""
    lines = [f"Dosing session {session.number} ({session.get_status_display()})"]
    if session.abort_reason:
        lines.append(f"Aborted: {session.abort_reason}")
    if session.checklist_at_dose:
        lines.append("Checklist at the dose:")
        for item in session.checklist_at_dose:
            mark = "done" if item.get("done") else "NOT done"
            detail = f" — {item['detail']}" if item.get("detail") else ""
            lines.append(f"  {item.get('label', item.get('key'))}: {mark}{detail}")
    if session.checklist_override_reason:
        lines.append(f"Checklist overridden: {session.checklist_override_reason}")
    for override in session.item_overrides.all():
        by = override.by.get_full_name() or override.by.username
        lines.append(
            f"Checklist item overridden: {override.label} — {override.reason} "
            f"({by}, {when(override.at)})"
        )
    if session.contraindications_reconfirmed:
        lines.append(
            "Contraindications re-confirmed: "
            f"{session.get_contraindications_reconfirmed_display()}"
            + (f" — {session.contraindications_note}" if session.contraindications_note else "")
        )
    if session.escort_name:
        lines.append(f"Escort: {session.escort_name} {session.escort_phone}".strip())
    if session.total_mg is not None:
        lines.append(
            f"Dose: {session.mg_per_kg} mg/kg × {session.weight_kg} kg = {session.total_mg} mg"
            + (f", lot {session.lot.lot_number}" if session.lot else "")
        )
    if session.dose_override_reason:
        lines.append(f"Dose override: {session.dose_override_reason}")
    if session.discharged_at:
        lines.append(
            f"Discharged {when(session.discharged_at)} with {session.discharged_with or '—'}"
        )
    if session.note:
        lines += ["", "Session note:", session.note]
    return "\n".join(lines)


def treatment_resources(courses: list[Any], ctx: FhirContext) -> Iterator[dict[str, Any]]:
    for course in courses:
        yield {
            "resourceType": "EpisodeOfCare",
            "id": f"course-{course.pk}",
            "status": COURSE_STATUS[course.status],
            "type": [concept(text=f"Ketamine course: {course.protocol.name}")],
            "patient": ctx.subject,
            "period": {"start": when(course.starts_on), "end": when(course.stopped_at)},
            "careManager": ctx.who(course.created_by),
            "extension": [
                extension("planned-sessions", valueInteger=course.planned_sessions),
                extension("stop-reason", valueString=course.stop_reason)
                if course.stop_reason
                else None,
            ],
        }
        for session in course.sessions.all():
            yield from _session_resources(course, session, ctx)


def _session_resources(course: Any, session: Any, ctx: FhirContext) -> Iterator[dict]:
    encounter = f"Encounter/session-{session.pk}"
    yield {
        "resourceType": "Encounter",
        "id": f"session-{session.pk}",
        "status": SESSION_STATUS[session.status],
        "class": AMBULATORY,
        "type": [concept(text=f"Ketamine dosing session {session.number}")],
        "subject": ctx.subject,
        "episodeOfCare": [{"reference": f"EpisodeOfCare/course-{course.pk}"}],
        "appointment": [{"reference": f"Appointment/appt-{session.appointment_id}"}]
        if session.appointment_id
        else [],
        "participant": [
            {"individual": ctx.who(user)}
            for user in (session.administered_by, session.supervising_provider)
            if user
        ],
        "period": {
            "start": when(session.dose_started_at or session.scheduled_for),
            "end": when(session.discharged_at),
        },
    }
    for reading in session.vitals.all():
        common = {"at": reading.taken_at, "by": reading.recorded_by, "encounter": encounter}
        bp = blood_pressure(
            f"vitals-bp-{reading.pk}", reading.systolic, reading.diastolic, ctx, **common
        )
        bp["note"] = [{"text": f"Phase: {reading.phase}"}]
        if reading.alerts:
            thresholds = course.protocol.thresholds
            labels = "; ".join(vital_rules.alert_label(a, thresholds) for a in reading.alerts)
            bp["note"].append({"text": f"Alerts: {labels}"})
        if reading.acknowledgement_note:
            bp["note"].append({"text": f"Hold acknowledged: {reading.acknowledgement_note}"})
        yield bp
        yield vital_quantity(
            f"vitals-hr-{reading.pk}", "heart_rate", reading.heart_rate, ctx, **common
        )
        yield vital_quantity(f"vitals-spo2-{reading.pk}", "spo2", reading.spo2, ctx, **common)
        if reading.respiratory_rate:
            yield vital_quantity(
                f"vitals-rr-{reading.pk}",
                "respiratory_rate",
                reading.respiratory_rate,
                ctx,
                **common,
            )
    if session.weight_kg:
        yield vital_quantity(
            f"session-weight-{session.pk}",
            "weight",
            session.weight_kg,
            ctx,
            at=session.dose_started_at or session.scheduled_for,
            encounter=encounter,
        )
    if session.is_dosed:
        yield _dose(course, session, ctx, encounter)
    for event in session.adverse_events.all():
        yield {
            "resourceType": "AdverseEvent",
            "id": f"ae-{event.pk}",
            "actuality": "actual",
            "event": concept(
                coding(local("CodeSystem/adverse-events"), event.kind, event.get_kind_display()),
                text=event.get_kind_display(),
            ),
            "subject": ctx.subject,
            "encounter": {"reference": encounter},
            "date": when(event.onset_at),
            "recordedDate": when(event.created_at),
            "recorder": ctx.who(event.recorded_by),
            "severity": concept(
                coding(
                    "http://terminology.hl7.org/CodeSystem/adverse-event-severity", event.severity
                )
            ),
            "outcome": concept(
                coding(
                    "http://terminology.hl7.org/CodeSystem/adverse-event-outcome",
                    "resolved" if event.resolved_at else "ongoing",
                )
            ),
            "suspectEntity": [
                {"instance": {"reference": f"MedicationAdministration/dose-{session.pk}"}}
            ]
            if session.is_dosed
            else [],
            "extension": [
                extension("description", valueString=event.description)
                if event.description
                else None,
                extension("action-taken", valueString=event.action_taken)
                if event.action_taken
                else None,
                extension("resolved-at", valueDateTime=when(event.resolved_at))
                if event.resolved_at
                else None,
            ],
        }
    note_id = f"session-record-{session.pk}"
    yield document(
        note_id,
        ctx,
        type_=PROGRESS_NOTE,
        text=session_text(session),
        title=f"Dosing session {session.number} record",
        date=session.signed_at or session.created_at,
        author=session.signed_by or session.created_by,
        authenticator=session.signed_by,
        final=session.is_signed,
        encounter=encounter,
    )
    for addendum in session.addenda.all():
        yield document(
            f"session-addendum-{addendum.pk}",
            ctx,
            type_=ADDENDUM,
            text=addendum.text,
            title=f"Addendum to dosing session {session.number}",
            date=addendum.created_at,
            author=addendum.author,
            appends=note_id,
            encounter=encounter,
        )
    for follow_up in session.follow_ups.all():
        yield from _follow_up(session, follow_up, ctx)


def _dose(course: Any, session: Any, ctx: FhirContext, encounter: str) -> dict[str, Any]:
    lot = session.lot
    medication = {
        "resourceType": "Medication",
        "id": "ketamine",
        "code": concept(KETAMINE, text="Ketamine hydrochloride injection"),
        "batch": {"lotNumber": lot.lot_number, "expirationDate": when(lot.expires_on)}
        if lot
        else None,
    }
    ledger = getattr(session, "ledger_entry", None)
    notes = []
    if session.dose_override_reason:
        notes.append(
            {"text": f"Dose outside the protocol, authorised: {session.dose_override_reason}"}
        )
    if ledger is not None:
        notes.append(
            {"text": f"Controlled-substance ledger entry {ledger.pk}: {ledger.change_mg} mg"}
        )
    return {
        "resourceType": "MedicationAdministration",
        "id": f"dose-{session.pk}",
        "contained": [medication],
        "status": "completed" if session.dose_ended_at else "in-progress",
        "medicationReference": {"reference": "#ketamine", "display": "ketamine"},
        "subject": ctx.subject,
        "context": {"reference": encounter},
        "effectivePeriod": {
            "start": when(session.dose_started_at),
            "end": when(session.dose_ended_at),
        },
        "performer": [
            {"actor": ctx.who(session.administered_by)},
            {
                "function": concept(text="supervising provider"),
                "actor": ctx.who(session.supervising_provider),
            }
            if session.supervising_provider
            else None,
        ]
        if session.administered_by
        else [],
        "note": notes,
        "dosage": {
            "text": f"{session.mg_per_kg} mg/kg × {session.weight_kg} kg",
            "route": concept(
                ROUTES[course.protocol.route], text=course.protocol.get_route_display()
            ),
            "dose": quantity(session.total_mg, "mg", "mg"),
        },
    }


def _follow_up(session: Any, follow_up: Any, ctx: FhirContext) -> Iterator[dict[str, Any]]:
    encounter = f"Encounter/followup-{follow_up.pk}"
    yield {
        "resourceType": "Encounter",
        "id": f"followup-{follow_up.pk}",
        "status": "finished",
        "class": AMBULATORY,
        "type": [concept(text=f"Integration follow-up after dosing session {session.number}")],
        "subject": ctx.subject,
        "participant": [{"individual": ctx.who(follow_up.signed_by)}],
        "period": {"start": when(follow_up.held_at)},
    }
    measures = ", ".join(f"Observation/measure-{m.pk}" for m in follow_up.measures.all())
    text = "\n".join(
        line
        for line in (
            f"Themes: {follow_up.themes}",
            f"Insights: {follow_up.insights}" if follow_up.insights else "",
            f"Plan: {follow_up.plan}",
            f"Measures: {measures}" if measures else "",
        )
        if line
    )
    yield document(
        f"followup-note-{follow_up.pk}",
        ctx,
        type_=PROGRESS_NOTE,
        text=text,
        title=f"Integration follow-up after dosing session {session.number}",
        date=follow_up.signed_at,
        author=follow_up.signed_by,
        authenticator=follow_up.signed_by,
        encounter=encounter,
    )


def appointment_resources(appointments: list[Any], ctx: FhirContext) -> Iterator[dict]:
    for appointment in appointments:
        ident = f"appt-{appointment.pk}"
        yield {
            "resourceType": "Appointment",
            "id": ident,
            "status": APPOINTMENT_STATUS[appointment.status],
            "cancelationReason": concept(text=appointment.cancellation_reason)
            if appointment.cancellation_reason
            else None,
            "appointmentType": concept(
                coding(local("CodeSystem/visit-kinds"), appointment.type.kind),
                text=appointment.type.name,
            ),
            "description": appointment.type.name,
            "start": when(appointment.starts_at),
            "end": when(appointment.ends_at),
            "created": when(appointment.booked_at),
            "comment": f"Room: {appointment.room.name}" if appointment.room else None,
            "participant": [
                {"actor": ctx.subject, "status": "accepted"},
                {"actor": ctx.who(appointment.clinician), "status": "accepted"},
            ],
        }
        for reminder in appointment.reminders.all():
            yield {
                "resourceType": "Communication",
                "id": f"reminder-{reminder.pk}",
                "status": REMINDER_STATUS[reminder.status],
                "statusReason": concept(text=reminder.skip_reason or reminder.last_error[:200])
                if reminder.status in ("failed", "skipped")
                and (reminder.skip_reason or reminder.last_error)
                else None,
                "category": [concept(text="Appointment reminder")],
                "medium": [concept(REMINDER_MEDIUM[reminder.channel])],
                "subject": ctx.subject,
                "about": [{"reference": f"Appointment/{ident}"}],
                "sent": when(reminder.sent_at),
                "recipient": [ctx.subject],
                "note": [
                    {"text": f"{reminder.offset_hours} h before; due {when(reminder.due_at)}"}
                ],
            }


def access_resources(events: list[Any], ctx: FhirContext) -> Iterator[dict[str, Any]]:
    for event in events:
        agent = ctx.who(event.user) if event.user else {"display": "command line"}
        yield {
            "resourceType": "AuditEvent",
            "id": f"access-{event.pk}",
            "type": coding(
                "http://terminology.hl7.org/CodeSystem/audit-event-type",
                "rest",
                "RESTful Operation",
            ),
            "action": "R",
            "recorded": when(event.at),
            "outcome": "0" if event.allowed else "4",
            "outcomeDesc": None if event.allowed else "refused for the role",
            "agent": [
                {
                    "who": agent,
                    "requestor": True,
                    "network": {"address": event.ip_address, "type": "2"}
                    if event.ip_address
                    else None,
                }
            ],
            "source": {"observer": {"display": settings.CLINIC_NAME}},
            "entity": [{"what": ctx.subject, "description": event.what}],
        }
