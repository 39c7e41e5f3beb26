"""The home page as each role's start of the day: the worklist panels, the area links, and a
query count that does not grow with the lists."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from patients import selectors as patient_selectors
from patients import services as patient_services
from patients.tests.factories import PatientFactory, make_intake
from scheduling.models import Appointment
from scheduling.tests.factories import AppointmentFactory, AppointmentTypeFactory
from sessions.models import DosingSession
from sessions.tests.factories import make_session

pytestmark = pytest.mark.django_db


def _today_at(hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(hour, minute)))


def book_today(*, clinician: User, count: int = 1, first: int = 0, name: str = "") -> list:
    """``count`` visits today, half an hour apart from 07:00, booked as of midnight so that the
    time of day the tests run at does not matter."""
    visit = AppointmentTypeFactory(name="Follow-up visit", duration_minutes=30)
    booked = []
    for i in range(first, first + count):
        patient = PatientFactory(**({"legal_first_name": name} if name else {}))
        booked.append(
            AppointmentFactory(
                patient=patient,
                type=visit,
                clinician=clinician,
                starts_at=_today_at(7) + dt.timedelta(minutes=30 * i),
                now=_today_at(0, 1),
            )
        )
    return booked


def awaiting_intake(*, by: User, name: str = "") -> object:
    patient = PatientFactory(**({"legal_first_name": name} if name else {}))
    make_intake(patient, by=by, sign=True)
    return patient


def page(client: Client) -> str:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


# --- arrivals ---------------------------------------------------------------------------------


def test_front_desk_sees_everyones_next_visits_with_a_check_in_button(
    as_front_desk, clinician, provider
) -> None:
    mine = book_today(clinician=clinician, name="Orla")[0]
    book_today(clinician=provider, first=1, name="Piet")
    html = page(as_front_desk)
    assert 'data-testid="home-arrivals"' in html and "Today's arrivals" in html
    assert "Orla" in html and "Piet" in html
    assert "Follow-up visit" in html and mine.clinician_name in html
    assert reverse("scheduling:appointment_check_in", args=[mine.pk]) in html
    assert "Check in" in html


def test_home_arrivals_leave_out_visits_already_seen(as_front_desk, clinician) -> None:
    done, waiting = book_today(clinician=clinician, count=2)
    Appointment.objects.filter(pk=done.pk).update(status=Appointment.Status.COMPLETED)
    html = page(as_front_desk)
    assert waiting.patient.display_name in html
    assert done.patient.display_name not in html


def test_front_desk_home_has_an_empty_arrivals_list_and_no_clinical_panels(
    as_front_desk, provider
) -> None:
    make_session(by=provider)
    awaiting_intake(by=provider, name="Quinn")
    html = page(as_front_desk)
    assert "No one else is expected today." in html
    for panel in ("home-sessions", "home-eligibility", "home-holds", "home-integration"):
        assert panel not in html
    assert "Quinn" not in html
    assert f'href="{reverse("sessions:worklist")}' not in html


def test_clinician_sees_only_their_own_visits_today(as_clinician, clinician, provider) -> None:
    book_today(clinician=clinician, name="Orla")
    book_today(clinician=provider, first=1, name="Piet")
    html = page(as_clinician)
    assert "Your visits today" in html
    assert "Orla" in html and "Piet" not in html


def test_many_visits_end_with_a_link_to_the_whole_day(as_front_desk, clinician) -> None:
    visits = book_today(clinician=clinician, count=12)
    html = page(as_front_desk)
    assert visits[9].patient.display_name in html
    assert visits[10].patient.display_name not in html
    assert 'data-testid="home-arrivals-more"' in html


# --- today's dosing sessions ------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["clinician", "provider"])
def test_clinical_roles_see_todays_sessions_linking_to_the_session(
    personas, provider, persona
) -> None:
    session = make_session(by=provider)
    html = page(client_for(personas[persona]))
    assert 'data-testid="home-sessions"' in html
    assert reverse("sessions:session_detail", args=[session.pk]) in html
    assert session.course.patient.display_name in html
    assert "1 of 6" in html and "Planned" in html


def test_sessions_panel_says_when_there_are_none(as_clinician) -> None:
    assert "No dosing sessions today." in page(as_clinician)


@pytest.mark.parametrize("persona", ["front_desk", "clinic_admin"])
def test_non_clinical_roles_get_no_sessions_panel(personas, provider, persona) -> None:
    session = make_session(by=provider)
    html = page(client_for(personas[persona]))
    assert 'data-testid="home-sessions"' not in html
    assert reverse("sessions:session_detail", args=[session.pk]) not in html


# --- intakes awaiting eligibility -------------------------------------------------------------


def _decide(patient, *, by: User) -> None:
    patient_services.eligibility_sign(
        patient=patient, decision="eligible", note="Meets criteria.", by=by
    )


def _new_intake_after_decision(patient, *, clinician: User, provider: User) -> None:
    _decide(patient, by=provider)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        make_intake(patient, by=clinician, sign=True)


def test_awaiting_eligibility_follows_the_latest_signed_intake(clinician, provider) -> None:
    waiting = awaiting_intake(by=clinician)
    make_intake(PatientFactory(), by=clinician)  # a draft intake only: nothing to decide yet
    PatientFactory()  # no intake at all
    decided = awaiting_intake(by=clinician)
    _decide(decided, by=provider)
    resign = awaiting_intake(by=clinician)
    _new_intake_after_decision(resign, clinician=clinician, provider=provider)
    archived = awaiting_intake(by=clinician)
    archived.archived_at = timezone.now()
    archived.save(update_fields=["archived_at"])

    with CaptureQueriesContext(connection) as captured:
        found = list(patient_selectors.awaiting_eligibility())
    assert len(captured) == 1
    assert [p.pk for p in found] == [waiting.pk, resign.pk]
    # The same rule as the chart's: these two have no signed eligibility that stands.
    assert not patient_selectors.eligibility_is_signed(resign)
    assert patient_selectors.eligibility_is_signed(decided)


def test_provider_sees_intakes_awaiting_a_decision_linking_to_it(
    as_provider, clinician, provider
) -> None:
    waiting = awaiting_intake(by=clinician, name="Rafa")
    resign = awaiting_intake(by=clinician, name="Sol")
    _new_intake_after_decision(resign, clinician=clinician, provider=provider)
    decided = awaiting_intake(by=clinician, name="Tove")
    _decide(decided, by=provider)
    html = page(as_provider)
    assert 'data-testid="home-eligibility"' in html
    assert reverse("patients:eligibility_create", args=[waiting.pk]) in html
    assert reverse("patients:eligibility_create", args=[resign.pk]) in html
    assert reverse("patients:eligibility_create", args=[decided.pk]) not in html
    assert html.count('data-testid="eligibility-resign"') == 1


def test_eligibility_panel_says_when_nothing_waits(as_provider) -> None:
    assert "No intakes waiting for a decision." in page(as_provider)


@pytest.mark.parametrize("persona", ["front_desk", "clinician", "clinic_admin"])
def test_only_the_provider_gets_the_eligibility_panel(personas, clinician, persona) -> None:
    patient = awaiting_intake(by=clinician)
    html = page(client_for(personas[persona]))
    assert 'data-testid="home-eligibility"' not in html
    assert reverse("patients:eligibility_create", args=[patient.pk]) not in html


def test_clinic_admin_home_has_links_but_no_worklists(as_clinic_admin, clinician) -> None:
    book_today(clinician=clinician)
    html = page(as_clinic_admin)
    for panel in ("home-arrivals", "home-sessions", "home-eligibility"):
        assert f'data-testid="{panel}"' not in html
    assert html.count('data-testid="home-area"') == 3


# --- every link on the home page opens for the role -------------------------------------------


def _seed_every_panel(*, clinician: User, provider: User) -> None:
    book_today(clinician=clinician)
    book_today(clinician=provider, first=1)
    make_session(by=provider)
    awaiting_intake(by=clinician)


HREF = re.compile(r'href="(/[^"#]*)(?:#[^"]*)?"')


@pytest.mark.parametrize("persona", ["front_desk", "clinician", "provider", "clinic_admin"])
def test_every_link_on_the_home_page_opens_for_the_role(
    personas, clinician, provider, persona
) -> None:
    _seed_every_panel(clinician=clinician, provider=provider)
    client = client_for(personas[persona])
    html = page(client)
    links = {url for url in HREF.findall(html) if not url.startswith("/static/")}
    area_links = re.findall(r'<a class="stretched-link" href="([^"]+)"', html)
    assert area_links and all(url.split("#")[0] in links for url in area_links)
    refused = {url: client.get(url).status_code for url in sorted(links)}
    refused = {url: code for url, code in refused.items() if code != 200}
    assert not refused, f"{persona}'s home page links to pages that do not open: {refused}"


# --- query counts -----------------------------------------------------------------------------


def _queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("home")).status_code == 200
    return len(captured)


# Measured with these worklists; a rise means a panel started querying per row.
# Front desk: one for the freed group places to offer (one query when there are none). The
# self-report panels add one query each: the check-in call list (front office), concerning
# check-ins (clinical roles). The provider's controlled-substance worklist (issue 13) adds 4:
# balances, registrants, their latest inventories, discrepancies needing action; the holds
# panel one for open alerts during doses (issue 12).
HOME_QUERIES = {"front_desk": 6, "clinician": 9, "provider": 16, "clinic_admin": 3}


@pytest.mark.parametrize("persona", sorted(HOME_QUERIES))
def test_home_page_queries_do_not_grow_with_its_lists(
    personas, clinician, provider, persona
) -> None:
    client = client_for(personas[persona])
    client.get(reverse("home"))  # the session's first request also writes the session
    counts = []
    for rows in (2, 20):
        added = rows - (2 if counts else 0)
        first = Appointment.objects.count()
        own = personas[persona] if persona in ("clinician", "provider") else clinician
        book_today(clinician=own, count=added, first=first)
        for _ in range(added):
            make_session(by=provider)
            awaiting_intake(by=clinician)
        counts.append(_queries(client))
    assert DosingSession.objects.count() == 20
    assert Appointment.objects.count() == 20
    assert counts[0] == counts[1] <= HOME_QUERIES[persona], counts
