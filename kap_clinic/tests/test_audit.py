"""The PHI access log: reviewed by the clinic admin, exported as CSV, shown on the chart to
providers, and impossible to change or delete — from the ORM, any view, or the Django admin."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from conftest import client_for, make_user
from kap_clinic.audit import access_events, recent_access, record_access
from kap_clinic.models import AccessEvent
from kap_clinic.tests.role_matrix import (
    CLINIC_ADMIN,
    all_patterns,
    cases_of,
    declaration_for,
    load_matrix,
    run_case,
)
from patients.tests.factories import PatientFactory


def event(user: User | None, patient_id: int, *, what: str = "chart", allowed: bool = True):
    request = RequestFactory().get(f"/patients/{patient_id}/", REMOTE_ADDR="10.0.0.7")
    request.user = user
    return record_access(request=request, patient_id=patient_id, what=what, allowed=allowed)


def snapshot() -> list[tuple]:
    return list(
        AccessEvent.objects.order_by("pk").values_list(
            "pk", "at", "user_id", "patient_id", "what", "path", "ip_address", "allowed"
        )
    )


# --- Append-only ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_access_event_cannot_be_changed_or_deleted_through_the_orm(clinician) -> None:
    entry = event(clinician, 7)
    entry.what = "nothing"
    with pytest.raises(TypeError, match="append-only"):
        entry.save()
    with pytest.raises(TypeError, match="append-only"):
        entry.delete()
    with pytest.raises(TypeError, match="append-only"):
        AccessEvent.objects.filter(pk=entry.pk).update(what="nothing")
    with pytest.raises(TypeError, match="append-only"):
        AccessEvent.objects.all().delete()
    assert AccessEvent.objects.get().what == "chart"


@pytest.fixture
def superuser(db) -> User:
    return make_user("root_user", None, is_staff=True, is_superuser=True)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["clinic_admin", "superuser"])
def test_admin_shows_the_access_log_read_only(request, clinician, who) -> None:
    entry = event(clinician, 42)
    client = client_for(request.getfixturevalue(who))
    changelist = client.get(reverse("admin:kap_clinic_accessevent_changelist"))
    assert changelist.status_code == 200
    assert "42" in changelist.content.decode()
    detail = client.get(reverse("admin:kap_clinic_accessevent_change", args=[entry.pk]))
    assert detail.status_code == 200
    page = detail.content.decode()
    assert 'name="_save"' not in page
    assert "deletelink" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["clinic_admin", "superuser"])
def test_admin_cannot_add_change_or_delete_access_events(request, clinician, who) -> None:
    entry = event(clinician, 42)
    before = snapshot()
    client = client_for(request.getfixturevalue(who))
    add = reverse("admin:kap_clinic_accessevent_add")
    change = reverse("admin:kap_clinic_accessevent_change", args=[entry.pk])
    delete = reverse("admin:kap_clinic_accessevent_delete", args=[entry.pk])
    changelist = reverse("admin:kap_clinic_accessevent_changelist")
    form = {"user": "", "patient_id": "1", "what": "x", "path": "/", "allowed": "on"}
    assert client.get(add).status_code == 403
    assert client.post(add, form).status_code == 403
    assert client.post(change, form).status_code == 403
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    # The bulk "delete selected" action does not exist for the log.
    response = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )
    assert response.status_code in (200, 302)
    assert "delete_selected" not in client.get(changelist).content.decode()
    assert snapshot() == before


@pytest.mark.django_db
def test_no_view_changes_or_deletes_the_access_log(clinician, personas, superuser) -> None:
    """POST to every URL pattern (with the matrix's real objects, the log entry's own id in the
    Django admin) as a superuser; the log is unchanged afterwards,
    except for entries the requests themselves appended."""
    entry = event(clinician, 42)
    before = snapshot()
    matrix = load_matrix()
    for pattern in all_patterns():
        if pattern.name and pattern.name.startswith("admin:") and "accessevent" not in pattern.key:
            continue  # other models' admin pages: their own apps test them
        if pattern.name in ("logout", "admin:logout"):
            continue
        found = declaration_for(pattern, matrix)
        assert found is not None, pattern.key
        key, declaration = found
        for case in cases_of(declaration):
            destructive = replace(
                case,
                method="post",
                data=lambda ctx: {
                    "post": "yes",
                    "action": "delete_selected",
                    "_selected_action": [entry.pk],
                    "what": "tampered",
                    "allowed": "",
                },
            )
            # A superuser holds every permission and (through roles_of) the clinic-admin role.
            path, response = run_case(
                pattern, key, destructive, CLINIC_ADMIN, {**personas, CLINIC_ADMIN: superuser}
            )
            assert response.status_code < 500, path
    after = snapshot()
    assert after[: len(before)] == before


# --- Review page and CSV export -------------------------------------------------------------
@pytest.fixture
def log(clinician, provider, front_desk) -> dict[str, AccessEvent]:
    start = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.get_current_timezone())
    entries = {}
    with time_machine.travel(start, tick=False):
        entries["clin_1"] = event(clinician, 1)
    with time_machine.travel(start + timedelta(days=1), tick=False):
        entries["prov_1"] = event(provider, 1, what="dosing session")
    with time_machine.travel(start + timedelta(days=2), tick=False):
        entries["clin_2"] = event(clinician, 2)
        entries["fd_2"] = event(front_desk, 2, what="chart", allowed=False)
    return entries


def rows(response) -> list[str]:
    page = response.content.decode()
    table = page.split('data-testid="access-log"', 1)[1].split("</table>", 1)[0]
    return [row for row in table.split("<tr>")[2:] if "No entries match" not in row]


@pytest.mark.django_db
def test_clinic_admin_sees_the_whole_log_newest_first(as_clinic_admin, log) -> None:
    response = as_clinic_admin.get(reverse("access_log"))
    assert response.status_code == 200
    found = rows(response)
    assert len(found) == 4
    assert "refused" in found[0] and "Fd_User" in found[0]
    assert "dosing session" in found[2]


@pytest.mark.django_db
def test_clinic_admin_filters_the_log_by_user_patient_and_date(
    as_clinic_admin, log, clinician
) -> None:
    url = reverse("access_log")
    assert len(rows(as_clinic_admin.get(url, {"user": clinician.pk}))) == 2
    assert len(rows(as_clinic_admin.get(url, {"patient": 1}))) == 2
    by_both = rows(as_clinic_admin.get(url, {"user": clinician.pk, "patient": 2}))
    assert len(by_both) == 1
    # Dates are whole days in the clinic's zone, "to" inclusive.
    one_day = rows(as_clinic_admin.get(url, {"date_from": "2026-03-11", "date_to": "2026-03-11"}))
    assert len(one_day) == 1 and "dosing session" in one_day[0]
    assert len(rows(as_clinic_admin.get(url, {"date_from": "2026-03-11"}))) == 3
    assert len(rows(as_clinic_admin.get(url, {"date_to": "2026-03-10"}))) == 1


@pytest.mark.django_db
def test_bad_filters_get_a_form_error_and_keep_what_was_typed(as_clinic_admin, log) -> None:
    response = as_clinic_admin.get(
        reverse("access_log"),
        {"patient": "abc", "date_from": "2026-03-12", "date_to": "2026-03-01"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a whole number" in page
    assert 'value="abc"' in page
    assert "No entries match" in page
    response = as_clinic_admin.get(
        reverse("access_log"), {"date_from": "2026-03-12", "date_to": "2026-03-01"}
    )
    assert "must be on or before" in response.content.decode()


def read_csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.django_db
def test_clinic_admin_exports_the_filtered_log_as_csv(as_clinic_admin, log, clinician) -> None:
    response = as_clinic_admin.get(reverse("access_log_csv"), {"patient": 2})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="access-log-')
    exported = read_csv(response)
    assert [(r["user"], r["patient id"], r["allowed"]) for r in exported] == [
        ("fd_user", "2", "refused"),
        ("clin_user", "2", "yes"),
    ]
    assert exported[1]["time"].startswith("2026-03-12T")
    assert exported[1]["ip"] == "10.0.0.7"
    everything = read_csv(as_clinic_admin.get(reverse("access_log_csv")))
    assert len(everything) == 4


@pytest.mark.django_db
def test_csv_export_neutralises_spreadsheet_formulas(as_clinic_admin) -> None:
    evil = User.objects.create_user("evil", first_name="=HYPERLINK(1)", last_name="x")
    event(evil, 5, what="+chart")
    (row,) = read_csv(as_clinic_admin.get(reverse("access_log_csv")))
    assert row["user name"] == "'=HYPERLINK(1) x"
    assert row["what"] == "'+chart"


@pytest.mark.django_db
def test_bad_csv_filters_are_refused_with_the_form(as_clinic_admin) -> None:
    response = as_clinic_admin.get(reverse("access_log_csv"), {"patient": "-3"})
    assert response.status_code == 400
    assert "greater than or equal to 1" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("entries", [5, 60])
def test_access_log_page_query_count_does_not_grow_with_entries(
    as_clinic_admin, clinician, provider, entries, django_assert_max_num_queries
) -> None:
    for number in range(entries):
        event(clinician if number % 2 else provider, number + 1)
    # session, user, roles, count, page, the filter's user list
    with django_assert_max_num_queries(10):
        response = as_clinic_admin.get(reverse("access_log"))
    assert response.status_code == 200


# --- The chart's "who viewed this chart" -------------------------------------------------------
@pytest.mark.django_db
def test_recent_access_lists_one_patients_latest_entries_first(clinician, provider) -> None:
    start = timezone.now()
    for minutes, (user, patient) in enumerate(
        [(clinician, 1), (provider, 1), (clinician, 2), (provider, 1)]
    ):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            event(user, patient)
    latest = recent_access(1, limit=2)
    assert [e.user for e in latest] == [provider, provider]
    assert len(recent_access(1)) == 3
    assert recent_access(99) == []


@pytest.mark.django_db
def test_access_log_snippet_names_who_viewed_and_who_was_refused(
    clinician, front_desk, django_assert_num_queries
) -> None:
    event(clinician, 3)
    event(front_desk, 3, allowed=False)
    with django_assert_num_queries(1):
        events = recent_access(3)
        html = render_to_string("kap_clinic/snippets/access_log.html", {"access_events": events})
    assert "Clin_User Tester" in html
    assert "Fd_User Tester" in html
    assert "refused" in html
    empty = render_to_string("kap_clinic/snippets/access_log.html", {"access_events": []})
    assert "No one has opened this chart yet" in empty


@pytest.mark.django_db
def test_access_events_filters_by_half_open_time_range(clinician) -> None:
    entry = event(clinician, 1)
    assert list(access_events(since=entry.at)) == [entry]
    assert list(access_events(until=entry.at)) == []


@pytest.mark.django_db
def test_opening_a_chart_writes_an_access_entry_and_a_refusal_too(
    as_clinician, as_front_desk, clinician, front_desk
) -> None:
    patient = PatientFactory()
    assert as_clinician.get(reverse("patients:chart", args=[patient.pk])).status_code == 200
    assert as_front_desk.get(reverse("patients:chart", args=[patient.pk])).status_code == 403
    entries = list(AccessEvent.objects.filter(patient_id=patient.pk).order_by("pk"))
    assert [(e.user, e.what, e.allowed) for e in entries] == [
        (clinician, "chart", True),
        (front_desk, "chart", False),
    ]
    assert entries[0].path == f"/patients/{patient.pk}/chart/"


@pytest.mark.django_db
def test_providers_see_who_viewed_the_chart_and_clinicians_do_not(
    as_provider, as_clinician, clinician, front_desk
) -> None:
    patient = PatientFactory()
    other = PatientFactory()
    event(front_desk, patient.pk, allowed=False)
    event(clinician, other.pk, what="someone else's chart")
    page = as_provider.get(reverse("patients:chart", args=[patient.pk])).content.decode()
    section = page.split('data-testid="chart-section-access_log"', 1)[1].split("</section>")[0]
    assert "Who viewed this chart" in section
    assert "Fd_User Tester" in section and "refused" in section
    assert "Prov_User Tester" in section  # this very look is on record already
    assert "someone else" not in section
    page = as_clinician.get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert 'data-testid="chart-section-access_log"' not in page
