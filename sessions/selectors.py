"""Reads for treatment and the ledger. Functions taking ``user`` check the role in the same call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import (
    Count,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    prefetch_related_objects,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone

from kap_clinic import roles
from patients import contraindications, instruments
from patients import selectors as patient_selectors
from patients.models import EligibilityDecision, Patient
from scheduling import selectors as scheduling_selectors
from scheduling.models import Appointment, AppointmentType
from sessions import vitals as vital_rules
from sessions.models import (
    CONTRAINDICATIONS_NEW_FOUND,
    CONTRAINDICATIONS_NOTHING_NEW,
    DosingSession,
    IntegrationFollowUp,
    LedgerEntry,
    Lot,
    Registrant,
    TreatmentCourse,
    VitalReading,
)

Status = DosingSession.Status
TENTH = Decimal("0.1")

# --- access ----------------------------------------------------------------------------------


def course_for_user(*, user: User | AnonymousUser, pk: int) -> TreatmentCourse:
    roles.check_role(user, roles.CLINICAL)
    return get_object_or_404(
        TreatmentCourse.objects.select_related("patient", "protocol", "created_by"), pk=pk
    )


def session_for_user(*, user: User | AnonymousUser, pk: int) -> DosingSession:
    roles.check_role(user, roles.CLINICAL)
    return get_object_or_404(
        DosingSession.objects.select_related(
            "course__patient",
            "course__protocol",
            "lot",
            "administered_by",
            "supervising_provider",
            "dose_override_by",
            "checklist_override_by",
            "signed_by",
            "appointment",
            "discharged_by",
            "cadss",
        ),
        pk=pk,
    )


def reading_for_user(*, user: User | AnonymousUser, pk: int) -> VitalReading:
    roles.check_role(user, roles.CLINICAL)
    return get_object_or_404(
        VitalReading.objects.select_related("session__course__protocol"), pk=pk
    )


def lot_for_user(*, user: User | AnonymousUser, pk: int) -> Lot:
    roles.check_role(user, roles.MEDICAL_PROVIDER)
    return get_object_or_404(
        Lot.objects.select_related("received_by", "witnessed_by", "registrant"), pk=pk
    )


# --- checklist -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    done: bool
    detail: str = ""
    automatic: bool = False  # filled in by the system, not ticked
    # Further lines shown under the item (the intake's findings to ask about again). A list in
    # snapshots taken before this field existed is simply absent: the default applies.
    lines: tuple[str, ...] = ()


def _eligibility_gap(patient) -> str:
    latest = patient_selectors.eligibility_latest(patient)
    if latest is None:
        return "No decision yet"
    if latest.decision == EligibilityDecision.Decision.ELIGIBLE:
        return "Signed before the latest intake: a provider signs again"
    return f"Latest decision: {latest.get_decision_display()}"


def checklist_items(session: DosingSession) -> list[ChecklistItem]:
    """DESIGN.md's preparation checklist: what the system knows, then what a person confirms.

    Once the dose is recorded the checklist is the snapshot taken then, so a signed record
    shows what was true at the chair, not what is true today.
    """
    if session.checklist_at_dose:
        return [ChecklistItem(**item) for item in session.checklist_at_dose]
    patient = session.course.patient
    # Screens count on the session's clinic-local day, and a patient-reported one within
    # SELF_REPORT_CHECKLIST_HOURS before it; the detail says which result was used.
    phq9 = patient_selectors.screen_for_dose(patient, instruments.PHQ9, session.scheduled_for)
    cssrs = patient_selectors.screen_for_dose(patient, instruments.CSSRS, session.scheduled_for)
    pre_vitals = [r for r in session.vitals.all() if r.phase == vital_rules.PRE]
    cssrs_ok = cssrs is not None and cssrs.severity != instruments.CSSRS_HIGH
    if cssrs is None:
        cssrs_detail = "Not done today"
    else:
        cssrs_detail = patient_selectors.screen_label(cssrs, session.scheduled_for)
    pregnancy = session.pregnancy_test
    # What the patient confirmed through the reminder links of the booked visit.
    from_patient = (
        scheduling_selectors.patient_confirmations(session.appointment)
        if session.appointment_id
        else {}
    )
    escort_from_patient = not session.escort_name and bool(from_patient.get("escort_recorded"))
    escort_name = session.escort_name or from_patient.get("escort_name", "")
    escort_phone = session.escort_phone or from_patient.get("escort_phone", "")
    eligible = patient_selectors.eligibility_is_signed(patient)
    return [
        ChecklistItem(
            "consent",
            "Consent current",
            patient_selectors.consent_is_current(patient),
            automatic=True,
        ),
        ChecklistItem(
            "eligibility",
            "Eligibility signed",
            eligible,
            "" if eligible else _eligibility_gap(patient),
            automatic=True,
        ),
        ChecklistItem(
            "phq9",
            "Today's PHQ-9 done",
            phq9 is not None,
            patient_selectors.screen_label(phq9, session.scheduled_for)
            if phq9
            else "Not done today",
            automatic=True,
        ),
        ChecklistItem(
            "cssrs",
            "Today's C-SSRS screen done and not high risk",
            cssrs_ok,
            cssrs_detail,
            automatic=True,
        ),
        ChecklistItem(
            "pre_vitals",
            "Pre-dose vitals taken",
            bool(pre_vitals),
            f"{len(pre_vitals)} reading(s)" if pre_vitals else "None yet",
            automatic=True,
        ),
        ChecklistItem(
            "fasting",
            "No solid food for 6 h, clear liquids until 2 h before",
            session.fasting_confirmed or bool(from_patient.get("fasting_confirmed")),
            _by_patient(from_patient.get("fasting_confirmed_at")),
        ),
        ChecklistItem(
            "escort",
            "Escort name and phone",
            bool(escort_name and escort_phone),
            " · ".join(filter(None, [escort_name, escort_phone]))
            + (" (from the patient's reminder link)" if escort_from_patient else ""),
        ),
        ChecklistItem(
            "medications",
            "Medications reviewed and held as instructed",
            session.medications_reviewed,
        ),
        ChecklistItem(
            "pregnancy",
            "Pregnancy test (when applicable)",
            pregnancy in ("negative", "not_applicable"),
            session.get_pregnancy_test_display() if pregnancy else "",
        ),
        ChecklistItem("intention", "Intention set (preparation done)", session.intention_set),
        _contraindications_item(session, patient),
    ]


def _contraindications_item(session: DosingSession, patient: Patient) -> ChecklistItem:
    """The contraindication screen re-confirmed with the patient before this dose (DESIGN.md,
    "Contraindication screen": intake, and re-confirmed before every dose).

    Done only when the clinician asked today and found nothing new. A new finding keeps the
    item undone, so the dose gate holds until a medical provider overrides the checklist with a
    reason (services.checklist_update explains why it cannot simply be ticked away). The signed
    intake's "yes" and "unknown" answers are listed so the clinician knows what to ask about.
    """
    answer, note = session.contraindications_reconfirmed, session.contraindications_note
    if answer == CONTRAINDICATIONS_NEW_FOUND:
        detail = f"New contraindication found today: {note}"
    elif answer == CONTRAINDICATIONS_NOTHING_NEW:
        detail = "Asked today: nothing new" + (f" ({note})" if note else "")
    else:
        detail = "Not yet asked today"
    findings = _intake_findings(patient)
    if findings:
        detail += (
            ". From the signed intake, ask about:" if not answer else ". From the signed intake:"
        )
    return ChecklistItem(
        "contraindications",
        "Contraindication screen re-confirmed with the patient today (no new condition, "
        "pregnancy or interacting medication)",
        answer == CONTRAINDICATIONS_NOTHING_NEW,
        detail,
        lines=tuple(findings),
    )


def _intake_findings(patient: Patient) -> list[str]:
    """The signed intake's items answered "yes" or "unknown", absolute first, each with its
    kind; an absolute "yes" the provider overrode at eligibility says so."""
    intake = patient_selectors.latest_signed_intake(patient)
    if intake is None:
        return []
    order = {c.code: i for i, c in enumerate(contraindications.CONTRAINDICATIONS)}
    answers = sorted(
        (
            a
            for a in intake.screen.all()
            if a.answer in (contraindications.YES, contraindications.UNKNOWN)
        ),
        key=lambda a: (not a.is_absolute, order[a.item]),
    )
    if not answers:
        return []
    override = None
    if any(a.is_absolute and a.answer == contraindications.YES for a in answers):
        latest = patient_selectors.eligibility_latest(patient)
        if latest is not None and latest.decision == EligibilityDecision.Decision.ELIGIBLE:
            override = latest
    lines = []
    for a in answers:
        line = f"{a.get_item_display()} ({a.kind}): {a.get_answer_display().lower()} at intake"
        if a.note:
            line += f" — {a.note}"
        if override is not None and a.is_absolute and a.item in override.overridden_items:
            by = override.signed_by.get_full_name() or override.signed_by.get_username()
            line += f"; overridden at eligibility by {by}: {override.override_reason}"
        lines.append(line)
    return lines


def _by_patient(at: datetime | None) -> str:
    if at is None:
        return ""
    return f"Confirmed by the patient {timezone.localtime(at):%Y-%m-%d %H:%M}"


# --- the session screen ----------------------------------------------------------------------


def next_reading_due(session: DosingSession, readings: list[VitalReading]) -> datetime | None:
    """When the next set of vitals is due: now before the dose, then every protocol interval
    from the last reading until discharge."""
    if session.status in (Status.COMPLETED, Status.ABORTED):
        return None
    if not readings or not session.is_dosed:
        return timezone.now() if not readings else None
    last = max(r.taken_at for r in readings)
    anchor = max(last, session.dose_started_at)
    if last < session.dose_started_at:
        return session.dose_started_at  # a baseline right at the start of the dose
    return anchor + timedelta(minutes=session.course.protocol.vitals_interval_minutes)


def integration_status(session: DosingSession, follow_ups: list, now: datetime | None = None):
    """ "done", "due", "overdue" or "" (no dose yet). Due within 72 h of the dose; overdue after
    that with no follow-up (DESIGN.md, step 7)."""
    if not session.is_dosed:
        return ""
    if follow_ups:
        return "done"
    now = now or timezone.now()
    return "due" if now < session.integration_due_by else "overdue"


def users_with_role(*role_names: str) -> QuerySet[User]:
    return roles.users_in_roles(role_names)


def usable_lots(on: date | None = None) -> list[tuple[Lot, Decimal]]:
    """Lots a dose may be drawn from: not expired, balance above zero; with their balance."""
    on = on or timezone.localdate()
    return [
        (lot, bal)
        for lot, bal in lot_balances()
        if bal > 0 and not lot.is_expired(on) and not lot.registrant.is_expired(on)
    ]


# --- ledger ----------------------------------------------------------------------------------


def _balance_subquery(before: datetime | None = None) -> Subquery:
    """The lot's balance: the sum of its entries (optionally those stamped before ``before``),
    whatever order they were written or stamped in."""
    entries = LedgerEntry.objects.filter(lot=OuterRef("pk"))
    if before is not None:
        entries = entries.filter(recorded_at__lt=before)
    return Subquery(
        entries.order_by().values("lot").annotate(total=Sum("change_mg")).values("total")[:1]
    )


def lot_balances(
    *, before: datetime | None = None, registrant: Registrant | None = None
) -> list[tuple[Lot, Decimal]]:
    """Every lot (of one registrant, or all) with its balance, optionally as it stood before
    ``before``: one query."""
    lots = (
        Lot.objects.select_related("registrant")
        .annotate(balance=_balance_subquery(before))
        .order_by("expires_on", "lot_number")
    )
    if registrant is not None:
        lots = lots.filter(registrant=registrant)
    if before is not None:
        lots = lots.filter(received_at__lt=before)
    # A subquery annotation loses the field's decimal places on SQLite: put them back.
    return [(lot, Decimal(lot.balance or 0).quantize(TENTH)) for lot in lots]


def inventory_on(
    day: date, *, registrant: Registrant | None = None
) -> tuple[datetime, list[tuple[Lot, Decimal]]]:
    """Balances at the end of ``day`` in the clinic's zone."""
    end = timezone.make_aware(datetime.combine(day, time.max))
    return end, lot_balances(before=end, registrant=registrant)


