from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from kap_clinic.models import AccessEvent
from patients.chart import chart_sections
from patients.tests.factories import CSSRS_NONE, PHQ9_MODERATE, make_measure
from sessions import panels, services, urls
from sessions.models import DosingSession
from sessions.tests.factories import (
    book_visit,
    dose,
    make_course,
    make_lot,
    make_session,
    plan_booked_session,
    prepare,
)

D = Decimal
pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


def test_iv_session_end_to_end(as_clinician, clinician, provider) -> None:
    lot = make_lot(by=provider)
    course = make_course(by=clinician)
    start = timezone.now().replace(second=0, microsecond=0)
    traveller = time_machine.travel(start, tick=False)
    traveller.start()
    try:
        response = as_clinician.post(
            reverse("sessions:course_detail", args=[course.pk]),
            {"scheduled_for": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
        )
        session = DosingSession.objects.get(course=course)
        url = reverse("sessions:session_detail", args=[session.pk])
        assert response["Location"] == url
        assert "Checklist incomplete" in page(as_clinician.get(url))

        # Checklist: today's measures, the ticked items, then pre-dose vitals (htmx).
        make_measure(course.patient, "phq9", PHQ9_MODERATE, by=clinician)
        make_measure(course.patient, "cssrs", CSSRS_NONE, by=clinician)
        response = as_clinician.post(
            reverse("sessions:checklist_update", args=[session.pk]),
            {
                "fasting_confirmed": "on",
                "escort_name": "Jamie Doe",
                "escort_phone": "734 555 0199",
                "medications_reviewed": "on",
                "pregnancy_test": "not_applicable",
                "intention_set": "on",
                "contraindications_reconfirmed": "nothing_new",
            },
        )
        assert response.status_code == 302
        vitals_url = reverse("sessions:vitals_add", args=[session.pk])
        response = as_clinician.post(
            vitals_url,
            {"systolic": 124, "diastolic": 80, "heart_rate": 74, "spo2": 98},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200 and 'id="vitals-panel"' in page(response)
        assert "<html" not in page(response)  # a fragment swapped in place
        assert "Checklist complete." in page(as_clinician.get(url))

        # Dose: the total is computed on the server before saving.
        preview = as_clinician.post(
            reverse("sessions:dose_preview", args=[session.pk]),
            {"weight": "70", "weight_unit": "kg", "mg_per_kg": "0.5", "lot": lot.pk},
            headers={"HX-Request": "true"},
        )
        assert 'data-testid="dose-total">35.0 mg<' in page(preview)
        assert "Draw 0.70 mL of KET-001, 50 mg/mL" in page(preview)
        response = as_clinician.post(
            reverse("sessions:dose_record", args=[session.pk]),
            {
                "weight": "70",
                "weight_unit": "kg",
                "mg_per_kg": "0.5",
                "lot": lot.pk,
                "administered_by": clinician.pk,
                "supervising_provider": provider.pk,
                "total_mg": "999",
            },  # a typed total is ignored
        )
        assert response.status_code == 302
        session.refresh_from_db()
        assert session.total_mg == D("35.0") and session.ledger_entry.change_mg == D("-35.0")
    finally:
        traveller.stop()

    # Readings every 15 minutes through the infusion and observation (a request every 15
    # minutes also keeps the sign-in alive past the idle timeout).
    discharge = {
        "activity": "2",
        "respiration": "2",
        "consciousness": "2",
        "nausea_controlled": "on",
        "escort_present": "on",
        "instructions_given": "on",
        "discharged_with": "Jamie Doe",
    }
    discharge_url = reverse("sessions:discharge", args=[session.pk])
    for minutes in range(15, 106, 15):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            response = as_clinician.post(
                vitals_url,
                {"systolic": 138, "diastolic": 86, "heart_rate": 88, "spo2": 97},
                headers={"HX-Request": "true"},
            )
            due = timezone.localtime(start + dt.timedelta(minutes=minutes + 15))
            assert f"Next reading due {due:%H:%M}" in page(response)
            if minutes == 45:
                as_clinician.post(reverse("sessions:dose_end", args=[session.pk]))
            if minutes == 60:
                response = as_clinician.post(
                    reverse("sessions:cadss_record", args=[session.pk]),
                    {f"item_{i}": "1" for i in range(1, 7)},
                )
                assert response.status_code == 302
            if minutes == 90:
                early = as_clinician.post(discharge_url, discharge)
                assert early.status_code == 400 and "60 minutes of observation" in page(early)
                assert 'value="Jamie Doe"' in page(early)
    with time_machine.travel(start + dt.timedelta(minutes=106), tick=False):
        assert as_clinician.post(discharge_url, discharge).status_code == 302
        response = as_clinician.post(
            reverse("sessions:note_save", args=[session.pk]),
            {"note": "Set intention; tolerated well.", "sign": "1"},
        )
        assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == "completed" and session.is_signed
    assert session.vitals.count() == 8 and session.cadss.total == 6

    # Afterwards: read-only, takes an addendum.
    locked = page(as_clinician.get(url))
    assert 'data-testid="locked"' in locked
    assert 'data-testid="vitals-form"' not in locked and 'data-testid="note-form"' not in locked
    refused = as_clinician.post(
        vitals_url, {"systolic": 120, "diastolic": 80, "heart_rate": 70, "spo2": 98}
    )
    assert refused.status_code == 400 and session.vitals.count() == 8
    response = as_clinician.post(
        reverse("sessions:addendum_add", args=[session.pk]), {"text": "Called: doing well."}
    )
    assert response.status_code == 302
    assert 'data-testid="addendum"' in page(as_clinician.get(url))
    assert AccessEvent.objects.filter(patient_id=course.patient_id, what="dosing session").exists()


def test_out_of_range_dose_shows_the_range_and_clinician_cannot_override(
    as_clinician, as_provider, clinician, provider
) -> None:
    session = prepare(make_session(by=clinician), by=clinician)
    lot = make_lot(by=provider)
    body = {
        "weight": "70",
        "weight_unit": "kg",
        "mg_per_kg": "1.5",
        "lot": lot.pk,
        "administered_by": clinician.pk,
        "supervising_provider": provider.pk,
        "override_reason": "I think it is fine",
    }
    url = reverse("sessions:dose_record", args=[session.pk])
    response = as_clinician.post(url, body)
    assert response.status_code == 400
    assert "allowed range of 0.10–1.00 mg/kg" in page(response)
    assert 'value="1.5"' in page(response)  # nothing typed is lost
    assert not DosingSession.objects.get(pk=session.pk).is_dosed
    preview = as_clinician.post(reverse("sessions:dose_preview", args=[session.pk]), body)
    assert "allowed range of 0.10–1.00 mg/kg" in page(preview)

    response = as_provider.post(url, {**body, "override_reason": "Documented partial response"})
    assert response.status_code == 302
    shown = page(as_clinician.get(reverse("sessions:session_detail", args=[session.pk])))
    assert 'data-testid="dose-override"' in shown and "Documented partial response" in shown


def test_incomplete_checklist_blocks_the_dose_in_the_view(as_clinician, clinician, provider):
    session = make_session(by=clinician)
    lot = make_lot(by=provider)
    response = as_clinician.post(
        reverse("sessions:dose_record", args=[session.pk]),
        {
            "weight": "70",
            "weight_unit": "kg",
            "mg_per_kg": "0.5",
            "lot": lot.pk,
            "administered_by": clinician.pk,
            "supervising_provider": provider.pk,
        },
    )
    assert response.status_code == 400 and "Checklist items not done" in page(response)


def test_pre_dose_hold_shows_and_only_a_provider_acknowledges(
    as_clinician, as_provider, clinician
) -> None:
    session = make_session(by=clinician)
    response = as_clinician.post(
        reverse("sessions:vitals_add", args=[session.pk]),
        {"systolic": 150, "diastolic": 95, "heart_rate": 80, "spo2": 98},
        headers={"HX-Request": "true"},
    )
    assert 'data-testid="hold-alert"' in page(response)
    assert 'data-testid="acknowledge-hold"' not in page(response)
    reading = session.vitals.get()
    ack = reverse("sessions:hold_acknowledge", args=[reading.pk])
    assert as_clinician.post(ack, {"reason": "fine"}).status_code == 403
    detail = page(as_provider.get(reverse("sessions:session_detail", args=[session.pk])))
    assert 'data-testid="acknowledge-hold"' in detail
    assert as_provider.post(ack, {"reason": "Repeat 136/86; proceed."}).status_code == 302
    reading.refresh_from_db()
    assert not reading.needs_acknowledgement


def test_impossible_vitals_get_a_clear_error_and_keep_the_values(as_clinician, clinician):
    session = make_session(by=clinician)
    response = as_clinician.post(
        reverse("sessions:vitals_add", args=[session.pk]),
        {"systolic": 80, "diastolic": 95, "heart_rate": 70, "spo2": 98},
        headers={"HX-Request": "true"},
    )
    assert "must be lower than systolic" in page(response)
    assert 'value="95"' in page(response)
    assert not session.vitals.exists()


def test_during_dose_alert_is_prominent(as_clinician, clinician, provider) -> None:
    session = dose(
        prepare(make_session(by=clinician), by=clinician),
        by=clinician,
        lot=make_lot(by=provider),
        provider=provider,
    )
    response = as_clinician.post(
        reverse("sessions:vitals_add", args=[session.pk]),
        {"systolic": 150, "diastolic": 90, "heart_rate": 80, "spo2": 90},
        headers={"HX-Request": "true"},
    )
    assert 'data-testid="vitals-alert"' in page(response) and "hypoxia" in page(response)


SESSION_URLS = [p.name for p in urls.urlpatterns]


@pytest.mark.parametrize("name", SESSION_URLS)
@pytest.mark.parametrize("persona", ["as_front_desk", "as_clinic_admin", "as_outsider"])
def test_non_clinical_roles_get_403_on_every_view(request, name, persona, provider) -> None:
    client = request.getfixturevalue(persona)
    pattern = next(p for p in urls.urlpatterns if p.name == name)
    kwargs = {key: 1 for key in pattern.pattern.converters}
    url = reverse(f"sessions:{name}", kwargs=kwargs)
    assert client.get(url).status_code in (403, 405)
    assert client.post(url).status_code == 403


def test_front_desk_gets_403_on_a_real_session(as_front_desk, clinician) -> None:
    session = make_session(by=clinician)
    response = as_front_desk.get(reverse("sessions:session_detail", args=[session.pk]))
    assert response.status_code == 403


def _chart_section_html(rf, user, patient) -> str:
    request = rf.get("/")
    request.user = user
    [section] = [s for s in chart_sections(request, patient) if s["section"].key == "treatment"]
    return section["html"]


def test_chart_treatment_section_has_the_same_query_count_for_1_or_20_sessions(
    rf, clinician, provider
) -> None:
    counts = []
    for n in (1, 20):
        course = make_course(by=clinician, planned=40)
        lot = make_lot(by=provider, number=f"Q{n}")
        for i in range(n):
            session = make_session(by=clinician, course=course)
            if i == 0:
                dose(prepare(session, by=clinician), by=clinician, lot=lot, provider=provider)
        # As many booked visits again: dosing visits with a session planned on each, and
        # integration visits.
        for i in range(n):
            at = timezone.now() + dt.timedelta(days=1 + i, hours=n)
            plan_booked_session(course, by=clinician, starts_at=at)
            book_visit(
                course.patient,
                by=provider,
                starts_at=at + dt.timedelta(hours=2),
                kind="integration",
            )
        with CaptureQueriesContext(connection) as queries:
            html = _chart_section_html(rf, clinician, course.patient)
        assert html.count("sessions/") >= 2 * n
        assert html.count('data-testid="session-visit"') == n
        assert html.count('data-testid="upcoming-visit"') == min(2 * n, 20)
        counts.append(len(queries))
        with CaptureQueriesContext(connection) as queries:
            panels.chart_treatment(None, course.patient)
        # courses, sessions with their visits, follow-ups, next visits, their planned sessions
        assert len(queries) == 5
    assert counts[0] == counts[1]


def test_chart_page_keeps_its_query_count_with_1_or_20_sessions(as_clinician, clinician):
    counts = []
    as_clinician.get(reverse("home"))  # the sign-in session is saved on the first request
    for n in (1, 20):
        course = make_course(by=clinician, planned=40)
        for i in range(n):
            make_session(by=clinician, course=course)
            at = timezone.now() + dt.timedelta(days=1 + i, hours=n)
            plan_booked_session(course, by=clinician, starts_at=at)
            book_visit(
                course.patient,
                by=clinician,
                starts_at=at + dt.timedelta(hours=2),
                kind="integration",
            )
        with CaptureQueriesContext(connection) as queries:
            response = as_clinician.get(reverse("patients:chart", args=[course.patient_id]))
        assert response.status_code == 200
        assert page(response).count('href="/sessions/') >= 2 * n
        assert page(response).count('data-testid="upcoming-visit"') == min(2 * n, 20)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_chart_treatment_section_is_for_clinical_roles_only(rf, front_desk, clinician) -> None:
    course = make_course(by=clinician)
    request = rf.get("/")
    request.user = front_desk
    assert [s for s in chart_sections(request, course.patient)] == []


def test_clinician_home_lists_integration_due_then_overdue(clinician, provider):
    session = dose(
        prepare(make_session(by=clinician, route="im"), by=clinician),
        by=clinician,
        lot=make_lot(by=provider),
        provider=provider,
    )
    # A fresh sign-in at each time: the idle timeout would end one spanning days.
    with time_machine.travel(session.dose_started_at + dt.timedelta(hours=71), tick=False):
        home = page(client_for(clinician).get(reverse("home")))
        assert 'data-testid="integration-due"' in home
    with time_machine.travel(session.dose_started_at + dt.timedelta(hours=73), tick=False):
        home = page(client_for(clinician).get(reverse("home")))
        assert 'data-testid="integration-overdue"' in home
        chart = (
            _chart_section_html(
                type("R", (), {"get": lambda self, p: None})(), clinician, session.course.patient
            )
            if False
            else None
        )
        assert chart is None


def test_follow_up_clears_the_due_item(as_clinician, clinician, provider) -> None:
    session = dose(
        prepare(make_session(by=clinician, route="im"), by=clinician),
        by=clinician,
        lot=make_lot(by=provider),
        provider=provider,
    )
    url = reverse("sessions:follow_up_create", args=[session.pk])
    assert as_clinician.get(url).status_code == 200
    response = as_clinician.post(
        url,
        {
            "held_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            "themes": "Connection",
            "plan": "Weekly therapy",
        },
    )
    assert response.status_code == 302
    assert 'data-testid="integration-due"' not in page(as_clinician.get(reverse("home")))


def test_provider_home_lists_holds_awaiting_acknowledgement(as_provider, clinician) -> None:
    session = make_session(by=clinician)
    services.vitals_record(
        session=session, systolic=150, diastolic=95, heart_rate=80, spo2=98, by=clinician
    )
    assert "pre-dose 150/95" in page(as_provider.get(reverse("home")))


def test_navigation_shows_sessions_to_clinical_roles_and_ledger_to_providers(
    as_clinician, as_provider, as_front_desk
) -> None:
    sessions_link = f'href="{reverse("sessions:worklist")}">Sessions<'
    ledger_link = f'href="{reverse("sessions:ledger")}">Ledger<'
    assert sessions_link in page(as_clinician.get(reverse("home")))
    assert ledger_link not in page(as_clinician.get(reverse("home")))
    assert ledger_link in page(as_provider.get(reverse("home")))
    assert sessions_link not in page(as_front_desk.get(reverse("home")))


def test_course_cannot_start_without_eligibility_and_consent(as_clinician) -> None:
    from patients.tests.factories import PatientFactory

    patient = PatientFactory()
    response = as_clinician.post(
        reverse("sessions:course_create", args=[patient.pk]),
        {"protocol": 1, "planned_sessions": 6, "starts_on": "2026-12-01"},
    )
    assert response.status_code == 200 and "current signed consent" in page(response)


def test_worklist_query_count_does_not_grow(as_clinician, clinician, django_assert_max_num_queries):
    course = make_course(by=clinician, planned=20)
    make_session(by=clinician, course=course)
    with django_assert_max_num_queries(12):
        as_clinician.get(reverse("sessions:worklist"))
    for _ in range(15):
        make_session(by=clinician, course=course)
    with django_assert_max_num_queries(12):
        response = as_clinician.get(reverse("sessions:worklist"))
    assert page(response).count("sessions/") >= 16


def test_follow_up_with_a_repeat_phq9_keeps_the_form_when_incomplete(
    as_clinician, clinician, provider
) -> None:
    session = dose(
        prepare(make_session(by=clinician, route="im"), by=clinician),
        by=clinician,
        lot=make_lot(by=provider),
        provider=provider,
    )
    url = reverse("sessions:follow_up_create", args=[session.pk])
    body = {
        "held_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "themes": "Connection",
        "plan": "Weekly therapy",
        "with_phq9": "on",
    }
    response = as_clinician.post(url, {**body, "phq9-item_1": "2"})
    assert response.status_code == 200 and "Connection" in page(response)
    assert not session.follow_ups.exists()
    answers = {f"phq9-item_{i}": "1" for i in range(1, 10)}
    assert as_clinician.post(url, {**body, **answers}).status_code == 302
    assert session.follow_ups.get().measures.get().total == 9
