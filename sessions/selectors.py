"""Reads for treatment and the ledger. Functions taking ``user`` check the role in the same call."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
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
from patients.models import EligibilityDecision, MeasureResult, Patient
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
    # A hard stop (DESIGN.md, "Chair-side safety"): what is wrong and what would lift it. No
    # override lifts it.
    hard_stop: str = ""
    # Whether a medical provider may override this item when it is not done.
    overridable: bool = True
    # "Overridden by <name>: <reason>" when a provider overrode it.
    overridden: str = ""

    @property
    def blocks(self) -> bool:
        """Holds the dose: a hard stop, or not done and not overridden."""
        return bool(self.hard_stop) or (not self.done and not self.overridden)


def _eligibility_gap(patient) -> str:
    latest = patient_selectors.eligibility_latest(patient)
    if latest is None:
        return "No decision yet"
    if latest.decision == EligibilityDecision.Decision.ELIGIBLE:
        return "Signed before the latest intake: a provider signs again"
    return f"Latest decision: {latest.get_decision_display()}"


def dose_day(at: datetime | None = None) -> tuple[datetime, datetime]:
    """The clinic-local day of a dose given at ``at`` (now by default): [start, end)."""
    local = timezone.localtime(at or timezone.now())
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, timezone.make_aware(datetime.combine(start.date() + timedelta(days=1), time.min))


def screens_for_dose(session: DosingSession, at: datetime | None = None) -> list[MeasureResult]:
    """Every PHQ-9 and C-SSRS screen of the clinic-local day of the dose (``at``, default now),
    oldest first. All of them count: a later lower-risk screen does not hide an earlier high-risk
    one (DESIGN.md, "Screens"). The one place that decides which screens count for a dose."""
    start, end = dose_day(at)
    # A patient-reported screen answered on the phone within SELF_REPORT_CHECKLIST_HOURS before
    # the dose counts too (issue 14: the evening before a morning dose).
    since = (at or timezone.now()) - timedelta(hours=settings.SELF_REPORT_CHECKLIST_HOURS)
    return list(
        MeasureResult.objects.filter(
            patient_id=session.course.patient_id,
            code__in=(instruments.PHQ9, instruments.CSSRS),
            taken_at__lt=end,
        )
        .filter(Q(taken_at__gte=start) | Q(patient_reported_at__isnull=False, taken_at__gte=since))
        .order_by("taken_at", "id")
    )


def _screens_detail(screens: list[MeasureResult], at: datetime) -> str:
    """Which results the checklist used, e.g. "Today: 6 · mild at 09:05" or "Patient-reported
    Mon 7 Dec 20:14: 6 · mild"."""
    staff = [m for m in screens if not m.is_patient_reported]
    parts = ["Today: " + ", ".join(f"{m.result_label} at {_at(m.taken_at)}" for m in staff)]
    parts = parts if staff else []
    parts += [patient_selectors.screen_label(m, at) for m in screens if m.is_patient_reported]
    return "; ".join(parts)


def _concerning(screen: MeasureResult) -> bool:
    """Needs a clinician's documented review before the dose: moderate C-SSRS risk, or PHQ-9
    item 9 above 0 (DESIGN.md, "Screens"; Columbia triage guidance, Kroenke 2001)."""
    if screen.code == instruments.CSSRS:
        return screen.severity == instruments.CSSRS_MODERATE
    answers = screen.answers if isinstance(screen.answers, list) else []
    return len(answers) >= 9 and bool(answers[8])


