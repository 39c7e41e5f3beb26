"""The session page's "Record now" for today's PHQ-9 and C-SSRS: the measure form comes back to
the session's checklist, which then shows the item done."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from patients.models import MeasureResult
from sessions import services
from sessions.models import DosingSession
from sessions.tests.factories import make_course

pytestmark = pytest.mark.django_db

ANSWERS = {
    "phq9": {f"item_{n}": str(v) for n, v in enumerate([2, 2, 1, 1, 1, 1, 1, 1, 0], start=1)},
    "cssrs": {"q1": "no", "q2": "no", "q6": "no"},
}


def make_session(*, by) -> DosingSession:
    """A session today for a patient whose intake (with its baseline measures) was a week ago,
    so today's PHQ-9 and C-SSRS are still to do."""
    with time_machine.travel(timezone.now() - dt.timedelta(days=7)):
        course = make_course(by=by)
    return services.session_plan(course=course, scheduled_for=timezone.now(), by=by)


def page(response) -> str:
    return response.content.decode()


def record_now_href(html: str, code: str) -> str:
    match = re.search(rf'href="([^"]+)" data-testid="record-{code}"', html)
    assert match, f"no Record now button for {code}"
    return unescape(match.group(1))


def checklist_item(html: str, key: str) -> str:
    match = re.search(rf'<li [^>]*data-testid="checklist-{key}">(.*?)</li>', html, re.S)
    assert match, key
    return match.group(1)


@pytest.mark.parametrize("persona", ["clinician", "provider"])
@pytest.mark.parametrize(
    ("code", "message"), [("phq9", "PHQ-9 saved: 10"), ("cssrs", "saved: no risk")]
)
def test_record_now_returns_to_the_session_with_the_item_done(
    request, clinician, persona, code, message
) -> None:
    client = client_for(request.getfixturevalue(persona))
    session = make_session(by=clinician)
    session_url = reverse("sessions:session_detail", args=[session.pk])
    html = page(client.get(session_url))
    assert "✗" in checklist_item(html, code)
    href = record_now_href(html, code)
    assert href.startswith(
        reverse("patients:measure_create", args=[session.course.patient_id, code])
    )

    form = page(client.get(href))
    assert f'<input type="hidden" name="next" value="{session_url}#checklist">' in form
    assert f'data-testid="measure-cancel" href="{session_url}#checklist"' in form

    response = client.post(href, {**ANSWERS[code], "next": f"{session_url}#checklist"})
    assert response.status_code == 302
    assert response["Location"] == f"{session_url}#checklist"
    assert MeasureResult.objects.filter(patient=session.course.patient, code=code).count() == 2

    back = page(client.get(session_url))
    assert message in back  # the flash message says what was recorded
    assert "✓" in checklist_item(back, code)
    assert f'data-testid="record-{code}"' not in back


def test_record_now_with_an_incomplete_form_keeps_the_way_back(as_clinician, clinician) -> None:
    session = make_session(by=clinician)
    session_url = reverse("sessions:session_detail", args=[session.pk])
    href = record_now_href(page(as_clinician.get(session_url)), "phq9")
    response = as_clinician.post(href, {"item_1": "2", "next": f"{session_url}#checklist"})
    assert response.status_code == 200
    assert f'<input type="hidden" name="next" value="{session_url}#checklist">' in page(response)
    assert MeasureResult.objects.count() == 4  # the intake's baseline only


@pytest.mark.parametrize("persona", ["as_front_desk", "as_clinic_admin", "as_outsider"])
def test_non_clinical_roles_cannot_use_record_now(request, persona, clinician) -> None:
    client = request.getfixturevalue(persona)
    session = make_session(by=clinician)
    session_url = reverse("sessions:session_detail", args=[session.pk])
    url = reverse("patients:measure_create", args=[session.course.patient_id, "phq9"])
    next_ = f"{session_url}#checklist"
    assert client.get(url, {"next": next_}).status_code == 403
    assert client.post(url, {**ANSWERS["phq9"], "next": next_}).status_code == 403
    assert client.get(session_url).status_code == 403
    assert MeasureResult.objects.count() == 4  # the intake's baseline only


def test_no_record_now_once_the_item_is_done(as_clinician, clinician) -> None:
    session = make_session(by=clinician)
    url = reverse("patients:measure_create", args=[session.course.patient_id, "phq9"])
    as_clinician.post(url, ANSWERS["phq9"])
    html = page(as_clinician.get(reverse("sessions:session_detail", args=[session.pk])))
    assert 'data-testid="record-phq9"' not in html
    assert 'data-testid="record-cssrs"' in html


def test_follow_up_form_has_a_way_back_to_the_session(as_clinician, clinician) -> None:
    session = make_session(by=clinician)
    response = as_clinician.get(reverse("sessions:follow_up_create", args=[session.pk]))
    session_url = reverse("sessions:session_detail", args=[session.pk])
    assert f'href="{session_url}#integration"' in page(response)


def test_a_session_scheduled_another_day_offers_record_now_for_the_dose_day(clinician) -> None:
    # The screens that count are those of the day of the dose, whatever day it was scheduled.
    session = make_session(by=clinician)
    DosingSession.objects.filter(pk=session.pk).update(
        scheduled_for=timezone.now() - dt.timedelta(days=3)
    )
    html = page(client_for(clinician).get(reverse("sessions:session_detail", args=[session.pk])))
    assert 'data-testid="record-phq9"' in html
