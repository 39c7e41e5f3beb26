"""The contraindication screen re-confirmed before every dose (DESIGN.md, "Contraindication
screen": intake, and re-confirmed before every dose), as an item of the preparation checklist."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD, client_for
from patients.tests.factories import make_intake
from sessions import selectors, services
from sessions.models import DosingSession, LedgerEntry
from sessions.tests.factories import (
    dose,
    make_course,
    make_lot,
    make_session,
    prepare,
    ready_patient,
)

pytestmark = pytest.mark.django_db

KEY = "contraindications"
LABEL = "Contraindication screen re-confirmed with the patient today"
# Absolute "yes" (overridden at eligibility), relative "yes", absolute and relative "unknown".
SCREEN = {
    "pregnancy": "yes",
    "maoi": "yes",
    "severe_liver_disease": "unknown",
    "lamotrigine": "unknown",
}


def item(session: DosingSession):
    fresh = DosingSession.objects.get(pk=session.pk)
    return {i.key: i for i in selectors.checklist_items(fresh)}[KEY]


def prepared(by: User, **course) -> DosingSession:
    """Everything on the checklist done: the re-confirmation included (``prepare``)."""
    return prepare(make_session(by=by, course=make_course(by=by, **course)), by=by)


def not_reconfirmed(by: User) -> DosingSession:
    """Everything done except the re-confirmation."""
    session = prepared(by)
    return services.checklist_update(session=session, by=by, contraindications_reconfirmed="")


def found(session: DosingSession, by: User, note: str = "Started phenelzine last week"):
    return services.checklist_update(
        session=session,
        by=by,
        contraindications_reconfirmed="new_found",
        contraindications_note=note,
    )


def page(response) -> str:
    return response.content.decode()


def shown_item(html: str) -> str:
    """The re-confirmation's entry on the page: the checklist's last item, with its lines."""
    assert f'data-testid="checklist-{KEY}">' in html
    return html.split(f'data-testid="checklist-{KEY}">')[1].split('data-testid="checklist-state"')[
        0
    ]


# --- the item's states -----------------------------------------------------------------------


def test_item_is_not_done_until_the_screen_is_reconfirmed_today(clinician) -> None:
    session = not_reconfirmed(clinician)
    items = {i.key: i for i in selectors.checklist_items(session)}
    assert [k for k, i in items.items() if not i.done] == [KEY]
    assert items[KEY].label.startswith(LABEL)
    assert items[KEY].detail == "Not yet asked today"
    assert not items[KEY].automatic


def test_clinician_cannot_dose_while_the_screen_is_unconfirmed(clinician, provider) -> None:
    session = not_reconfirmed(clinician)
    lot = make_lot(by=provider)
    with pytest.raises(ValidationError, match=f"Checklist items not done: {re.escape(LABEL)}"):
        dose(session, by=clinician, lot=lot, provider=provider)
    assert not DosingSession.objects.get(pk=session.pk).is_dosed
    assert not LedgerEntry.objects.filter(kind="administration").exists()


def test_nothing_new_completes_the_item_and_the_dose_goes_ahead(clinician, provider) -> None:
    session = not_reconfirmed(clinician)
    services.checklist_update(
        session=session,
        by=clinician,
        contraindications_reconfirmed="nothing_new",
        contraindications_note="  Asked about new medication and pregnancy.  ",
    )
    confirmed = item(session)
    assert confirmed.done
    assert (
        confirmed.detail == "Asked today: nothing new (Asked about new medication and pregnancy.)"
    )
    assert dose(session, by=clinician, lot=make_lot(by=provider), provider=provider).is_dosed


def test_new_contraindication_needs_a_note_and_nothing_is_saved_without_one(clinician) -> None:
    session = not_reconfirmed(clinician)
    for note in ("", "   "):
        with pytest.raises(ValidationError) as error:
            found(session, clinician, note=note)
        assert error.value.message_dict == {
            "contraindications_note": ["Write what new contraindication was found."]
        }
    saved = DosingSession.objects.get(pk=session.pk)
    assert (saved.contraindications_reconfirmed, saved.contraindications_note) == ("", "")


def test_database_refuses_a_new_contraindication_without_a_note(clinician) -> None:
    session = make_session(by=clinician)
    with pytest.raises(IntegrityError), transaction.atomic():
        DosingSession.objects.filter(pk=session.pk).update(
            contraindications_reconfirmed="new_found", contraindications_note=""
        )


def test_unknown_answer_is_refused(clinician) -> None:
    session = make_session(by=clinician)
    with pytest.raises(ValidationError, match="Choose one of the contraindication answers"):
        services.checklist_update(
            session=session, by=clinician, contraindications_reconfirmed="probably_fine"
        )


def test_new_contraindication_keeps_the_checklist_incomplete_and_blocks_the_dose(
    clinician, provider
) -> None:
    session = found(prepared(clinician), clinician)
    shown = item(session)
    assert not shown.done
    assert shown.detail == "New contraindication found today: Started phenelzine last week"
    assert shown.hard_stop.startswith("A new contraindication was found today")
    lot = make_lot(by=provider)
    with pytest.raises(ValidationError, match="No dose: abort this session"):
        dose(session, by=clinician, lot=lot, provider=provider)
    # A provider recording the dose does not get past it either.
    with pytest.raises(ValidationError, match="No dose: abort this session"):
        dose(session, by=provider, lot=lot, provider=provider)


@pytest.mark.parametrize("who", ["clinician", "provider"])
def test_a_recorded_new_contraindication_cannot_be_ticked_away(who, request, clinician) -> None:
    by = request.getfixturevalue(who)
    session = found(prepared(clinician), clinician)
    for change in (
        {"contraindications_reconfirmed": "nothing_new"},
        {"contraindications_reconfirmed": ""},
        {"contraindications_note": ""},
    ):
        with pytest.raises(ValidationError, match="new contraindication"):
            services.checklist_update(session=session, by=by, **change)
    saved = DosingSession.objects.get(pk=session.pk)
    assert saved.contraindications_reconfirmed == "new_found"
    assert saved.contraindications_note == "Started phenelzine last week"
    # What was found may be told more fully; it stays a finding.
    services.checklist_update(
        session=session, by=by, contraindications_note="Started phenelzine 15 mg last week"
    )
    assert item(session).detail.endswith("phenelzine 15 mg last week")


def test_a_new_contraindication_is_a_hard_stop_no_override_lifts(clinician, provider) -> None:
    session = found(prepared(clinician), clinician)
    with pytest.raises(ValidationError, match="cannot be overridden"):
        services.checklist_override(session=session, item=KEY, reason="Fine", by=provider)
    assert not session.item_overrides.exists()
    with pytest.raises(ValidationError, match="No dose: abort this session"):
        dose(session, by=provider, lot=make_lot(by=provider), provider=provider)
    assert not DosingSession.objects.get(pk=session.pk).is_dosed


def test_an_unasked_screen_is_overridden_item_by_item(clinician, provider) -> None:
    session = not_reconfirmed(clinician)
    services.checklist_override(
        session=session, item=KEY, reason="Asked by phone this morning", by=provider
    )
    dosed = dose(session, by=clinician, lot=make_lot(by=provider), provider=provider)
    frozen = {i["key"]: i for i in dosed.checklist_at_dose}[KEY]
    assert frozen["done"] is False
    assert frozen["overridden"].endswith("Asked by phone this morning")


# --- what the intake said --------------------------------------------------------------------


def test_intake_yes_and_unknown_items_are_listed_with_their_kind(clinician, provider) -> None:
    patient = ready_patient(by=provider, screen=SCREEN, override_reason="Negative test today")
    session = make_session(by=clinician, course=make_course(by=clinician, patient=patient))
    shown = item(session)
    assert shown.detail == "Not yet asked today. From the signed intake, ask about:"
    name = provider.get_full_name()
    assert shown.lines == (
        f"Pregnancy (absolute): yes at intake; overridden at eligibility by {name}: "
        "Negative test today",
        "Severe liver disease (absolute): unknown at intake",
        "Takes a monoamine oxidase inhibitor (MAOI) (relative): yes at intake",
        "Takes lamotrigine (relative): unknown at intake",
    )
    services.checklist_update(
        session=session, by=clinician, contraindications_reconfirmed="nothing_new"
    )
    shown = item(session)
    assert shown.done and shown.detail == "Asked today: nothing new. From the signed intake:"
    assert len(shown.lines) == 4


def test_an_intake_with_every_item_no_lists_nothing(clinician) -> None:
    shown = item(make_session(by=clinician))
    assert shown.lines == () and shown.detail == "Not yet asked today"


def test_the_latest_signed_intake_is_the_one_listed(clinician, provider) -> None:
    patient = ready_patient(by=provider, screen={"lamotrigine": "yes"})
    session = make_session(by=clinician, course=make_course(by=clinician, patient=patient))
    assert item(session).lines == ("Takes lamotrigine (relative): yes at intake",)
    make_intake(patient, by=clinician, sign=True, screen={"high_dose_benzodiazepines": "unknown"})
    assert item(session).lines == ("Takes high-dose benzodiazepines (relative): unknown at intake",)


# --- the snapshot at the dose ----------------------------------------------------------------


def test_item_and_intake_findings_are_frozen_when_the_dose_is_recorded(clinician, provider):
    patient = ready_patient(by=provider, screen=SCREEN, override_reason="Negative test today")
    session = prepare(
        make_session(by=clinician, course=make_course(by=clinician, patient=patient)),
        by=clinician,
    )
    before = item(session)
    dosed = dose(session, by=clinician, lot=make_lot(by=provider), provider=provider)
    frozen = {i["key"]: i for i in dosed.checklist_at_dose}[KEY]
    assert frozen["done"] is True and frozen["detail"] == before.detail
    assert list(frozen["lines"]) == list(before.lines) and len(before.lines) == 4
    # A later intake says "no" to everything: the dose's record still shows what was asked.
    make_intake(patient, by=clinician, sign=True)
    after = item(dosed)
    assert after.done and list(after.lines) == list(before.lines)
    with pytest.raises(ValidationError, match="can no longer change"):
        services.checklist_update(session=dosed, by=clinician, contraindications_reconfirmed="")


def test_a_snapshot_taken_before_the_item_existed_still_shows(clinician) -> None:
    session = make_session(by=clinician)
    old = [
        {
            "key": "consent",
            "label": "Consent current",
            "done": True,
            "detail": "",
            "automatic": True,
        }
    ]
    DosingSession.objects.filter(pk=session.pk).update(checklist_at_dose=old)
    items = selectors.checklist_items(DosingSession.objects.get(pk=session.pk))
    assert [(i.key, i.done, i.lines) for i in items] == [("consent", True, ())]


# --- in the browser --------------------------------------------------------------------------


def detail_url(session: DosingSession) -> str:
    return reverse("sessions:session_detail", args=[session.pk])


def checklist_body(**overrides: str) -> dict[str, str]:
    body = {
        "fasting_confirmed": "on",
        "escort_name": "Jamie Doe",
        "escort_phone": "734 555 0199",
        "medications_reviewed": "on",
        "pregnancy_test": "not_applicable",
        "intention_set": "on",
        "contraindications_reconfirmed": "nothing_new",
        "contraindications_note": "",
    }
    body.update(overrides)
    return body


def test_session_page_shows_the_item_and_what_to_ask_about(as_clinician, clinician, provider):
    patient = ready_patient(by=provider, screen=SCREEN, override_reason="Negative test today")
    session = make_session(by=clinician, course=make_course(by=clinician, patient=patient))
    html = page(as_clinician.get(detail_url(session)))
    shown = shown_item(html)
    assert LABEL in shown and "Not yet asked today" in shown and "✗" in shown
    assert 'data-testid="checklist-contraindications-lines"' in shown
    assert "Pregnancy (absolute): yes at intake; overridden at eligibility by" in shown
    assert "Takes lamotrigine (relative): unknown at intake" in shown
    form = html.split('data-testid="checklist-form"')[1].split("</form>")[0]
    for choice in ("Not yet asked today", "Asked today: nothing new", "New contraindication found"):
        assert choice in form
    assert 'name="contraindications_note"' in form


def test_new_contraindication_without_a_note_is_refused_and_the_form_keeps_what_was_typed(
    as_clinician, clinician
) -> None:
    session = make_session(by=clinician)
    url = reverse("sessions:checklist_update", args=[session.pk])
    response = as_clinician.post(
        url, checklist_body(contraindications_reconfirmed="new_found", escort_name="Robin Vale")
    )
    assert response.status_code == 400
    html = page(response)
    at_note = html.split('id="div_id_contraindications_note"')[1].split("</textarea>")[1]
    assert "Write what new contraindication was found." in at_note.split("</div>")[0]
    assert "Constraint" not in html
    assert 'value="Robin Vale"' in html
    assert re.search(r'value="new_found"[^>]*checked|checked[^>]*value="new_found"', html)
    saved = DosingSession.objects.get(pk=session.pk)
    assert (saved.escort_name, saved.contraindications_reconfirmed) == ("", "")


def test_new_contraindication_found_at_the_chair_stops_the_dose_whatever_a_provider_says(
    as_clinician, as_provider, clinician, provider
) -> None:
    session = prepare(make_session(by=clinician), by=clinician)
    url = reverse("sessions:checklist_update", args=[session.pk])
    note = "<b>Started</b> phenelzine"
    response = as_clinician.post(
        url, checklist_body(contraindications_reconfirmed="new_found", contraindications_note=note)
    )
    assert response.status_code == 302
    html = page(as_clinician.get(detail_url(session)))
    shown = shown_item(html)
    assert "STOP" in shown and "New contraindication found today: &lt;b&gt;Started" in shown
    assert "<b>Started</b>" not in html
    assert "Hard stop: no dose" in html
    # The answer is shown but no longer offered; a crafted POST does not change it either.
    form = html.split('data-testid="checklist-form"')[1].split("</form>")[0]
    assert re.search(r'name="contraindications_reconfirmed"[^>]*disabled', form)
    response = as_clinician.post(url, checklist_body(contraindications_note=note))
    assert response.status_code == 302
    assert DosingSession.objects.get(pk=session.pk).contraindications_reconfirmed == "new_found"

    lot = make_lot(by=provider)
    dose_body = {
        "weight": "70",
        "weight_unit": "kg",
        "mg_per_kg": "0.5",
        "lot": lot.pk,
        "administered_by": clinician.pk,
        "supervising_provider": provider.pk,
    }
    dose_url = reverse("sessions:dose_record", args=[session.pk])
    response = as_clinician.post(dose_url, dose_body)
    assert response.status_code == 400 and "No dose: abort this session" in page(response)

    override = reverse("sessions:checklist_override", args=[session.pk])
    assert as_clinician.post(override, {"item": KEY, "reason": "Fine"}).status_code == 403
    response = as_provider.post(override, {"item": KEY, "reason": "MAOI stopped 3 weeks ago"})
    assert response.status_code == 400 and "cannot be overridden" in page(response)
    assert as_provider.post(dose_url, dose_body).status_code == 400
    assert not DosingSession.objects.get(pk=session.pk).is_dosed


def test_clinician_cannot_dose_in_the_view_while_unconfirmed(as_clinician, clinician, provider):
    session = not_reconfirmed(clinician)
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
    assert response.status_code == 400
    assert f"Checklist items not done: {LABEL}" in page(response)
    assert not DosingSession.objects.get(pk=session.pk).is_dosed


def test_front_desk_cannot_reconfirm_or_see_the_item(as_front_desk, clinician) -> None:
    session = make_session(by=clinician)
    url = reverse("sessions:checklist_update", args=[session.pk])
    assert as_front_desk.post(url, checklist_body()).status_code == 403
    assert as_front_desk.get(detail_url(session)).status_code == 403
    assert DosingSession.objects.get(pk=session.pk).contraindications_reconfirmed == ""


def test_admin_shows_the_reconfirmation_read_only(clinician) -> None:
    superuser = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    session = found(make_session(by=clinician), clinician)
    client = client_for(superuser)
    url = reverse("admin:clinic_sessions_dosingsession_change", args=[session.pk])
    html = page(client.get(url))
    assert "Contraindication screen re-confirmed with the patient today" in html
    assert "Started phenelzine last week" in html
    assert client.post(url, {"contraindications_reconfirmed": ""}).status_code == 403


def test_a_new_finding_waits_on_the_providers_home_page_until_they_decide(
    clinician, provider
) -> None:
    session = found(prepared(clinician), clinician)
    name = session.course.patient.display_name
    home = page(client_for(provider).get(reverse("home")))
    assert 'data-testid="home-contraindication-findings"' in home
    assert f"{name}: new contraindication found" in home
    # Clinicians see the finding on the session itself, not as a provider's to-do.
    assert "home-contraindication-findings" not in page(client_for(clinician).get(reverse("home")))

    services.session_abort(session=session, reason="New MAOI: eligibility reassessed", by=provider)
    home = page(client_for(provider).get(reverse("home")))
    assert f"{name}: new contraindication found" not in home


def test_an_intake_signed_after_eligibility_unticks_eligibility_and_the_chart_says_why(
    clinician, provider
) -> None:
    session = prepared(clinician)
    patient = session.course.patient
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        make_intake(patient, by=clinician, sign=True)
        items = {
            i.key: i for i in selectors.checklist_items(DosingSession.objects.get(pk=session.pk))
        }
        chart = page(client_for(provider).get(reverse("patients:chart", args=[patient.pk])))
    assert not items["eligibility"].done
    assert items["eligibility"].detail == "Signed before the latest intake: a provider signs again"
    assert 'data-testid="eligibility-outdated"' in chart
