"""Outcomes in the browser: mid-course, a clinician opens the chart and sees whether the PHQ-9 is
falling — drawn by the vendored Chart.js under the Content-Security-Policy (a violation is a
console error, which fails the test), with the table saying the same without JavaScript."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from patients.tests.factories import make_total
from sessions.tests.factories import (
    dose,
    make_course,
    make_lot,
    make_session,
    override_open_items,
)

WEEK = timedelta(days=7)

# What Chart.js has drawn on a canvas: its chart object's points, and how many pixels are painted.
DRAWN = """canvas => {
  const chart = window.Chart && window.Chart.getChart(canvas);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i]) { painted += 1; } }
  return {points: chart ? chart.data.datasets[0].data.length : 0, painted: painted};
}"""


def course_three_weeks_in(clinician, provider):
    """Intake four weeks ago (baseline PHQ-9 10), then a dose a week with a PHQ-9 the same day:
    8, 6, 4."""
    start = timezone.now() - 4 * WEEK
    with time_machine.travel(start, tick=False):
        course = make_course(by=clinician)
        lot = make_lot(by=provider)
    for week, total in ((1, 8), (2, 6), (3, 4)):
        at = start + week * WEEK
        make_total(course.patient, "phq9", total, by=clinician, taken_at=at)
        with time_machine.travel(at + timedelta(hours=1), tick=False):
            session = make_session(by=clinician, course=course)
            override_open_items(session, reason="Checked by phone", by=provider)
            dose(session, by=clinician, lot=lot, provider=provider)
    return course


def test_clinician_sees_the_phq9_fall_drawn_on_the_chart(
    page, sign_in, clinician, provider
) -> None:
    course = course_three_weeks_in(clinician, provider)
    sign_in(clinician)
    page.goto(reverse("patients:chart", args=[course.patient_id]))

    phq9 = page.get_by_test_id("outcome-phq9")
    expect(phq9.get_by_test_id("outcome-baseline")).to_contain_text("10 · moderate")
    expect(phq9.get_by_test_id("outcome-latest")).to_contain_text("4 · minimal")
    expect(phq9.get_by_test_id("outcome-percent")).to_have_text("-60.0 %")
    expect(phq9.get_by_test_id("outcome-response")).to_have_text("response")
    expect(phq9.get_by_test_id("outcome-remission")).to_have_text("remission")
    expect(page.get_by_test_id("outcome-markers")).to_contain_text("Session 3")

    canvas = page.locator('canvas[data-outcome-chart="phq9"]')
    expect(canvas).to_be_visible()
    expect(canvas).to_have_attribute("role", "img")
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100, box
    drawn = canvas.evaluate(DRAWN)
    assert drawn["points"] == 4, drawn
    assert drawn["painted"] > 500, drawn
    # One result each of GAD-7 and PCL-5: the table says it, no chart to draw.
    expect(page.locator('canvas[data-outcome-chart="gad7"]')).to_have_count(0)
    expect(page.get_by_test_id("outcome-gad7").get_by_test_id("outcome-latest")).to_have_text(
        "No result after the baseline yet"
    )

    page.goto(reverse("patients:measure_list", args=[course.patient_id]))
    canvas = page.locator('canvas[data-outcome-chart="phq9"]')
    expect(canvas).to_be_visible()
    assert canvas.evaluate(DRAWN)["points"] == 4


def test_without_javascript_the_outcomes_table_and_results_still_show(
    pages, sign_in, clinician, provider
) -> None:
    course = course_three_weeks_in(clinician, provider)
    page = pages.new(java_script_enabled=False)
    sign_in(clinician, on=page)
    page.goto(reverse("patients:chart", args=[course.patient_id]))
    expect(page.get_by_test_id("outcome-phq9").get_by_test_id("outcome-response")).to_have_text(
        "response"
    )
    # A canvas shows its fallback content when scripting is off: every result, listed.
    results = page.locator('canvas[data-outcome-chart="phq9"] li')
    expect(results).to_have_count(4)
    expect(results.last).to_be_visible()
    expect(results.last).to_contain_text("4 · minimal")