def lot_entries(lot: Lot) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(lot=lot).select_related(
        "recorded_by", "witness", "session__course__patient", "corrects"
    )


# --- worklists and the chart -----------------------------------------------------------------


def sessions_worklist() -> QuerySet[DosingSession]:
    """Today's sessions and any still open from earlier."""
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, time.min))
    end = timezone.make_aware(datetime.combine(today, time.max))
    # A union, not an OR: with an OR and a LIMIT the planner walks the scheduled_for index
    # from the clinic's first day and filters (21,000 rows read at five years). Each part reads
    # its own index: today's range (session_scheduled_idx), the open ones (session_worklist_idx,
    # session_unsigned_idx).
    base = DosingSession.objects.select_related("course__patient", "course__protocol").order_by()
    today_qs = base.filter(scheduled_for__range=(start, end))
    still_open = base.filter(
        Q(status=Status.IN_PROGRESS)
        | Q(status__in=(Status.COMPLETED, Status.ABORTED), signed_at__isnull=True)
    )
    return today_qs.union(still_open).order_by("scheduled_for", "id")


def integration_worklist(*, user: User | None = None, now: datetime | None = None):
    """Dosed sessions with no follow-up: (session, "due"|"overdue"), oldest first. For a user,
    only their own patients and patients with no primary clinician."""
    now = now or timezone.now()
    qs = (
        DosingSession.objects.filter(dose_started_at__isnull=False, follow_ups__isnull=True)
        .exclude(status=Status.ABORTED)
        .select_related("course__patient", "course__protocol")
        .order_by("dose_started_at")
    )
    if user is not None:
        qs = qs.filter(
            Q(course__patient__primary_clinician=user)
            | Q(course__patient__primary_clinician__isnull=True)
        )
    return [(s, integration_status(s, [], now)) for s in qs[:50]]


