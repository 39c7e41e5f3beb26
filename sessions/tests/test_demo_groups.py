"""The demo's weekly integration circle: past meetings documented, the next one full with a
freed place offered to the first waiting, and each member's chart showing their own part."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from scheduling import group_selectors
from scheduling.models import Appointment, GroupMeeting
from sessions.demo_groups import CIRCLE
from sessions.models import GroupNote, GroupNotePrivate

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 25)  # a Wednesday


@pytest.fixture(scope="module")
def now(django_db_setup, django_db_blocker):
    moment = timezone.make_aware(datetime.combine(DAY, time(11, 35)))
    with (
        django_db_blocker.unblock(),
        time_machine.travel(moment, tick=False),
        transaction.atomic(),
    ):
        call_command("seed_demo", "--force", verbosity=0)
        yield moment
        transaction.set_rollback(True)


def test_the_circle_has_three_documented_meetings_and_five_to_come(now) -> None:
    meetings = list(GroupMeeting.objects.filter(group_type__appointment_type__name=CIRCLE))
    assert len(meetings) == 8 and len({m.series_id for m in meetings}) == 1
    past = [m for m in meetings if m.starts_at < now]
    assert len(past) == 3
    assert GroupNote.objects.filter(meeting__in=past, signed_at__isnull=False).count() == 3
    for meeting in past:
        seats = Appointment.objects.filter(group_meeting=meeting)
        assert all(hasattr(s, "group_attendance") for s in seats)


def test_the_next_meeting_offers_its_freed_place_to_the_first_waiting(now) -> None:
    with time_machine.travel(now, tick=False):
        offers = group_selectors.place_offers()
    assert [(o.entry.patient.legal_last_name, o.free) for o in offers] == [("Johansson", 1)]
    with time_machine.travel(now, tick=False):
        page = client_for(User.objects.get(username="frontdesk")).get("/").content.decode()
    assert "Free group places to offer" in page and "Leah Johansson" in page


def test_a_members_chart_shows_only_their_own_private_parts(now) -> None:
    part = GroupNotePrivate.objects.select_related("patient").first()
    others = GroupNotePrivate.objects.exclude(patient=part.patient)
    with time_machine.travel(now, tick=False):
        page = (
            client_for(User.objects.get(username="clinician"))
            .get(reverse("patients:chart", args=[part.patient_id]))
            .content.decode()
        )
    assert part.text in page
    assert others.exists()
    for other in others:
        assert other.text not in page
