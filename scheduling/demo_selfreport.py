"""The demo clinic's self-report (issue 14): visit types that send questionnaires before the
visit, one patient's PHQ-9 answered on the phone last evening, a signed safety plan, and a
next-day check-in asking to be called. Idempotent: a second run adds nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction

from patients import services as patient_services
from patients.models import Patient, SafetyPlan, SelfReportLink
from scheduling.models import AppointmentType

# What each visit type asks the patient to answer by link, and how many hours before.
QUESTIONNAIRES = {
    AppointmentType.Kind.DOSING: ("phq9, cssrs", 24),
    AppointmentType.Kind.INTEGRATION: ("phq9, gad7", 24),
}


def configure_types() -> None:
    for kind, (codes, hours) in QUESTIONNAIRES.items():
        AppointmentType.objects.filter(kind=kind, questionnaires="").update(
            questionnaires=codes, questionnaire_hours=hours
        )


def _patient(first: str, last: str) -> Patient | None:
    return Patient.objects.filter(legal_first_name=first, legal_last_name=last).first()


@transaction.atomic
def seed(*, staff: dict[str, User], now: datetime) -> None:
    configure_types()
    if SelfReportLink.objects.exists() or SafetyPlan.objects.exists():
        return
    clinician = staff["clinician"]
    samuel = _patient("Samuel", "Adeyemi")
    if samuel is not None:
        # Answered on the phone last evening: counts for a dose within 24 hours.
        evening = now - timedelta(hours=14)
        link = patient_services.selfreport_link_create(
            patient=samuel,
            purpose="questionnaire",
            instruments=["phq9"],
            by=clinician,
            context="weekly",
            now=evening - timedelta(hours=2),
        )
        for index, value in enumerate([1, 1, 1, 0, 1, 0, 1, 0, 0]):
            patient_services.selfreport_answer(
                link=link, code="phq9", key=str(index), value=value, now=evening
            )
    robin = _patient("Robin", "Ellery")
    if robin is not None:
        plan = patient_services.safety_plan_save(
            patient=robin,
            by=clinician,
            warning_signs="Staying in bed past noon; not answering my sister's calls",
            coping_strategies="Walk around the lake; play guitar; a hot shower",
            distraction="The climbing gym; coffee with Dana on Saturdays",
            people_to_ask="My sister Kim (734) 555-0142; Dana (734) 555-0178",
            professionals="My clinician at the clinic (734) 555-0100; 988 Lifeline (call or text)",
            safe_environment="Kim keeps my old prescriptions; no alcohol at home",
            reasons_for_living="My niece; finishing the boat with my father",
        )
        patient_services.safety_plan_sign(plan=plan, by=clinician)
    leah = _patient("Leah", "Johansson")
    if leah is not None:
        link = patient_services.selfreport_link_create(
            patient=leah, purpose="checkin", by=clinician, context="after a dose", now=now
        )
        patient_services.checkin_submit(
            link=link,
            answers={"wellbeing": 4, "headache": True, "please_call": True},
            now=now - timedelta(hours=1),
        )