def pending_contraindication_findings() -> list[DosingSession]:
    """Sessions not yet dosed where the pre-dose re-check found a new contraindication and no
    provider has overridden the checklist since (the provider's home panel): the dose waits on
    a provider's decision, to override with a reason or to stop."""
    return list(
        DosingSession.objects.filter(
            contraindications_reconfirmed=CONTRAINDICATIONS_NEW_FOUND,
            checklist_override_by__isnull=True,
            dose_started_at__isnull=True,
            status__in=(Status.PLANNED, Status.IN_PROGRESS),
        )
        .select_related("course__patient")
        .order_by("scheduled_for", "pk")
    )


def pending_holds() -> list[VitalReading]:
    """Unacknowledged pre-dose holds on sessions not yet dosed (the provider's home panel)."""
    # JSON "contains" is not portable to SQLite; the candidates (undosed sessions) are few.
    readings = (
        VitalReading.objects.filter(
            phase=vital_rules.PRE,
            acknowledged_at__isnull=True,
            session__dose_started_at__isnull=True,
            session__status__in=(Status.PLANNED, Status.IN_PROGRESS),
        )
        .select_related("session__course__patient")
        .order_by("taken_at")
    )
    return [r for r in readings if r.is_hold]


# The booked visits a course's "next appointments" lists: its dosing sessions and the
# integration visits after them (DESIGN.md, steps 6 and 7).
COURSE_VISIT_KINDS = (AppointmentType.Kind.DOSING, AppointmentType.Kind.INTEGRATION)


