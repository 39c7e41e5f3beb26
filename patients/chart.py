"""Sections of a patient's pages that other apps fill, without editing this app's templates.

Two registries:

* **The clinical chart** (``patients:chart``, clinical roles only) — ``register_section``.
* **The front-desk patient page** (``patients:detail``, every front-office role) —
  ``register_front_desk_section``. This page is seen by front desk: a section registered here
  must never show clinical content (no intake answers, scores, diagnoses, contraindications,
  doses, vitals or notes).

Register from your app's ``AppConfig.ready()``::

    from patients.chart import register_section

    register_section(
        key="treatment",
        title="Treatment",
        template="sessions/snippets/chart_treatment.html",
        context=treatment_section_context,  # (request, patient) -> dict
        order=40,
        roles=roles.CLINICAL,
    )

``context(request, patient)`` returns the template's context (the page adds ``patient`` and
``section``; query by ``patient.pk``). It runs only for users with one of ``roles``; returning
``None`` hides the section for that request. Sections render in ``order``, lower first. On the
chart this app uses intake 10, eligibility 15, measures 20, outcomes 25, consent 30; treatment
(sessions) 40, appointments (scheduling) 50 and the access log (audit) 90 follow. Registering
the same ``key`` again replaces the earlier entry, so a module imported twice does no harm.
Keep each ``context`` to a constant number of queries: the chart is opened all day.

A third registry adds **markers to the outcome charts** (PHQ-9, GAD-7, PCL-5 over time, on the
chart and the measures page) — ``register_outcome_markers``, e.g. the sessions app's dosing
days::

    register_outcome_markers(key="dosing", markers=panels.outcome_markers)

``markers(patient)`` returns ``OutcomeMarker``s (a time and a short label), in one query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

from kap_clinic import roles as kap_roles

SectionContext = Callable[[HttpRequest, Any], dict[str, Any] | None]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    template: str
    context: SectionContext
    order: int
    roles: frozenset[str]


@dataclass(frozen=True)
class OutcomeMarker:
    """An event drawn on the outcome charts as a vertical line, e.g. a dose."""

    at: datetime
    label: str


OutcomeMarkers = Callable[[Any], Iterable[OutcomeMarker]]

_CHART: dict[str, Section] = {}
_FRONT_DESK: dict[str, Section] = {}
_OUTCOME_MARKERS: dict[str, OutcomeMarkers] = {}


def _register(
    registry: dict[str, Section],
    *,
    key: str,
    title: str,
    template: str,
    context: SectionContext,
    order: int,
    roles: Iterable[str],
) -> Section:
    section = Section(
        key=key,
        title=title,
        template=template,
        context=context,
        order=order,
        roles=frozenset(roles),
    )
    registry[key] = section
    return section


def register_section(
    *,
    key: str,
    title: str,
    template: str,
    context: SectionContext,
    order: int,
    roles: Iterable[str] = kap_roles.CLINICAL,
) -> Section:
    """Add (or replace) a section of the clinical chart. ``roles`` may only narrow the
    chart's own clinical-roles check, never widen it."""
    return _register(
        _CHART,
        key=key,
        title=title,
        template=template,
        context=context,
        order=order,
        roles=frozenset(roles) & kap_roles.CLINICAL,
    )


def register_front_desk_section(
    *,
    key: str,
    title: str,
    template: str,
    context: SectionContext,
    order: int,
    roles: Iterable[str] = kap_roles.FRONT_OFFICE,
) -> Section:
    """Add (or replace) a section of the front-desk patient page. No clinical content."""
    return _register(
        _FRONT_DESK,
        key=key,
        title=title,
        template=template,
        context=context,
        order=order,
        roles=roles,
    )


def _render(
    registry: dict[str, Section], request: HttpRequest, patient: Any
) -> list[dict[str, Any]]:
    mine = kap_roles.roles_of(request.user)
    out = []
    for section in sorted(registry.values(), key=lambda s: (s.order, s.key)):
        if not (section.roles & mine):
            continue
        context = section.context(request, patient)
        if context is None:
            continue
        html = render_to_string(
            section.template, {**context, "patient": patient, "section": section}, request=request
        )
        out.append({"section": section, "context": context, "html": html})
    return out


def chart_sections(request: HttpRequest, patient: Any) -> list[dict[str, Any]]:
    """The chart's sections this user may see, in order, each as
    ``{"section": Section, "context": dict, "html": str}``."""
    return _render(_CHART, request, patient)


def front_desk_sections(request: HttpRequest, patient: Any) -> list[dict[str, Any]]:
    return _render(_FRONT_DESK, request, patient)


def register_outcome_markers(*, key: str, markers: OutcomeMarkers) -> None:
    """Add (or replace) a source of markers for the outcome charts. They are shown only where
    the outcome charts are, which only clinical roles see."""
    _OUTCOME_MARKERS[key] = markers


def outcome_markers(patient: Any) -> list[OutcomeMarker]:
    """Every registered source's markers for the patient, oldest first."""
    found = [marker for markers in _OUTCOME_MARKERS.values() for marker in markers(patient)]
    return sorted(found, key=lambda marker: marker.at)


def unregister(key: str) -> None:
    """Remove a section from both pages, or a source of outcome markers (tests)."""
    _CHART.pop(key, None)
    _FRONT_DESK.pop(key, None)
    _OUTCOME_MARKERS.pop(key, None)
