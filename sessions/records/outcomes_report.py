"""The clinic outcomes report (providers and clinic admin): does treatment work, by route and
protocol, for the courses started in a period.

Per-patient figures come from the same functions as the chart's Outcomes section
(``patients.selectors.outcomes_for_chart`` → ``patients.instruments.outcome``): PHQ-9 response
(a fall of at least 50 % from baseline) and remission (latest below 5) are counted exactly as the
patient's page shows them, so the report and the pages cannot disagree.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from patients import instruments
from patients import selectors as patient_selectors
from scheduling.models import Appointment
from sessions.models import AdverseEvent, DosingSession, TreatmentCourse

TENTH = Decimal("0.1")


@dataclass
class Group:
    """One route/protocol's figures for the period (or the whole clinic: ``protocol`` None)."""

    label: str
    route: str
    courses: list[TreatmentCourse] = field(default_factory=list)
    patients_started: int = 0
    patients_completed: int = 0
    phq9_evaluable: int = 0
    phq9_responders: int = 0
    phq9_remitters: int = 0
    sessions_to_response: list[int] = field(default_factory=list)
    gad7_changes: list[int] = field(default_factory=list)
    pcl5_changes: list[int] = field(default_factory=list)
    adverse_events: Counter = field(default_factory=Counter)
    dosed_sessions: int = 0
    follow_ups_in_72h: int = 0
    visits_due: int = 0
    no_shows: int = 0
    chair_minutes: list[int] = field(default_factory=list)

    @staticmethod
    def _rate(part: int, whole: int) -> Decimal | None:
        if not whole:
            return None
        return (Decimal(100 * part) / whole).quantize(TENTH, rounding=ROUND_HALF_UP)

    @staticmethod
    def _mean(values: list[int]) -> Decimal | None:
        if not values:
            return None
        return (Decimal(sum(values)) / len(values)).quantize(TENTH, rounding=ROUND_HALF_UP)

    @property
    def response_rate(self) -> Decimal | None:
        return self._rate(self.phq9_responders, self.phq9_evaluable)

    @property
    def remission_rate(self) -> Decimal | None:
        return self._rate(self.phq9_remitters, self.phq9_evaluable)

    @property
    def median_sessions_to_response(self) -> Decimal | None:
        if not self.sessions_to_response:
            return None
        return Decimal(str(statistics.median(self.sessions_to_response))).quantize(TENTH)

    @property
    def gad7_mean_change(self) -> Decimal | None:
        return self._mean(self.gad7_changes)

    @property
    def pcl5_mean_change(self) -> Decimal | None:
        return self._mean(self.pcl5_changes)

    @property
    def follow_up_rate(self) -> Decimal | None:
        return self._rate(self.follow_ups_in_72h, self.dosed_sessions)

    @property
    def no_show_rate(self) -> Decimal | None:
        return self._rate(self.no_shows, self.visits_due)

    @property
    def chair_hours(self) -> Decimal:
        return (Decimal(sum(self.chair_minutes)) / 60).quantize(TENTH, rounding=ROUND_HALF_UP)

    @property
    def mean_chair_minutes(self) -> Decimal | None:
        return self._mean(self.chair_minutes)


@dataclass
class Report:
    start: date
    end: date
    route: str
    groups: list[Group]
    total: Group
    event_kinds: list[tuple[str, str]]

    @property
    def event_rows(self) -> list[tuple[str, list[int], int]]:
        """Adverse events by kind: (label, count per group, count for all)."""
        return [
            (
                label,
                [group.adverse_events.get(code, 0) for group in self.groups],
                self.total.adverse_events.get(code, 0),
            )
            for code, label in self.event_kinds
        ]


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), zone),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone),
    )


def outcomes_report(*, start: date, end: date, route: str = "") -> Report:
    """The figures for courses started from ``start`` to ``end`` (inclusive), by protocol."""
    courses = TreatmentCourse.objects.filter(starts_on__gte=start, starts_on__lte=end)
    if route:
        courses = courses.filter(protocol__route=route)
    courses = list(
        courses.select_related("protocol", "patient").order_by("protocol__route", "starts_on")
    )
    groups: dict[int, Group] = {}
    total = Group(label="All routes and protocols", route="")
    for course in courses:
        group = groups.setdefault(
            course.protocol_id,
            Group(label=course.protocol.name, route=course.protocol.get_route_display()),
        )
        group.courses.append(course)
    for group in [*groups.values(), total]:
        members = courses if group is total else group.courses
        _fill(group, members, *_bounds(start, end))
    return Report(
        start=start,
        end=end,
        route=route,
        groups=list(groups.values()),
        total=total,
        event_kinds=list(AdverseEvent.Kind.choices),
    )


