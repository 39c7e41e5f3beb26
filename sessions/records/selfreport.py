"""The self-report part of the record: the patient's next-day check-ins after doses and every
version of their safety plan (patients.selfreport). Questionnaires answered by link are measures
and are exported with the other measures; the links and the outbox that carried them are not
part of the record (``registry.NOT_RECORD``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from patients.models import CheckIn, Patient, SafetyPlan
from patients.services import SAFETY_PLAN_FIELDS
from sessions.records.fhir import (
    FhirContext,
    coding,
    concept,
    extension,
    local,
    text_attachment,
    when,
)

# The check-in's questions, in the order the patient sees them (patients.forms_selfreport).
CHECKIN_ITEMS = (
    ("wellbeing", "How are you today (0 worst – 10 best)?"),
    ("nausea", "Nausea"),
    ("headache", "Headache"),
    ("dizziness", "Dizziness"),
    ("unusual_distress", "Unusual distress"),
    ("thoughts_of_self_harm", "Thoughts of harming yourself"),
    ("please_call", "Please call me"),
)


@dataclass(frozen=True)
class SelfReport:
    checkins: list[CheckIn]
    safety_plans: list[SafetyPlan]

    def __bool__(self) -> bool:
        return bool(self.checkins or self.safety_plans)


def collect(patient: Patient) -> SelfReport:
    return SelfReport(
        checkins=list(
            CheckIn.objects.filter(patient_id=patient.pk)
            .select_related("reviewed_by")
            .order_by("submitted_at", "id")
        ),
        safety_plans=list(
            SafetyPlan.objects.filter(patient_id=patient.pk)
            .select_related("created_by", "signed_by")
            .order_by("version", "id")
        ),
    )


def safety_plan_text(plan: SafetyPlan) -> str:
    parts = []
    for name in SAFETY_PLAN_FIELDS:
        label = SafetyPlan._meta.get_field(name).verbose_name
        value = getattr(plan, name) or "—"
        parts.append(f"{str(label).capitalize()}:\n{value}")
    return "\n\n".join(parts)


def fhir(data: SelfReport, ctx: FhirContext) -> Iterator[dict[str, Any]]:
    for checkin in data.checkins:
        items = []
        for key, text in CHECKIN_ITEMS:
            value = getattr(checkin, key)
            answer = {"valueInteger": value} if key == "wellbeing" else {"valueBoolean": value}
            items.append({"linkId": key, "text": text, "answer": [answer]})
        yield {
            "resourceType": "QuestionnaireResponse",
            "id": f"checkin-{checkin.pk}",
            "questionnaire": local("Questionnaire/next-day-checkin"),
            "status": "completed",
            "subject": ctx.subject,
            "authored": when(checkin.submitted_at),
            "author": ctx.subject,
            "source": ctx.subject,
            "item": items,
            "extension": [
                extension("dose-day", valueDate=when(checkin.dose_day))
                if checkin.dose_day
                else None,
                extension("concerning", valueBoolean=checkin.concerning),
                extension("reviewed-by", valueReference=ctx.who(checkin.reviewed_by))
                if checkin.reviewed_by_id
                else None,
                extension("reviewed-at", valueDateTime=when(checkin.reviewed_at))
                if checkin.reviewed_at
                else None,
                extension("review-note", valueString=checkin.review_note)
                if checkin.review_note
                else None,
            ],
        }
    latest_signed = max((p.version for p in data.safety_plans if p.is_signed), default=None)
    for plan in data.safety_plans:
        yield {
            "resourceType": "DocumentReference",
            "id": f"safety-plan-{plan.pk}",
            "status": "current" if plan.version == latest_signed else "superseded",
            "docStatus": "final" if plan.is_signed else "preliminary",
            "type": concept(
                coding(local("CodeSystem/documents"), "safety-plan", "Safety plan"),
                text="Safety plan (Stanley & Brown)",
            ),
            "subject": ctx.subject,
            "date": when(plan.signed_at or plan.created_at),
            "author": [ctx.who(plan.created_by)],
            "authenticator": ctx.who(plan.signed_by) if plan.signed_by_id else None,
            "content": [
                {
                    "attachment": text_attachment(
                        safety_plan_text(plan),
                        title=f"Safety plan v{plan.version}",
                        created=plan.created_at,
                    )
                }
            ],
        }
