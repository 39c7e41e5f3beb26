"""A patient's record as a FHIR R4 Bundle (JSON), built part by part from the registry.

Codes: LOINC for measures and vital signs (DESIGN.md, "Interoperability"), RxNorm 6130 for
ketamine, SNOMED CT for the route; what has no standard code (the C-SSRS screener's risk level,
CADSS-6, an eligibility decision) uses the clinic's own code system under ``SITE_URL``. The
bundle validates with ``fhir.resources``' R4B models (R4B reads R4: the resources used here are
the same in both).
"""

from __future__ import annotations

import base64
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from patients import instruments
from sessions.records import registry

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

# LOINC, from DESIGN.md; PCL-5 from the LOINC table: 101697-1 "Post traumatic stress disorder
# checklist - civilian version DSM-5 [PCL-5]" (panel), 101698-9 "PTSD PCL-5 score [PCL-5]".
# The C-SSRS in LOINC (93245-9) is the full lifetime/recent scale, not the six-question screener
# the clinic uses, and CADSS-6 has no LOINC term: both get the clinic's local code only.
MEASURE_PANEL = {
    instruments.PHQ9: ("44249-1", "PHQ-9 quick depression assessment panel"),
    instruments.GAD7: ("69737-5", "Generalized anxiety disorder 7 item (GAD-7)"),
    instruments.PCL5: ("101697-1", "PTSD checklist for DSM-5 [PCL-5]"),
}
MEASURE_TOTAL = {
    instruments.PHQ9: ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score"),
    instruments.GAD7: ("70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score"),
    instruments.PCL5: ("101698-9", "PTSD PCL-5 score [PCL-5]"),
}
VITALS = {
    "bp": ("85354-9", "Blood pressure panel with all children optional"),
    "systolic": ("8480-6", "Systolic blood pressure"),
    "diastolic": ("8462-4", "Diastolic blood pressure"),
    "heart_rate": ("8867-4", "Heart rate"),
    "spo2": ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
    "respiratory_rate": ("9279-1", "Respiratory rate"),
    "weight": ("29463-7", "Body weight"),
    "height": ("8302-2", "Body height"),
}
KETAMINE = {"system": RXNORM, "code": "6130", "display": "ketamine"}
ROUTES = {
    "iv": {"system": SNOMED, "code": "47625008", "display": "Intravenous route"},
    "im": {"system": SNOMED, "code": "78421000", "display": "Intramuscular route"},
}


def local(path: str) -> str:
    """A URL in the clinic's own namespace (code systems, identifiers, extensions)."""
    return f"{settings.SITE_URL}/fhir/{path}"


def coding(system: str, code: str, display: str = "") -> dict[str, Any]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(*codings: dict[str, Any], text: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if codings:
        out["coding"] = list(codings)
    if text:
        out["text"] = text
    return out


def when(value: datetime | date | None) -> str | None:
    """FHIR dateTime/instant (with the offset) or date."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def number(value: Decimal | int | float) -> float | int:
    return value if isinstance(value, int) else float(value)


def quantity(value: Decimal | int | float, unit: str, code: str) -> dict[str, Any]:
    return {"value": number(value), "unit": unit, "system": UCUM, "code": code}


def text_attachment(text: str, *, title: str = "", created: datetime | None = None) -> dict:
    attachment: dict[str, Any] = {
        "contentType": "text/plain; charset=utf-8",
        "language": "en",
        "data": base64.b64encode(text.encode()).decode("ascii"),
    }
    if title:
        attachment["title"] = title
    if created:
        attachment["creation"] = when(created)
    return attachment


def extension(name: str, **value: Any) -> dict[str, Any]:
    return {"url": local(f"StructureDefinition/{name}"), **value}


def prune(value: Any) -> Any:
    """Drop None, empty strings, lists and dicts: FHIR forbids empty elements."""
    if isinstance(value, dict):
        out = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        out = [prune(v) for v in value]
        return [v for v in out if v not in (None, "", [], {})]
    return value


class FhirContext:
    """What the builders share: the patient's reference and the staff named so far (each
    becomes one Practitioner resource)."""

    def __init__(self, patient: Any) -> None:
        self.patient = patient
        self.practitioners: dict[int, Any] = {}

    @property
    def subject(self) -> dict[str, Any]:
        return {"reference": f"Patient/{self.patient.pk}", "display": self.patient.legal_name}

    def who(self, user: Any) -> dict[str, Any] | None:
        """A reference to a staff member, who then gets a Practitioner resource."""
        if user is None:
            return None
        self.practitioners.setdefault(user.pk, user)
        return {
            "reference": f"Practitioner/{user.pk}",
            "display": user.get_full_name() or user.username,
        }


def practitioner(user: Any) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": str(user.pk),
        "identifier": [{"system": local("staff"), "value": user.username}],
        "active": user.is_active,
        "name": [
            {
                "text": user.get_full_name() or user.username,
                "family": user.last_name,
                "given": [user.first_name] if user.first_name else [],
            }
        ],
    }


def record_bundle(patient: Any, record: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole record as a FHIR ``collection`` Bundle (a JSON-ready dict). ``record`` is the
    parts' data when the caller already collected it (``records.collect_record``)."""
    ctx = FhirContext(patient)
    resources: list[dict[str, Any]] = []
    for part in registry.parts():
        if part.fhir is None:
            continue
        data = record[part.key] if record is not None else part.collect(patient)
        resources.extend(part.fhir(data, ctx))
    resources.extend(practitioner(user) for user in ctx.practitioners.values())
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": when(timezone.now())},
        "identifier": {"system": local("export"), "value": str(uuid.uuid4())},
        "type": "collection",
        "timestamp": when(timezone.now()),
        "entry": [
            {
                "fullUrl": local(f"{resource['resourceType']}/{resource['id']}"),
                "resource": prune(resource),
            }
            for resource in resources
        ],
    }


def validate_bundle(bundle: dict[str, Any]) -> Bundle:
    """Parse the bundle with fhir.resources' R4B models; raises pydantic's ValidationError."""
    return Bundle.model_validate(bundle)
