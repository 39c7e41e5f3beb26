"""FHIR resources for the chart before treatment: the patient, intake, measures, risk flags,
eligibility and consent. Each builder takes its part's data (``records.collect``) and the
shared ``FhirContext`` and yields resource dicts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from patients import contraindications, instruments
from sessions.records.fhir import (
    LOINC,
    MEASURE_PANEL,
    MEASURE_TOTAL,
    OBSERVATION_CATEGORY,
    SNOMED,
    VITALS,
    FhirContext,
    coding,
    concept,
    extension,
    local,
    quantity,
    text_attachment,
    when,
)

GENDER = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}
NO_KNOWN_ALLERGY = ("", "none", "none known", "nkda", "no known allergies", "no known allergy")


def patient_resources(patient: Any, ctx: FhirContext) -> Iterator[dict[str, Any]]:
    names = [
        {
            "use": "official",
            "family": patient.legal_last_name,
            "given": [patient.legal_first_name],
        }
    ]
    if patient.preferred_name:
        names.append(
            {"use": "usual", "family": patient.legal_last_name, "given": [patient.preferred_name]}
        )
    telecom = []
    if patient.phone:
        telecom.append({"system": "phone", "value": str(patient.phone), "use": "mobile"})
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    contact = []
    if patient.emergency_contact_name or patient.emergency_contact_phone:
        contact.append(
            {
                "relationship": [
                    concept(
                        coding(
                            "http://terminology.hl7.org/CodeSystem/v2-0131",
                            "C",
                            "Emergency Contact",
                        )
                    )
                ],
                "name": {"text": patient.emergency_contact_name},
                "telecom": [{"system": "phone", "value": str(patient.emergency_contact_phone)}]
                if patient.emergency_contact_phone
                else [],
            }
        )
    yield {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "identifier": [
            {
                "use": "usual",
                "type": concept(
                    coding("http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical record")
                ),
                "system": local("mrn"),
                "value": patient.mrn,
            }
        ],
        "active": not patient.is_archived,
        "name": names,
        "telecom": telecom,
        "gender": GENDER.get(patient.sex_assigned_at_birth, "unknown"),
        "birthDate": when(patient.date_of_birth),
        "address": [
            {
                "line": [line for line in (patient.address_line1, patient.address_line2) if line],
                "city": patient.city,
                "state": patient.state,
                "postalCode": patient.postal_code,
            }
        ]
        if patient.address_line1 or patient.city or patient.postal_code
        else [],
        "contact": contact,
        "generalPractitioner": [ctx.who(patient.primary_clinician)]
        if patient.primary_clinician
        else [],
        "extension": [
            extension(
                "sex-assigned-at-birth", valueString=patient.get_sex_assigned_at_birth_display()
            ),
            extension("gender-identity", valueString=patient.gender) if patient.gender else None,
            extension("pronouns", valueString=patient.pronouns) if patient.pronouns else None,
            extension("referral-source", valueString=patient.referral_source)
            if patient.referral_source
            else None,
            extension("care-status", valueString=patient.get_status_display()),
        ],
    }


def _vital(
    ident: str,
    key: str,
    ctx: FhirContext,
    *,
    at: Any,
    by: Any = None,
    encounter: str | None = None,
    **value: Any,
) -> dict[str, Any]:
    code, display = VITALS[key]
    return {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "category": [concept(coding(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs"))],
        "code": concept(coding(LOINC, code, display), text=display),
        "subject": ctx.subject,
        "encounter": {"reference": encounter} if encounter else None,
        "effectiveDateTime": when(at),
        "performer": [ctx.who(by)] if by else [],
        **value,
    }


def blood_pressure(
    ident: str, systolic: int, diastolic: int, ctx: FhirContext, **kwargs: Any
) -> dict[str, Any]:
    mmhg = ("mmHg", "mm[Hg]")
    return _vital(
        ident,
        "bp",
        ctx,
        component=[
            {
                "code": concept(coding(LOINC, *VITALS["systolic"])),
                "valueQuantity": quantity(systolic, *mmhg),
            },
            {
                "code": concept(coding(LOINC, *VITALS["diastolic"])),
                "valueQuantity": quantity(diastolic, *mmhg),
            },
        ],
        **kwargs,
    )


def vital_quantity(ident: str, key: str, value: Any, ctx: FhirContext, **kwargs: Any) -> dict:
    unit = {
        "heart_rate": ("/min", "/min"),
        "respiratory_rate": ("/min", "/min"),
        "spo2": ("%", "%"),
        "weight": ("kg", "kg"),
        "height": ("cm", "cm"),
    }[key]
    return _vital(ident, key, ctx, valueQuantity=quantity(value, *unit), **kwargs)


def intake_text(intake: Any) -> str:
    fields = [
        ("Psychiatric diagnoses", intake.diagnoses),
        ("Prior treatments", intake.prior_treatments),
        ("Failed antidepressant trials", intake.failed_antidepressant_trials),
        ("Psychiatric hospitalisations", intake.hospitalisations),
        ("Substance use", intake.substance_use),
        ("Medical history", intake.medical_history),
        ("Current medications", intake.medications),
        ("Allergies", intake.allergies),
        ("Weight (kg)", intake.weight_kg),
        ("Height (cm)", intake.height_cm),
        ("BMI", intake.bmi),
        ("Clinician's summary", intake.notes),
    ]
    lines = [f"Intake assessment ({intake.get_status_display()})"]
    lines += [f"{label}: {value}" for label, value in fields if value not in (None, "")]
    lines.append("Contraindication screen:")
    for answer in intake.screen.all():
        item = contraindications.BY_CODE[answer.item]
        note = f" — {answer.note}" if answer.note else ""
        lines.append(
            f"  {item.label} ({item.kind}): {answer.get_answer_display() or 'not answered'}{note}"
        )
    return "\n".join(lines)


def _document(
    ident: str,
    ctx: FhirContext,
    *,
    type_: dict[str, Any],
    text: str,
    title: str,
    date: Any,
    author: Any,
    final: bool = True,
    authenticator: Any = None,
    encounter: str | None = None,
    appends: str | None = None,
) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "id": ident,
        "status": "current",
        "docStatus": "final" if final else "preliminary",
        "type": type_,
        "subject": ctx.subject,
        "date": when(date),
        "author": [ctx.who(author)] if author else [],
        "authenticator": ctx.who(authenticator) if authenticator else None,
        "description": title,
        "relatesTo": [{"code": "appends", "target": {"reference": f"DocumentReference/{appends}"}}]
        if appends
        else [],
        "content": [{"attachment": text_attachment(text, title=title, created=date)}],
        "context": {"encounter": [{"reference": encounter}]} if encounter else None,
    }


def document(*args: Any, **kwargs: Any) -> dict[str, Any]:
    return _document(*args, **kwargs)


HISTORY_NOTE = concept(coding(LOINC, "34117-2", "History and physical note"))
ADDENDUM = concept(coding(local("CodeSystem/documents"), "addendum", "Addendum"), text="Addendum")


def intake_resources(intakes: list[Any], ctx: FhirContext) -> Iterator[dict[str, Any]]:
    for intake in intakes:
        ident = f"intake-{intake.pk}"
        yield _document(
            ident,
            ctx,
            type_=HISTORY_NOTE,
            text=intake_text(intake),
            title="Intake assessment",
            date=intake.signed_at or intake.created_at,
            author=intake.created_by,
            authenticator=intake.signed_by,
            final=intake.is_signed,
        )
        for addendum in intake.addenda.all():
            yield _document(
                f"intake-addendum-{addendum.pk}",
                ctx,
                type_=ADDENDUM,
                text=addendum.text,
                title="Addendum to the intake assessment",
                date=addendum.created_at,
                author=addendum.author,
                appends=ident,
            )
        at = intake.signed_at or intake.created_at
        by = intake.created_by
        if intake.bp_systolic and intake.bp_diastolic:
            yield blood_pressure(
                f"intake-bp-{intake.pk}", intake.bp_systolic, intake.bp_diastolic, ctx, at=at, by=by
            )
        for key, value in (
            ("heart_rate", intake.heart_rate),
            ("spo2", intake.spo2),
            ("weight", intake.weight_kg),
            ("height", intake.height_cm),
        ):
            if value:
                yield vital_quantity(
                    f"intake-{key.replace('_', '')}-{intake.pk}", key, value, ctx, at=at, by=by
                )
        if intake.allergies.strip().lower().rstrip(".") not in NO_KNOWN_ALLERGY:
            yield {
                "resourceType": "AllergyIntolerance",
                "id": f"allergy-{intake.pk}",
                "clinicalStatus": concept(
                    coding(
                        "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                        "active",
                    )
                ),
                "verificationStatus": concept(
                    coding(
                        "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                        "unconfirmed",
                    )
                ),
                "code": concept(text=intake.allergies),
                "patient": ctx.subject,
                "recordedDate": when(at),
                "recorder": ctx.who(by),
            }
        elif intake.allergies.strip():
            yield {
                "resourceType": "AllergyIntolerance",
                "id": f"allergy-{intake.pk}",
                "code": concept(
                    coding(SNOMED, "716186003", "No known allergy"), text=intake.allergies
                ),
                "patient": ctx.subject,
                "recordedDate": when(at),
                "recorder": ctx.who(by),
            }


def _questionnaire(code: str) -> str:
    if code in MEASURE_PANEL:
        return f"http://loinc.org/q/{MEASURE_PANEL[code][0]}"
    return local(f"Questionnaire/{code}")


def measure_resources(measures: list[Any], ctx: FhirContext) -> Iterator[dict[str, Any]]:
    for measure in measures:
        name = instruments.INSTRUMENTS[measure.code].name
        items = []
        for answer in measure.item_answers:
            item: dict[str, Any] = {"linkId": answer.link_id, "text": answer.text}
            if isinstance(answer.value, bool):
                item["answer"] = [{"valueBoolean": answer.value}]
            elif answer.value is not None:
                item["answer"] = [{"valueInteger": answer.value}]
            items.append(item)
        yield {
            "resourceType": "QuestionnaireResponse",
            "id": f"qr-{measure.pk}",
            "questionnaire": _questionnaire(measure.code),
            "status": "completed",
            "subject": ctx.subject,
            "authored": when(measure.taken_at),
            "author": ctx.who(measure.entered_by),
            "item": items,
        }
        codings = [coding(local("CodeSystem/measures"), measure.code, name)]
        if measure.code in MEASURE_TOTAL:
            codings.insert(0, coding(LOINC, *MEASURE_TOTAL[measure.code]))
        value: dict[str, Any]
        if measure.total is None:  # the C-SSRS screener triages into a risk level
            value = {
                "valueCodeableConcept": concept(
                    coding(local("CodeSystem/cssrs-risk"), measure.severity),
                    text=measure.result_label,
                )
            }
        else:
            value = {"valueInteger": measure.total}
        yield {
            "resourceType": "Observation",
            "id": f"measure-{measure.pk}",
            "status": "final",
            "category": [concept(coding(OBSERVATION_CATEGORY, "survey", "Survey"))],
            "code": concept(*codings, text=f"{name} total"),
            "subject": ctx.subject,
            "effectiveDateTime": when(measure.taken_at),
            "performer": [ctx.who(measure.entered_by)],
            **value,
            "interpretation": [concept(text=measure.severity)]
            if measure.severity and measure.total is not None
            else [],
            "note": [{"text": f"Taken at: {measure.context}"}] if measure.context else [],
            "derivedFrom": [{"reference": f"QuestionnaireResponse/qr-{measure.pk}"}],
        }
        flag = getattr(measure, "risk_flag", None)
        if flag is not None:
            yield {
                "resourceType": "Flag",
                "id": f"flag-{flag.pk}",
                "status": "active" if flag.is_open else "inactive",
                "category": [concept(text="Clinical")],
                "code": concept(
                    text=f"{flag.get_kind_display()} ({name} on {when(measure.taken_at)})"
                ),
                "subject": ctx.subject,
                "period": {"start": when(flag.raised_at), "end": when(flag.acknowledged_at)},
            }
            if flag.acknowledged_at:
                yield _document(
                    f"flag-ack-{flag.pk}",
                    ctx,
                    type_=concept(
                        coding(local("CodeSystem/documents"), "risk-acknowledgement"),
                        text="Suicide-risk acknowledgement",
                    ),
                    text=flag.acknowledgement_note,
                    title="Suicide-risk result acknowledged",
                    date=flag.acknowledged_at,
                    author=flag.acknowledged_by,
                )


def eligibility_resources(decisions: list[Any], ctx: FhirContext) -> Iterator[dict[str, Any]]:
    for decision in decisions:
        lines = [f"Decision: {decision.get_decision_display()}", f"Note: {decision.note}"]
        if decision.override_reason:
            lines.append(f"Override of absolute contraindication: {decision.override_reason}")
            items = ", ".join(
                contraindications.BY_CODE[c].label
                for c in decision.overridden_items
                if c in contraindications.BY_CODE
            )
            if items:
                lines.append(f"Overridden items: {items}")
        yield _document(
            f"eligibility-{decision.pk}",
            ctx,
            type_=concept(
                coding(local("CodeSystem/documents"), "eligibility", "Eligibility decision"),
                text="Eligibility decision",
            ),
            text="\n".join(lines),
            title="Eligibility decision",
            date=decision.signed_at,
            author=decision.signed_by,
            authenticator=decision.signed_by,
        )


def consent_resources(consents: list[Any], ctx: FhirContext) -> Iterator[dict[str, Any]]:
    for consent in consents:
        document_ = consent.document
        yield {
            "resourceType": "Consent",
            "id": f"consent-{consent.pk}",
            "status": "inactive" if consent.is_revoked else "active",
            "scope": concept(
                coding(
                    "http://terminology.hl7.org/CodeSystem/consentscope", "treatment", "Treatment"
                )
            ),
            "category": [concept(coding(LOINC, "59284-0", "Patient Consent"))],
            "patient": ctx.subject,
            "dateTime": when(consent.signed_at),
            "performer": [ctx.subject],
            "sourceAttachment": text_attachment(
                document_.body, title=f"{document_.title} v{document_.version}"
            ),
            "policy": [{"uri": local(f"consent/{document_.version}")}],
            "extension": [
                extension("typed-name", valueString=consent.typed_name),
                extension("witness", valueReference=ctx.who(consent.witness)),
                extension("sms-consent", valueBoolean=consent.sms_consent),
                extension("revoked-at", valueDateTime=when(consent.revoked_at))
                if consent.revoked_at
                else None,
                extension("revocation-note", valueString=consent.revocation_note)
                if consent.revocation_note
                else None,
            ],
        }