def _at(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def last_recorded_weight(session: DosingSession) -> Decimal | None:
    """The patient's last recorded weight before this session: the latest earlier dose, else the
    latest signed intake (DESIGN.md, "Weight": a change of more than 10 % needs confirming)."""
    earlier = (
        DosingSession.objects.filter(
            course__patient_id=session.course.patient_id,
            dose_started_at__isnull=False,
            weight_kg__isnull=False,
        )
        .exclude(pk=session.pk)
        .order_by("-dose_started_at", "-id")
        .values_list("weight_kg", flat=True)
        .first()
    )
    if earlier is not None:
        return earlier
    intake = patient_selectors.latest_signed_intake(session.course.patient)
    return intake.weight_kg if intake is not None else None


def previous_dose(session: DosingSession) -> DosingSession | None:
    return (
        DosingSession.objects.filter(
            course__patient_id=session.course.patient_id, dose_started_at__isnull=False
        )
        .exclude(pk=session.pk)
        .select_related("course")
        .order_by("-dose_started_at", "-id")
        .first()
    )


def checklist_items(session: DosingSession, at: datetime | None = None) -> list[ChecklistItem]:
    """DESIGN.md's preparation checklist: what the system knows, then what a person confirms,
    each with its hard stop and any provider's override.

    ``at`` is the dose's time (default now): "today" is its clinic-local day. Once the dose is
    recorded the checklist is the snapshot taken then, so a signed record shows what was true at
    the chair, not what is true today.
    """
    if session.checklist_at_dose:
        return [ChecklistItem(**item) for item in session.checklist_at_dose]
    at = at or timezone.now()
    patient = session.course.patient
    screens = screens_for_dose(session, at)
    phq9s = [m for m in screens if m.code == instruments.PHQ9]
    cssrss = [m for m in screens if m.code == instruments.CSSRS]
    high = [m for m in cssrss if m.severity == instruments.CSSRS_HIGH]
    pre_vitals = [r for r in session.vitals.all() if r.phase == vital_rules.PRE]
    if high:
        cssrs_detail = f"High risk at {_at(high[0].taken_at)} today"
    elif cssrss:
        cssrs_detail = _screens_detail(cssrss, at)
    else:
        cssrs_detail = "Not done today"
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
    consent = patient_selectors.consent_is_current(patient)
    items = [
        ChecklistItem(
            "consent",
            "Consent current",
            consent,
            automatic=True,
            overridable=False,
            hard_stop=""
            if consent
            else "Consent is not current. The patient signs the current consent on the chart "
            "before any dose.",
        ),
        ChecklistItem(
            "eligibility",
            "Eligibility signed",
            eligible,
            "" if eligible else _eligibility_gap(patient),
            automatic=True,
            overridable=False,
            hard_stop=""
            if eligible
            else "Eligibility is not signed for the latest intake. A medical provider signs "
            "the patient eligible on the chart before any dose.",
        ),
        ChecklistItem(
            "phq9",
            "Today's PHQ-9 done",
            bool(phq9s),
            _screens_detail(phq9s, at) if phq9s else "Not done today",
            automatic=True,
        ),
        ChecklistItem(
            "cssrs",
            "Today's C-SSRS screen done and not high risk",
            bool(cssrss) and not high,
            cssrs_detail,
            automatic=True,
            overridable=not high,
            hard_stop=f"A high-risk C-SSRS screen at {_at(high[0].taken_at)} today: no dose "
            "today, whatever later screens show. Follow the safety plan; a dose can be "
            "considered on another day."
            if high
            else "",
        ),
    ]
    concerning = [m for m in screens if _concerning(m)]
    if concerning and not high:
        last = concerning[-1]
        reviewed = session.screens_reviewed_at is not None and (
            session.screens_reviewed_at >= last.taken_at
        )
        what = ", ".join(
            f"{m.get_code_display()} {m.result_label} at {_at(m.taken_at)}"
            + (" (item 9 above 0)" if m.code == instruments.PHQ9 else "")
            for m in concerning
        )
        items.append(
            ChecklistItem(
                "screen_review",
                "Clinician's review of today's screens documented",
                reviewed,
                f"Reviewed by {_name(session.screens_reviewed_by)}: {session.screens_review_note}"
                if reviewed
                else f"Needs a clinician's documented review before the dose: {what}",
                automatic=True,
                overridable=False,
            )
        )
    items += [
        ChecklistItem(
            "pre_vitals",
            "Pre-dose vitals taken",
            bool(pre_vitals),
            f"{len(pre_vitals)} reading(s)" if pre_vitals else "None yet",
            automatic=True,
        ),
        _interval_item(session, at),
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
            overridable=pregnancy != "positive",
            hard_stop="The pregnancy test today is positive: ketamine is not given in "
            "pregnancy. No dose; the session is aborted and the provider reviews the plan."
            if pregnancy == "positive"
            else "",
        ),
        ChecklistItem("intention", "Intention set (preparation done)", session.intention_set),
        _contraindications_item(session, patient),
    ]
    overrides = {o.item: o for o in session.item_overrides.select_related("by")}
    return [
        replace(item, overridden=f"Overridden by {_name(o.by)}: {o.reason}")
        if (o := overrides.get(item.key)) and item.overridable and not item.done
        else item
        for item in items
    ]


def _interval_item(session: DosingSession, at: datetime) -> ChecklistItem:
    """At least the protocol's minimum time since the patient's last dose (DESIGN.md,
    "Interval": 24 h by default)."""
    hours = session.course.protocol.min_interval_hours
    last = previous_dose(session)
    label = f"At least {hours} h since the last dose"
    if last is None:
        return ChecklistItem("interval", label, True, "First dose", automatic=True)
    since = at - last.dose_started_at
    ok = since >= timedelta(hours=hours)
    when = timezone.localtime(last.dose_started_at)
    return ChecklistItem(
        "interval",
        label,
        ok,
        f"Last dose {when:%Y-%m-%d %H:%M} (session {last.number}), "
        f"{int(since.total_seconds() // 3600)} h ago",
        automatic=True,
    )


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
        overridable=answer != CONTRAINDICATIONS_NEW_FOUND,
        hard_stop=f"A new contraindication was found today ({note}). No dose: abort this "
        "session; a provider reassesses eligibility with a new intake before the next one."
        if answer == CONTRAINDICATIONS_NEW_FOUND
        else "",
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
    """Sessions not yet dosed or closed where the pre-dose re-check found a new
    contraindication (the provider's home panel): a hard stop, so the session waits to be
    aborted and eligibility reassessed."""
    return list(
        DosingSession.objects.filter(
            contraindications_reconfirmed=CONTRAINDICATIONS_NEW_FOUND,
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


def open_alerts() -> list[VitalReading]:
    """Alerts during or after a dose that no clinician has answered, on sessions still in
    progress (the providers' home panel), oldest first."""
    readings = (
        VitalReading.objects.filter(
            phase__in=(vital_rules.DURING, vital_rules.POST),
            acknowledged_at__isnull=True,
            session__status=Status.IN_PROGRESS,
        )
        .select_related("session__course__patient", "session__course__protocol")
        .order_by("taken_at", "id")
    )
    return [r for r in readings if r.is_open_alert]


def pre_dose_baseline(session: DosingSession, readings: list[VitalReading]) -> VitalReading | None:
    """The last reading before the dose: the value circulation is scored against at discharge."""
    before = [r for r in readings if r.phase == vital_rules.PRE]
    return before[-1] if before else None