@dataclass(frozen=True)
class CourseVisit:
    """A booked visit, with the planned dosing session it belongs to when one is linked."""

    appointment: Appointment
    session: DosingSession | None = None


def dosed_sessions(patient) -> list[DosingSession]:
    """The patient's sessions in which a dose was given, oldest first. One query."""
    return list(
        DosingSession.objects.filter(course__patient_id=patient.pk, dose_started_at__isnull=False)
        .only("id", "course_id", "number", "dose_started_at")
        .order_by("dose_started_at", "id")
    )


def treatment_for_chart(
    patient, *, full: int | None = None, course_pk: int | None = None
) -> list[TreatmentCourse]:
    """Courses, newest first, with their sessions (each with its booked visit), follow-ups and
    the patient's next booked dosing and integration visits, in a fixed number of queries
    however many sessions and appointments there are.

    ``full``: only the newest ``full`` courses carry their sessions (``session_rows``); the
    older ones are summaries (``course.summary``: heading, completed count, cumulative dose), so
    a patient with years of courses gets a chart as quick as a new patient's. ``course_pk``:
    that one course (the course page)."""
    sessions = DosingSession.objects.select_related("lot", "appointment").prefetch_related(
        Prefetch("follow_ups", queryset=IntegrationFollowUp.objects.order_by("held_at"))
    )
    courses = TreatmentCourse.objects.filter(patient_id=patient.pk)
    if course_pk is not None:
        courses = courses.filter(pk=course_pk)
    courses = list(
        courses.select_related("protocol", "stopped_by")
        .annotate(
            completed=Count("sessions", filter=Q(sessions__status=Status.COMPLETED)),
            dosed_mg=Sum("sessions__total_mg"),
        )
        .order_by("-starts_on", "-id")
    )
    if not courses:
        return courses
    detailed = courses if full is None else courses[:full]
    prefetch_related_objects(detailed, Prefetch("sessions", queryset=sessions))
    now = timezone.now()
    visits = scheduling_selectors.patient_upcoming(patient, kinds=COURSE_VISIT_KINDS, now=now)
    # Which planned session each upcoming visit is booked for (whatever course it is in).
    course_of = dict(
        DosingSession.objects.filter(appointment_id__in=[a.pk for a in visits]).values_list(
            "appointment_id", "course_id"
        )
    )
    session_of = {
        s.appointment_id: s for c in detailed for s in c.sessions.all() if s.appointment_id
    }
    for course in courses:
        course.summary = course not in detailed
        course.cumulative_mg = course.dosed_mg or Decimal("0.0")
        if not course.summary:
            course.session_rows = [
                (s, integration_status(s, list(s.follow_ups.all()), now))
                for s in course.sessions.all()
            ]
        # A visit linked to a session belongs to that session's course; the others (integration
        # visits, dosing visits not planned yet) to the course under way, not to a finished one.
        course.upcoming = [
            CourseVisit(a, session_of.get(a.pk))
            for a in visits
            if (
                course_of[a.pk] == course.pk
                if a.pk in course_of
                else course.status == TreatmentCourse.Status.ACTIVE
            )
        ]
    return courses
    now = timezone.now()
    visits = scheduling_selectors.patient_upcoming(patient, kinds=COURSE_VISIT_KINDS, now=now)
    session_of = {
        s.appointment_id: s for c in courses for s in c.sessions.all() if s.appointment_id
    }
    for course in courses:
        course.session_rows = [
            (s, integration_status(s, list(s.follow_ups.all()), now)) for s in course.sessions.all()
        ]
        course.cumulative_mg = sum(
            (s.total_mg for s in course.sessions.all() if s.total_mg), Decimal("0.0")
        )
        # A visit linked to a session belongs to that session's course; the others (integration
        # visits, dosing visits not planned yet) to the course under way, not to a finished one.
        course.upcoming = [
            CourseVisit(a, session_of.get(a.pk))
            for a in visits
            if (
                session_of[a.pk].course_id == course.pk
                if a.pk in session_of
                else course.status == TreatmentCourse.Status.ACTIVE
            )
        ]
    return courses


def lot_balance(lot: Lot) -> Decimal:
    """The sum of the lot's entries: an entry stamped earlier than others still counts."""
    total = LedgerEntry.objects.filter(lot=lot).aggregate(total=Sum("change_mg"))["total"]
    return Decimal(total or 0).quantize(TENTH)
