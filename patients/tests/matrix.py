"""Role-matrix declarations for the patients app (format: kap_clinic/tests/matrix_format.md).

Every object is created afresh for each persona, so a POST by one cannot change what the next
one sees. POST bodies are valid, so allowed personas really save and refused ones really do not.
"""

from __future__ import annotations

import itertools
from typing import Any

from kap_clinic import roles
from kap_clinic.tests.role_matrix import EVERYONE, Case, Ctx
from patients import contraindications, services
from patients.models import RiskFlag
from patients.selfreport import tokens
from patients.tests.factories import (
    PatientFactory,
    make_consent_document,
    make_intake,
    make_measure,
)

PROVIDER_ONLY = frozenset({roles.MEDICAL_PROVIDER})
_versions = itertools.count(1)


def _clinician(ctx: Ctx):
    return ctx.personas["clinician"]


def patient(ctx: Ctx) -> dict[str, Any]:
    return {"pk": PatientFactory().pk}


def patient_with_consent_document(ctx: Ctx) -> dict[str, Any]:
    make_consent_document(version=f"m{next(_versions)}")
    return patient(ctx)


def patient_measure(ctx: Ctx) -> dict[str, Any]:
    return {"pk": PatientFactory().pk, "code": "phq9"}


def patient_with_signed_intake(ctx: Ctx) -> dict[str, Any]:
    p = PatientFactory(status="intake")
    make_intake(p, by=_clinician(ctx), sign=True)
    return {"pk": p.pk}


def patient_with_outcomes(ctx: Ctx) -> dict[str, Any]:
    """Intake baseline and a repeat PHQ-9: the outcome table and chart are on the page."""
    p = PatientFactory(status="intake")
    make_intake(p, by=_clinician(ctx), sign=True)
    make_measure(p, "phq9", [1] * 4 + [0] * 5, by=_clinician(ctx))
    return {"pk": p.pk}


def draft_intake(ctx: Ctx) -> dict[str, Any]:
    return {"pk": make_intake(PatientFactory(), by=_clinician(ctx), complete=True).pk}


def signed_intake(ctx: Ctx) -> dict[str, Any]:
    return {"pk": make_intake(PatientFactory(), by=_clinician(ctx), sign=True).pk}


def measure(ctx: Ctx) -> dict[str, Any]:
    return {"pk": make_measure(PatientFactory(), "gad7", [1] * 7, by=_clinician(ctx)).pk}


def risk_flag(ctx: Ctx) -> dict[str, Any]:
    m = make_measure(PatientFactory(), "phq9", [0] * 8 + [1], by=_clinician(ctx))
    return {"pk": RiskFlag.objects.get(measure=m).pk}


def consent(ctx: Ctx) -> dict[str, Any]:
    document = make_consent_document(version=f"c{next(_versions)}")
    p = PatientFactory()
    signed = services.consent_sign(
        patient=p,
        document=document,
        typed_name=p.legal_name,
        sms_consent=True,
        by=_clinician(ctx),
    )
    return {"pk": signed.pk}


def registration(ctx: Ctx) -> dict[str, Any]:
    return {
        "legal_first_name": "Ada",
        "legal_last_name": f"Matrix{ctx.persona}",
        "date_of_birth": "1980-01-02",
        "sex_assigned_at_birth": "unknown",
        "remind_by_email": "on",
    }


def update_body(ctx: Ctx) -> dict[str, Any]:
    return {**registration(ctx), "city": "Ypsilanti"}


def intake_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "diagnoses": "MDD",
        **{f"screen_{c.code}": "no" for c in contraindications.CONTRAINDICATIONS},
    }


def phq9_body(ctx: Ctx) -> dict[str, Any]:
    return {f"item_{n}": "1" for n in range(1, 10)}


def consent_body(ctx: Ctx) -> dict[str, Any]:
    from patients.models import Patient

    return {"typed_name": Patient.objects.get(pk=ctx.kwargs["pk"]).legal_name}


CLINICAL = roles.CLINICAL


def questionnaire_token(ctx: Ctx) -> dict[str, Any]:
    link = services.selfreport_link_create(
        patient=PatientFactory(), purpose="questionnaire", instruments=["phq9"]
    )
    return {"token": tokens.make_token(link)}


def questionnaire_item(ctx: Ctx) -> dict[str, Any]:
    return {**questionnaire_token(ctx), "code": "phq9", "key": "0"}


def safety_plan(ctx: Ctx) -> dict[str, Any]:
    plan = services.safety_plan_save(
        patient=PatientFactory(), by=_clinician(ctx), warning_signs="Not sleeping"
    )
    return {"pk": plan.pk}


def remote_consent(ctx: Ctx) -> dict[str, Any]:
    from patients.models import ConsentDocument

    if not ConsentDocument.objects.filter(published_at__isnull=False).exists():
        make_consent_document(version=f"r{next(_versions)}")
    patient = PatientFactory()
    link = services.selfreport_link_create(patient=patient, purpose="intake", by=_clinician(ctx))
    link.recorded = {"intake": 0}
    link.save()
    consent = services.consent_sign_by_link(
        link=link, typed_name=patient.legal_name, sms_consent=False
    )
    return {"pk": consent.pk}


