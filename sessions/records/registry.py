"""The parts a patient's record is made of, and which models belong to a patient.

A *part* is one section of the exported record (demographics, intake, measures, treatment ...).
It names the models it covers, reads its data for one patient (``collect``), renders it in the
PDF (``template``, given ``data``) and turns it into FHIR resources (``fhir``). To add a model to
the export, register a part (from an ``AppConfig.ready()``) or add the model to an existing one::

    from sessions.records.registry import Part, register_part

    register_part(Part(
        key="groups",
        title="Group sessions",
        models=("groups.GroupAttendance", "groups.GroupNote"),
        collect=lambda patient: list(GroupAttendance.objects.filter(patient_id=patient.pk)),
        template="groups/records/part_groups.html",
        fhir=group_resources,   # (data, FhirContext) -> iterable of resource dicts
        order=75,
    ))

``patient_owned_models()`` walks every installed model and follows foreign keys (and one-to-one
links) to ``patients.Patient``, through any chain (course → session → vitals, appointment →
reminder), so a new model that belongs to a patient shows up without anyone listing it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models

PATIENT = "patients.Patient"

# Models linked to a patient that are not part of the patient's record, each with the reason.
# Everything else that belongs to a patient must be in a part (the coverage test).
NOT_RECORD: dict[str, str] = {
    # The account of this very disclosure: which copies were made, by whom, when; the access log
    # (in the record) already lists each export. The files themselves are the record.
    "clinic_sessions.RecordExport": "a copy of the record, not part of it",
}


@dataclass(frozen=True)
class Part:
    key: str
    title: str
    models: tuple[str, ...]  # "app_label.ModelName" of every model the part exports
    collect: Callable[[Any], Any]  # (patient) -> the part's data, a fixed number of queries
    template: str  # PDF snippet, rendered with ``data`` and ``patient``
    fhir: Callable[[Any, Any], Iterable[dict[str, Any]]] | None  # (data, FhirContext)
    order: int


_PARTS: dict[str, Part] = {}


def register_part(part: Part) -> Part:
    """Add (or replace, by ``key``) a part of the exported record."""
    _PARTS[part.key] = part
    return part


def unregister_part(key: str) -> Part | None:
    return _PARTS.pop(key, None)


def parts() -> list[Part]:
    return sorted(_PARTS.values(), key=lambda part: (part.order, part.key))


def covered_models() -> set[str]:
    return {label for part in _PARTS.values() for label in part.models}


def _is_history(model: type[models.Model]) -> bool:
    # django-simple-history's Historical* copies: their rows are versions of a covered row.
    return hasattr(model, "instance_type")


def patient_owned_models() -> set[str]:
    """Every concrete model that leads to a patient through foreign keys: the patient itself,
    what points at it, and what points at those, to any depth. History tables are left out."""
    candidates = [
        model
        for model in apps.get_models()
        if not model._meta.abstract and not model._meta.proxy and not _is_history(model)
    ]
    owned = {PATIENT}
    changed = True
    while changed:
        changed = False
        for model in candidates:
            label = model._meta.label
            if label in owned:
                continue
            for field in model._meta.concrete_fields:
                target = field.related_model if field.is_relation else None
                if target is not None and target._meta.label in owned:
                    owned.add(label)
                    changed = True
                    break
    return owned


def missing_models() -> list[str]:
    """Models that belong to a patient but are neither exported nor declared not-record."""
    return sorted(patient_owned_models() - covered_models() - set(NOT_RECORD))
