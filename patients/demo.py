"""Demo patients for ``manage.py seed_demo``: about 30 people at every stage of the path, with
intakes, measures, eligibility and consent, so the pages are worth looking at.

Every record is dated as the path went, on clinic days (registration, two weeks later the intake
and its baseline measures, the eligibility decision three days later and the consent the day
after), through the services' ``at=``/``taken_at=`` arguments. People whose stage comes with a
treatment course (in treatment, maintenance, discharged) are taken as far as consent here; the
sessions' demo gives them the course (``sessions.demo.COURSES``), which moves them on, so no one
is "in treatment" without one.

Idempotent: a patient is found by legal name and date of birth; one that exists is left as it
is. Everything is written through the services, so the demo obeys the same rules as the clinic.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from kap_clinic.demo import at, clinic_day
from patients import contraindications, services
from patients.models import (
    ConsentDocument,
    Patient,
)

CONSENT_BODY = """\
Ketamine-assisted psychotherapy (KAP) combines ketamine, given by injection into a muscle (IM) or
a vein (IV) under medical supervision, with preparation, support during the session and
integration therapy afterwards.

Ketamine is approved as an anaesthetic; its use for depression, anxiety and PTSD is off-label.
Common effects during a session are dissociation (feeling detached from the body or
surroundings), changes in perception, nausea, dizziness, and a temporary rise in blood pressure
and heart rate. These usually pass within two hours. Rare risks include bladder problems with
frequent long-term use, and misuse.

Before each session I will not eat for 6 hours and drink only clear liquids until 2 hours
before. I will not drive or operate machinery until the next day, and an adult will take me
home. I will tell the clinic about every medicine I take and any change in my health.

