"""A group session from the front desk's enrolment to each member's chart: enrol three patients,
take attendance, write and sign the group note with a private part each, and find each part on
the right chart only."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from patients.tests.factories import PatientFactory
from scheduling import services
from scheduling.models import Appointment, GroupAttendance
from scheduling.tests.group_factories import group_type

MEMBERS = (("Alicia", "Anders"), ("Bruno", "Brandt"), ("Cyrus", "Castellan"))
SHARED = "The circle explored returning to ordinary routines after a session."


def test_front_desk_fills_a_group_the_facilitator_documents_it_and_each_chart_shows_its_part(
    page, pages, sign_in, live_server, clinic_clock, front_desk, clinician
) -> None:
    kind = group_type(capacity=6)
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, time(10, 0)))
    meeting = services.group_meetings_schedule(
        group_type=kind,
        facilitator=clinician,
        starts_at=start,
        by=front_desk,
        allow_outside_hours=True,
    )[0]
    patients = [PatientFactory(legal_first_name=f, legal_last_name=last) for f, last in MEMBERS]

    # The front desk finds the group on the day calendar and enrols three patients.
    sign_in(front_desk)
    page.goto(f"{live_server.url}{reverse('scheduling:day')}?date={today.isoformat()}")
    group = page.get_by_test_id("calendar-group")
    expect(group).to_have_count(1)
    expect(group).to_contain_text("0 / 6 enrolled")
    group.click()
    for patient in patients:
        search = page.get_by_role("combobox", name="Patient")
        search.fill(patient.legal_last_name)
        options = page.get_by_role("listbox", name="Matching patients").get_by_role("option")
        expect(options).to_have_count(1)
        options.first.click()
        expect(page.get_by_test_id("chosen-patient")).to_contain_text(patient.mrn)
        page.get_by_role("button", name="Enrol", exact=True).click()
        expect(page.get_by_test_id("group-roster")).to_contain_text(patient.display_name)
    expect(page.get_by_test_id("group-places")).to_have_text("3 / 6 enrolled")
    expect(page.get_by_test_id("roster-member")).to_have_count(3)
    # The calendar still shows the group once, now with its members counted.
    page.goto(f"{live_server.url}{reverse('scheduling:day')}?date={today.isoformat()}")
    expect(page.get_by_test_id("calendar-group")).to_contain_text("3 / 6 enrolled")
    expect(page.get_by_test_id("calendar-appointment")).to_have_count(0)

    # Ten minutes into the meeting the facilitator takes attendance.
    clinic_clock.shift(start + timedelta(minutes=10) - timezone.now())
    page = pages.new()
    sign_in(clinician, on=page)
    page.goto(f"{live_server.url}{reverse('scheduling:group_detail', args=[meeting.pk])}")
    page.get_by_role("link", name="Take attendance").click()
    for patient, status in zip(patients, ("Present", "Late", "Left early"), strict=True):
        page.get_by_role("group", name=f"Attendance of {patient.display_name}").get_by_label(
            status, exact=True
        ).check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_test_id("attendance")).to_have_text(["Present", "Late", "Left early"])
    assert GroupAttendance.objects.count() == 3

    # The group note: a shared part, a private part each; a name in the shared part is flagged.
    page.get_by_role("link", name="Group note").click()
    page.get_by_label("Shared: themes").fill(f"{SHARED} Bruno spoke first.")
    page.get_by_label("Shared: practices").fill("Grounding breath")
    for patient in patients:
        page.get_by_label(f"Private: {patient.display_name}").fill(
            f"Private for {patient.legal_last_name.upper()}"
        )
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("names-warning")).to_contain_text("Bruno Brandt")
    page.get_by_role("button", name="Sign the group note").click()
    pages.allow(page, r"status of 400")
    expect(page.get_by_test_id("sign-error")).to_contain_text("names a member")
    page.get_by_label("Shared: themes").fill(SHARED)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("names-warning")).to_have_count(0)
    page.get_by_role("button", name="Sign the group note").click()
    expect(page.get_by_test_id("note-signed")).to_be_visible()
    expect(page.get_by_test_id("note-form")).to_have_count(0)

    # Each member's chart: the shared part and their own private part, nobody else's.
    for patient in patients:
        page.goto(f"{live_server.url}{reverse('patients:chart', args=[patient.pk])}")
        section = page.get_by_test_id("chart-groups")
        expect(section.get_by_test_id("chart-group-shared")).to_contain_text(SHARED)
        expect(section.get_by_test_id("chart-group-private")).to_have_text(
            re.compile(f"Private for {patient.legal_last_name.upper()}")
        )
        body = page.locator("body")
        for other in patients:
            if other == patient:
                continue
            expect(body).not_to_contain_text(f"Private for {other.legal_last_name.upper()}")
            expect(body).not_to_contain_text(other.legal_last_name)

    # The front desk (signed in again: the hour went by) sees roster and attendance, no note.
    desk = pages.new()
    sign_in(front_desk, on=desk)
    desk.goto(f"{live_server.url}{reverse('scheduling:group_detail', args=[meeting.pk])}")
    expect(desk.get_by_test_id("attendance")).to_have_text(["Present", "Late", "Left early"])
    expect(desk.locator("body")).not_to_contain_text("Private for")
    expect(desk.get_by_role("link", name="Group note")).to_have_count(0)
    desk.goto(f"{live_server.url}{reverse('patients:detail', args=[patients[0].pk])}")
    expect(desk.get_by_test_id("patient-groups")).to_contain_text("Present")
    expect(desk.locator("body")).not_to_contain_text(SHARED)
    assert Appointment.objects.filter(group_meeting=meeting, status="completed").count() == 3
