"""Records out in the browser: a provider exports a patient's record from the chart and
watches the build's progress turn into a download; the clinic admin reads the outcomes report
with its charts drawn under the Content-Security-Policy; front desk is refused."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from patients.tests.factories import make_total
from sessions import tasks
from sessions.models import RecordExport
from sessions.tests.factories import dose, make_course, make_lot, make_session, override_open_items

WEEK = timedelta(days=7)


def treated_patient(clinician, provider):
    """Baseline PHQ-9 10 at the intake (the factory's), then three weekly doses, each followed
    by a PHQ-9: 8, 5 (a response, after two doses), 4 (remission)."""
    start = timezone.now() - 4 * WEEK
    with time_machine.travel(start, tick=False):
        course = make_course(by=clinician)
        lot = make_lot(by=provider)
    for week, total in ((1, 8), (2, 5), (3, 4)):
        at = start + week * WEEK
        with time_machine.travel(at, tick=False):
            session = make_session(by=clinician, course=course)
            override_open_items(session, by=provider, reason="Checked by phone")
            dose(session, by=clinician, lot=lot, provider=provider)
        make_total(course.patient, "phq9", total, by=clinician, taken_at=at + timedelta(days=2))
    return course


def test_provider_exports_the_record_and_downloads_it_when_ready(
    page, sign_in, clinician, provider, tmp_path
) -> None:
    settings.RECORD_EXPORT_DIR = tmp_path / "exports"
    course = treated_patient(clinician, provider)
    sign_in(provider)
    page.goto(reverse("patients:chart", args=[course.patient_id]))
    page.get_by_test_id("record-export-form").get_by_role("button", name="Export as PDF").click()

    status = page.get_by_test_id("export-status")
    expect(status).to_have_attribute("data-status", "queued")
    expect(status.get_by_role("progressbar")).to_be_visible()
    page.screenshot(path=str(settings.BASE_DIR / "var" / "record_export_queued.png"))
    # The worker builds it; the page, polling, shows the download without a reload.
    export = RecordExport.objects.get(patient_id=course.patient_id)
    assert tasks.build_record_export(export.pk) == "ready"
    expect(page.get_by_test_id("export-status")).to_have_attribute(
        "data-status", "ready", timeout=10_000
    )
    page.screenshot(path=str(settings.BASE_DIR / "var" / "record_export_ready.png"))
    with page.expect_download() as download:
        page.get_by_test_id("export-download").click()
    path = tmp_path / "record.pdf"
    download.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF-")
    assert download.value.suggested_filename == f"record-export-{export.pk}.pdf"


def test_clinic_admin_reads_the_outcomes_report_with_its_charts(
    pages, page, sign_in, clinician, provider, clinic_admin, front_desk
) -> None:
    treated_patient(clinician, provider)
    sign_in(clinic_admin)
    page.goto(reverse("records:outcomes"))
    expect(page.get_by_test_id("row-response")).to_contain_text("1 of 1 (100.0 %)")
    expect(page.get_by_test_id("row-remission")).to_contain_text("1 of 1 (100.0 %)")
    expect(page.get_by_test_id("row-sessions-to-response")).to_contain_text("2.0")
    drawn = page.locator('[data-report-chart="rates"]').evaluate(
        "canvas => Boolean(window.Chart && window.Chart.getChart(canvas))"
    )
    assert drawn
    page.screenshot(path=str(settings.BASE_DIR / "var" / "outcomes_report.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_test_id("report-csv").click()
    assert download.value.suggested_filename.startswith("outcomes-")

    desk = pages.new()
    pages.allow(desk, r"status of 403")
    sign_in(front_desk, on=desk)
    response = desk.goto(reverse("records:outcomes"))
    assert response.status == 403