def _fill(group: Group, courses: list[TreatmentCourse], since: datetime, until: datetime) -> None:
    patients = {course.patient_id: course.patient for course in courses}
    group.patients_started = len(patients)
    group.patients_completed = len(
        {c.patient_id for c in courses if c.status == TreatmentCourse.Status.COMPLETED}
    )
    sessions = list(
        DosingSession.objects.filter(
            course__in=[c.pk for c in courses], dose_started_at__isnull=False
        )
        .prefetch_related("follow_ups", "adverse_events")
        .order_by("dose_started_at")
    )
    for patient in patients.values():
        _patient_outcomes(group, patient, _mine(sessions, courses, patient.pk))
    for session in sessions:
        group.dosed_sessions += 1
        due_by = session.integration_due_by
        if any(f.held_at <= due_by for f in session.follow_ups.all()):
            group.follow_ups_in_72h += 1
        for event in session.adverse_events.all():
            group.adverse_events[event.kind] += 1
        if session.discharged_at:
            group.chair_minutes.append(
                int((session.discharged_at - session.dose_started_at).total_seconds() // 60)
            )
    visits = Appointment.objects.filter(
        patient_id__in=list(patients),
        starts_at__gte=since,
        starts_at__lt=min(until, timezone.now()),
        status__in=(
            Appointment.Status.COMPLETED,
            Appointment.Status.CHECKED_IN,
            Appointment.Status.NO_SHOW,
        ),
    ).values_list("status", flat=True)
    for status in visits:
        group.visits_due += 1
        group.no_shows += status == Appointment.Status.NO_SHOW


def _mine(sessions: list[DosingSession], courses: list[TreatmentCourse], patient_id: int):
    ids = {c.pk for c in courses if c.patient_id == patient_id}
    return [s for s in sessions if s.course_id in ids]


def _patient_outcomes(group: Group, patient: Any, sessions: list[DosingSession]) -> None:
    """The patient's outcome rows exactly as their chart shows them."""
    for row in patient_selectors.outcomes_for_chart(patient):
        outcome = row.outcome
        if outcome is None or outcome.latest is None:
            continue
        code = row.instrument.code
        if code == instruments.PHQ9:
            group.phq9_evaluable += 1
            group.phq9_responders += bool(outcome.response)
            group.phq9_remitters += bool(outcome.remission)
            if outcome.response:
                reached = _first_response(row)
                if reached is not None:
                    group.sessions_to_response.append(
                        sum(1 for s in sessions if s.dose_started_at <= reached)
                    )
        elif code == instruments.GAD7:
            group.gad7_changes.append(outcome.change)
        elif code == instruments.PCL5:
            group.pcl5_changes.append(outcome.change)


def _first_response(row: patient_selectors.OutcomeRow) -> datetime | None:
    """When the PHQ-9 first met the response criterion after the baseline."""
    after = row.results[row.results.index(row.baseline) + 1 :]
    for result in after:
        if instruments.phq9_response(row.baseline.total, result.total):
            return result.taken_at
    return None


CSV_HEADER = (
    "group",
    "route",
    "period_start",
    "period_end",
    "patients_started",
    "patients_completed",
    "phq9_evaluable",
    "phq9_responders",
    "phq9_response_rate_pct",
    "phq9_remitters",
    "phq9_remission_rate_pct",
    "median_sessions_to_response",
    "gad7_mean_change",
    "pcl5_mean_change",
    "dosed_sessions",
    "follow_ups_within_72h",
    "follow_up_rate_pct",
    "visits_due",
    "no_shows",
    "no_show_rate_pct",
    "chair_hours",
    "mean_chair_minutes",
)


def csv_rows(report: Report) -> list[list[Any]]:
    kinds = [code for code, _ in report.event_kinds]
    header = [*CSV_HEADER, *(f"adverse_events_{code}" for code in kinds)]
    rows: list[list[Any]] = [header]
    for group in [*report.groups, report.total]:
        rows.append(
            [
                group.label,
                group.route,
                report.start.isoformat(),
                report.end.isoformat(),
                group.patients_started,
                group.patients_completed,
                group.phq9_evaluable,
                group.phq9_responders,
                _blank(group.response_rate),
                group.phq9_remitters,
                _blank(group.remission_rate),
                _blank(group.median_sessions_to_response),
                _blank(group.gad7_mean_change),
                _blank(group.pcl5_mean_change),
                group.dosed_sessions,
                group.follow_ups_in_72h,
                _blank(group.follow_up_rate),
                group.visits_due,
                group.no_shows,
                _blank(group.no_show_rate),
                group.chair_hours,
                _blank(group.mean_chair_minutes),
                *(group.adverse_events.get(code, 0) for code in kinds),
            ]
        )
    return rows


def _blank(value: Any) -> Any:
    return "" if value is None else value


def chart_data(report: Report) -> dict[str, Any]:
    groups = report.groups
    return {
        "labels": [g.label for g in groups],
        "response": [float(g.response_rate or 0) for g in groups],
        "remission": [float(g.remission_rate or 0) for g in groups],
        "events": {
            "labels": [label for _, label in report.event_kinds],
            "counts": [report.total.adverse_events.get(code, 0) for code, _ in report.event_kinds],
        },
    }