I may stop treatment at any time, and may withdraw this consent by telling the clinic.
"""

# (first, last, preferred, dob, sex, pronouns, stage)
# Stages: inquiry, consult, draft, signed, eligible, override, not_eligible, risk (signed intake
# with an open suicide-risk flag), and the course stages treatment, maintenance, discharged.
PEOPLE: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("Maya", "Okonkwo", "", "1988-03-14", "female", "she/her", "inquiry"),
    ("Daniel", "Whitaker", "Dan", "1979-11-02", "male", "he/him", "inquiry"),
    ("Sofia", "Marchetti", "", "1995-07-21", "female", "she/her", "inquiry"),
    ("Jamal", "Reyes", "", "1983-01-30", "male", "he/him", "inquiry"),
    ("Harper", "Lindqvist", "", "2000-09-09", "intersex", "they/them", "consult"),
    ("Grace", "Nakamura", "", "1971-05-18", "female", "she/her", "consult"),
    ("Ethan", "Brennan", "", "1990-12-05", "male", "he/him", "consult"),
    ("Olivia", "Fischer", "Liv", "1986-04-27", "female", "she/her", "draft"),
    ("Noah", "Castellanos", "", "1992-08-13", "male", "he/him", "draft"),
    ("Ava", "Kowalski", "", "1977-02-08", "female", "she/her", "draft"),
    ("Liam", "Osei", "", "1998-10-22", "male", "he/him", "signed"),
    ("Chloe", "Dubois", "", "1984-06-03", "female", "she/her", "signed"),
    ("Mateo", "Silva", "", "1969-03-29", "male", "he/him", "risk"),
    ("Isabella", "Moreau", "Bella", "1993-01-11", "female", "she/her", "eligible"),
    ("Lucas", "Petrov", "", "1981-07-07", "male", "he/him", "eligible"),
    ("Zoe", "Hartmann", "", "1996-11-19", "female", "she/her", "eligible"),
    ("Elijah", "Grant", "Eli", "1975-09-25", "male", "he/him", "override"),
    ("Amara", "Diallo", "", "1989-02-14", "female", "she/her", "not_eligible"),
    ("Henry", "Sato", "", "1965-12-31", "male", "he/him", "not_eligible"),
    ("Nora", "Abernathy", "", "1987-05-05", "female", "she/her", "treatment"),
    ("Samuel", "Adeyemi", "Sam", "1991-03-17", "male", "he/him", "treatment"),
    ("Leah", "Johansson", "", "1982-10-10", "female", "she/her", "treatment"),
    ("River", "Callahan", "", "1999-06-30", "unknown", "they/them", "treatment"),
    ("Victor", "Ramírez", "", "1974-08-08", "male", "he/him", "treatment"),
    ("Hannah", "Becker", "", "1980-01-01", "female", "she/her", "maintenance"),
    ("Omar", "Haddad", "", "1985-04-04", "male", "he/him", "maintenance"),
    ("Ruth", "Feldman", "", "1958-02-20", "female", "she/her", "maintenance"),
    ("Theo", "Vasquez", "", "1994-09-15", "male", "he/him", "discharged"),
    ("Ingrid", "Solberg", "", "1972-12-12", "female", "she/her", "discharged"),
    ("Felix", "Adler", "", "1997-03-03", "male", "he/him", "consult"),
)

REFERRALS = (
    "Primary care physician",
    "Psychiatrist referral",
    "Web search",
    "Friend or family",
    "Therapist referral",
)

PHQ9_BY_SEVERITY = {
    "severe": [3, 3, 3, 2, 2, 3, 2, 2, 0],  # 20
    "moderately severe": [2, 3, 2, 2, 2, 2, 2, 1, 0],  # 16
    "moderate": [2, 2, 2, 1, 1, 2, 1, 1, 0],  # 12
}
GAD7 = [2, 2, 2, 1, 1, 2, 1]  # 11 moderate
PCL5_PROBABLE = [2, 2, 1, 3, 2, 2, 3, 1, 2, 2, 3, 2, 2, 2, 1, 1, 3, 2, 2, 2]  # 40, provisional
PCL5_LOW = [1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1]  # 15
CSSRS_NONE = {"q1": False, "q2": False, "q6": False}
CSSRS_LOW = {"q1": True, "q2": False, "q6": False}
CSSRS_MODERATE = {"q1": True, "q2": True, "q3": True, "q4": False, "q5": False, "q6": False}

# Stages whose people get a treatment course from the sessions' demo.
COURSE_STAGES = ("treatment", "maintenance", "discharged")
# How many weeks (of clinic days) ago each stage's intake was: the course stages a few weeks
# before their course's first dose (sessions.demo.COURSES), the others as far along as their
# stage.
INTAKE_WEEKS_AGO = {
    "draft": 1,
    "signed": 2,
    "risk": 2,
    "eligible": 4,
    "override": 4,
    "not_eligible": 6,
    "treatment": 6,
    "maintenance": 18,
    "discharged": 30,
}


def seed(*, staff: dict[str, User], now: dt.datetime) -> None:
    with transaction.atomic():
        _seed(staff=staff, now=now)


def _seed(*, staff: dict[str, User], now: dt.datetime) -> None:
    front_desk = staff.get("frontdesk") or next(iter(staff.values()))
    clinicians = [u for k in ("clinician", "therapist2", "nurse") if (u := staff.get(k))]
    provider = staff.get("provider") or clinicians[0]
    document, _ = ConsentDocument.objects.get_or_create(
        version="2026.1",
        defaults={"body": CONSENT_BODY, "published_at": now - dt.timedelta(days=400)},
    )
    for index, (first, last, preferred, dob, sex, pronouns, stage) in enumerate(PEOPLE):
        born = dt.date.fromisoformat(dob)
        if Patient.objects.filter(
            legal_first_name=first, legal_last_name=last, date_of_birth=born
        ).exists():
            continue
        clinician = clinicians[index % len(clinicians)] if clinicians else provider
        patient = services.patient_create(
            by=front_desk,
            at=_registered_at(stage, index, now),
            legal_first_name=first,
            legal_last_name=last,
            preferred_name=preferred,
            date_of_birth=born,
            sex_assigned_at_birth=sex,
            pronouns=pronouns,
            phone=f"+1734555{1000 + index:04d}",
            email=f"{first.lower()}.{last.lower()}@example.org".replace("í", "i"),
            address_line1=f"{100 + index * 7} Liberty Street",
            city="Ann Arbor",
            state="MI",
            postal_code="48104",
            emergency_contact_name=f"{'Alex' if index % 2 else 'Jordan'} {last}",
            emergency_contact_phone=f"+1734555{2000 + index:04d}",
            primary_clinician=None if stage == "inquiry" else clinician,
            referral_source=REFERRALS[index % len(REFERRALS)],
        )
        _advance(patient, stage, index, clinician, provider, front_desk, document, now)


def _intake_day(stage: str, index: int, now: dt.datetime) -> dt.date:
    weeks = INTAKE_WEEKS_AGO.get(stage, 0)
    return clinic_day(timezone.localdate(now), -(5 * weeks + index % 5))


def _registered_at(stage: str, index: int, now: dt.datetime) -> dt.datetime:
    """New inquiries in the last few days; everyone else two weeks before their intake (the
    consultation in between). Always on a clinic day before today, so never in the future."""
    today = timezone.localdate(now)
    if stage == "inquiry":
        return at(clinic_day(today, -1 - index % 4), 11, 15)
    if stage == "consult":
        return at(clinic_day(today, -5 - index % 5), 11, 15)
    return at(clinic_day(_intake_day(stage, index, now), -10), 11, 15)


def _advance(
    patient: Patient,
    stage: str,
    index: int,
    clinician: User,
    provider: User,
    front_desk: User,
    document: ConsentDocument,
    now: dt.datetime,
) -> None:
    if stage == "inquiry":
        return
    services.patient_set_status(
        patient=patient, status=Patient.Status.CONSULTATION_SCHEDULED, by=front_desk
    )
    if stage == "consult":
        return
    intake_day = _intake_day(stage, index, now)
    started_at = at(intake_day, 10)
    severity = list(PHQ9_BY_SEVERITY)[index % 3]
    screen = {c.code: contraindications.NO for c in contraindications.CONTRAINDICATIONS}
    if stage == "override":
        screen["uncontrolled_hypertension"] = contraindications.YES
    if stage == "not_eligible":
        screen["psychotic_disorder"] = contraindications.YES
    if index % 4 == 0:
        screen["psychosis_first_degree_relative"] = contraindications.YES
    if stage == "draft":
        screen = dict(list(screen.items())[:6])
    intake = services.intake_start(patient=patient, by=clinician, at=started_at)
    services.intake_update(
        intake=intake,
        by=clinician,
        screen=screen,
        screen_notes={"uncontrolled_hypertension": "160/100 at intake; on amlodipine"}
        if stage == "override"
        else {},
        diagnoses="Major depressive disorder, recurrent, severe"
        if index % 2
        else "Major depressive disorder; PTSD",
        prior_treatments="Sertraline, escitalopram, venlafaxine; CBT for 2 years",
        failed_antidepressant_trials=2 + index % 3,
        hospitalisations="None" if index % 3 else "One admission, 2019, for suicidal ideation",
        substance_use="Alcohol 2-3 drinks a week; no other substances",
        medical_history="Hypertension" if stage == "override" else "None significant",
        medications="Bupropion 300 mg daily" if index % 2 else "Sertraline 100 mg daily",
        allergies="Penicillin (rash)" if index % 3 == 0 else "None known",
        bp_systolic=158 if stage == "override" else 118 + index % 15,
        bp_diastolic=98 if stage == "override" else 74 + index % 10,
        heart_rate=64 + index % 20,
        spo2=97 + index % 3,
        weight_kg=f"{58 + (index * 3) % 45}.0",
        height_cm=f"{158 + (index * 5) % 30}.0",
        notes="Motivated for KAP; supportive partner; works full time.",
    )
    cssrs = CSSRS_MODERATE if stage == "risk" else CSSRS_LOW if index % 5 == 0 else CSSRS_NONE
    baseline = (
        ("phq9", PHQ9_BY_SEVERITY[severity]),
        ("gad7", GAD7),
        ("pcl5", PCL5_PROBABLE if index % 2 == 0 else PCL5_LOW),
        ("cssrs", cssrs),
    )
    for code, answers in baseline[: 2 if stage == "draft" else 4]:
        services.measure_record(
            patient=patient,
            code=code,
            answers=answers,
            by=clinician,
            intake=intake,
            taken_at=started_at + dt.timedelta(minutes=30),
        )
    if stage == "draft":
        return
    # Dated as the path went: signed when the intake visit ended, the decision three clinic days
    # later, the consent the day after that.
    services.intake_sign(intake=intake, by=clinician, at=started_at + dt.timedelta(hours=1.5))
    if stage in ("signed", "risk"):
        return
    decided_at = at(clinic_day(intake_day, 3), 12)
    if stage == "not_eligible":
        services.eligibility_sign(
            patient=patient,
            decision="not_eligible",
            note="History of psychotic disorder; referred back to psychiatry.",
            by=provider,
            at=decided_at,
        )
        return
    override = ""
    if stage == "override":
        override = "BP controlled on amlodipine since intake (128/82 twice this week); IM route."
    services.eligibility_sign(
        patient=patient,
        decision="eligible",
        note="Treatment-resistant depression; no contraindication to KAP.",
        override_reason=override,
        by=provider,
        at=decided_at,
    )
    services.consent_sign(
        patient=patient,
        document=document,
        typed_name=patient.legal_name,
        sms_consent=index % 2 == 0,
        by=clinician,
        ip_address="10.0.0.21",
        at=at(clinic_day(intake_day, 4), 10, 30),
    )
    if index % 2 == 0:
        services.patient_update(patient=patient, by=front_desk, remind_by_sms=True)
    # The course stages go on with the sessions' demo: the course moves them to "in treatment".