def checkin(ctx: Ctx) -> dict[str, Any]:
    link = services.selfreport_link_create(patient=PatientFactory(), purpose="checkin")
    found = services.checkin_submit(link=link, answers={"wellbeing": 2, "please_call": True})
    return {"pk": found.pk}


MATRIX = {
    "patients:list": Case(allowed=roles.FRONT_OFFICE, query={"q": "ada"}),
    "patients:create": [
        Case(allowed=roles.FRONT_OFFICE),
        Case(method="post", allowed=roles.FRONT_OFFICE, data=registration),
    ],
    "patients:detail": Case(allowed=roles.FRONT_OFFICE, kwargs=patient),
    "patients:update": [
        Case(allowed=roles.FRONT_OFFICE, kwargs=patient),
        Case(method="post", allowed=roles.FRONT_OFFICE, kwargs=patient, data=update_body),
    ],
    "patients:archive": Case(method="post", allowed=roles.FRONT_OFFICE, kwargs=patient),
    "patients:chart": Case(allowed=CLINICAL, kwargs=patient_with_outcomes, clinical=True),
    "patients:status": Case(
        method="post",
        allowed=CLINICAL,
        kwargs=patient,
        data={"status": "discharged"},
        clinical=True,
    ),
    "patients:intake_start": Case(method="post", allowed=CLINICAL, kwargs=patient, clinical=True),
    "patients:intake_detail": Case(allowed=CLINICAL, kwargs=draft_intake, clinical=True),
    "patients:intake_edit": [
        Case(allowed=CLINICAL, kwargs=draft_intake, clinical=True),
        Case(method="post", allowed=CLINICAL, kwargs=draft_intake, data=intake_body, clinical=True),
    ],
    "patients:intake_sign": Case(
        method="post", allowed=CLINICAL, kwargs=draft_intake, clinical=True
    ),
    "patients:intake_addendum": Case(
        method="post",
        allowed=CLINICAL,
        kwargs=signed_intake,
        data={"text": "Later note"},
        clinical=True,
    ),
    "patients:measure_list": Case(allowed=CLINICAL, kwargs=patient_with_outcomes, clinical=True),
    "patients:measure_create": [
        Case(allowed=CLINICAL, kwargs=patient_measure, clinical=True),
        Case(
            method="post", allowed=CLINICAL, kwargs=patient_measure, data=phq9_body, clinical=True
        ),
    ],
    "patients:measure_detail": Case(allowed=CLINICAL, kwargs=measure, clinical=True),
    "patients:flag_acknowledge": [
        Case(allowed=CLINICAL, kwargs=risk_flag, clinical=True),
        Case(
            method="post",
            allowed=CLINICAL,
            kwargs=risk_flag,
            data={"note": "Safety plan reviewed"},
            clinical=True,
        ),
    ],
    "patients:eligibility_create": [
        Case(allowed=PROVIDER_ONLY, kwargs=patient_with_signed_intake, clinical=True),
        Case(
            method="post",
            allowed=PROVIDER_ONLY,
            kwargs=patient_with_signed_intake,
            data={"decision": "eligible", "note": "ok"},
            clinical=True,
        ),
    ],
    "patients:consent_create": [
        Case(allowed=CLINICAL, kwargs=patient_with_consent_document, clinical=True),
        Case(
            method="post",
            allowed=CLINICAL,
            kwargs=patient_with_consent_document,
            data=consent_body,
            clinical=True,
        ),
    ],
    "patients:consent_detail": [
        Case(allowed=CLINICAL, kwargs=consent, clinical=True),
        Case(
            method="post",
            allowed=CLINICAL,
            kwargs=consent,
            data={"note": "Withdrawn"},
            clinical=True,
        ),
    ],
    "patients:sms_withdraw": Case(method="post", allowed=CLINICAL, kwargs=patient, clinical=True),
    # The patient's signed self-report links: anyone holding a valid token (no login).
    "patients:selfreport_start": Case(allowed=EVERYONE, kwargs=questionnaire_token),
    "patients:selfreport_item": [
        Case(allowed=EVERYONE, kwargs=questionnaire_item),
        Case(method="post", allowed=EVERYONE, kwargs=questionnaire_item, data={"value": "1"}),
    ],
    "patients:safety_plan": [
        Case(allowed=CLINICAL, kwargs=patient, clinical=True),
        Case(
            method="post",
            allowed=CLINICAL,
            kwargs=patient,
            data={"warning_signs": "Not sleeping"},
            clinical=True,
        ),
    ],
    "patients:safety_plan_print": Case(allowed=CLINICAL, kwargs=safety_plan, clinical=True),
    "patients:safety_plan_sign": Case(
        method="post", allowed=CLINICAL, kwargs=safety_plan, clinical=True
    ),
    "patients:consent_countersign": Case(
        method="post", allowed=CLINICAL, kwargs=remote_consent, clinical=True
    ),
    "patients:checkin_review": [
        Case(allowed=CLINICAL, kwargs=checkin, clinical=True),
        Case(
            method="post",
            allowed=CLINICAL,
            kwargs=checkin,
            data={"note": "Called, feeling better"},
            clinical=True,
        ),
    ],
}
