from __future__ import annotations

import pytest
from django.template import engines
from django.urls import reverse

from kap_clinic import roles
from patients import chart
from patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def section_template(settings, tmp_path):
    (tmp_path / "probe.html").write_text("<p data-probe>{{ label }} for {{ patient.mrn }}</p>")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
    ]
    engines._engines = {}  # pick up the new template directory
    yield "probe.html"
    engines._engines = {}


@pytest.fixture
def cleanup():
    keys: list[str] = []
    yield keys
    for key in keys:
        chart.unregister(key)


def test_registered_chart_section_renders_in_order(as_clinician, section_template, cleanup) -> None:
    patient = PatientFactory()
    cleanup += ["probe_late", "probe_early"]
    chart.register_section(
        key="probe_late",
        title="Late probe",
        template=section_template,
        context=lambda request, p: {"label": "late"},
        order=99,
        roles=roles.CLINICAL,
    )
    chart.register_section(
        key="probe_early",
        title="Early probe",
        template=section_template,
        context=lambda request, p: {"label": "early"},
        order=5,
        roles=roles.CLINICAL,
    )
    page = as_clinician.get(reverse("patients:chart", args=[patient.pk])).content.decode()
    early = page.index(f"early for {patient.mrn}")
    intake = page.index('data-testid="chart-section-intake"')
    late = page.index(f"late for {patient.mrn}")
    assert early < intake < late


def test_section_returning_none_is_hidden_and_roles_narrow(
    as_clinician, as_provider, section_template, cleanup
) -> None:
    patient = PatientFactory()
    cleanup += ["probe_hidden", "probe_provider"]
    chart.register_section(
        key="probe_hidden",
        title="Hidden",
        template=section_template,
        context=lambda request, p: None,
        order=1,
    )
    chart.register_section(
        key="probe_provider",
        title="Provider only",
        template=section_template,
        context=lambda request, p: {"label": "prov"},
        order=2,
        roles={roles.MEDICAL_PROVIDER, roles.FRONT_DESK},
    )
    url = reverse("patients:chart", args=[patient.pk])
    assert "prov for" not in as_clinician.get(url).content.decode()
    assert "prov for" in as_provider.get(url).content.decode()
    # A chart section can never be widened to a non-clinical role.
    assert chart._CHART["probe_provider"].roles == frozenset({roles.MEDICAL_PROVIDER})


def test_front_desk_section_shows_on_the_registry_page(
    as_front_desk, section_template, cleanup
) -> None:
    patient = PatientFactory()
    cleanup.append("probe_fd")
    chart.register_front_desk_section(
        key="probe_fd",
        title="Appointments probe",
        template=section_template,
        context=lambda request, p: {"label": "appts"},
        order=10,
    )
    page = as_front_desk.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Appointments probe" in page and f"appts for {patient.mrn}" in page


def test_registering_a_key_again_replaces_it(cleanup) -> None:
    cleanup.append("probe_twice")
    for title in ("First", "Second"):
        chart.register_section(
            key="probe_twice",
            title=title,
            template="x.html",
            context=lambda request, p: {},
            order=1,
        )
    assert chart._CHART["probe_twice"].title == "Second"
