"""A clinic with years of history, for the benchmark (``make bench``) and profiling.

    python manage.py seed_scale                        # 10,000 patients, ~100,000 appointments
    python manage.py seed_scale --appointments 1000000 # the history test

Every clinic day (Monday to Friday) has the same plan, ~76 visits across ten clinicians and ten
rooms (today ~60), so more appointments mean more *years*, not a busier day: that is what "a
page's cost must not grow with history" is about (DESIGN.md, "Performance"). Each dosing visit in
the past is a documented, signed dosing session (checklist, dose, four vitals, PHQ-9, GAD-7,
C-SSRS, CADSS-6, a ledger administration, an integration follow-up the next day); courses are
six visits on consecutive clinic days. One long-term patient ("Morgan Longterm") has 27
courses: 162 sessions and 648 measures.

Rows are written with ``bulk_create``, day by day in batches: the services' one-row-at-a-time
checks would take hours. The rows keep every database constraint (no overlaps, a ledger that
never goes negative). Historical records (django-simple-history) are not written for them.
Only on a throwaway database: it creates the demo logins with their known password.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.db.models.functions import Cast, Concat, LPad
from django.utils import timezone

from kap_clinic import demo, roles
from kap_clinic.management.commands.seed_demo import DEFAULT_DEMO_PASSWORD
from patients import instruments
from patients.models import (
    Consent,
    ConsentDocument,
    EligibilityDecision,
    Intake,
    MeasureResult,
    Patient,
)
from scheduling import demo as schedule_demo
from scheduling.models import Appointment, Reminder, Room, WorkingHours
from sessions import vitals as vital_rules
from sessions.models import (
    CONTRAINDICATIONS_NOTHING_NEW,
    DosingProtocol,
    DosingSession,
    IntegrationFollowUp,
    LedgerEntry,
    Lot,
    TreatmentCourse,
    VitalReading,
)

BATCH_DAYS = 60
FUTURE_DAYS = 10  # clinic days booked ahead of today
TODAY_VISITS = 60
COURSE_LENGTH = 6
LONG_TERM_COURSES = 27
LONG_TERM_EVERY = 8  # every 8th course of the first infusion lane's first slot
SCALE_STAFF = tuple((f"scale{n}", f"Scale{n}", "Clinician", roles.CLINICIAN) for n in range(1, 6))
EXTRA_ROOMS = (
    ("Therapy 2", Room.Kind.THERAPY),
    ("Therapy 3", Room.Kind.THERAPY),
    ("Consult 2", Room.Kind.CONSULT),
    ("Consult 3", Room.Kind.CONSULT),
)
FIRST = ("Avery", "Jordan", "Maya", "Daniel", "Priya", "Sam", "Lee", "Noor", "Ines", "Tomas")
LAST = ("Okonkwo", "Reyes", "Lindqvist", "Nakamura", "Karimi", "Dubois", "Menon", "Hart")
# (type key, start hour, minute) per lane kind; a lane is one clinician in one room for the day.
DOSING_PLAN = (("dosing", 8, 0), ("dosing", 10, 30), ("dosing", 13, 0), ("dosing", 15, 30))
THERAPY_PLAN = tuple(("preparation" if h % 2 else "integration", h, 0) for h in range(8, 18))
CONSULT_PLAN = (
    ("consultation", 8, 0),
    ("follow_up", 9, 0),
    ("intake", 9, 30),
    ("follow_up", 11, 0),
    ("consultation", 11, 30),
    ("follow_up", 13, 0),
    ("consultation", 13, 30),
    ("intake", 14, 30),
    ("follow_up", 16, 0),
    ("follow_up", 16, 30),
)
PHQ9_ANSWERS = (
    [2, 2, 2, 1, 2, 1, 1, 1, 0],
    [1, 1, 1, 1, 1, 0, 1, 0, 0],
    [1, 0, 1, 0, 0, 0, 0, 0, 0],
)
GAD7_ANSWERS = ([2, 2, 1, 2, 1, 1, 1], [1, 1, 1, 1, 0, 0, 1], [0, 1, 0, 1, 0, 0, 0])
CADSS6_ANSWERS = ([2, 2, 1, 1, 2, 0], [1, 2, 1, 0, 1, 0])
CSSRS_NONE = {"q1": False, "q2": False, "q6": False}


@dataclass
class Visit:
    day_index: int
    lane: int
    slot: int
    type_key: str
    starts_at: datetime


class Progress:
    """One line per stage, redrawn in place on a terminal: "appointments ████░░ 40,000/100,000"."""

    def __init__(self, out: Any, label: str, total: int) -> None:
        self.out, self.label, self.total, self.done = out, label, max(total, 1), 0
        self.started = time.perf_counter()
        self.tty = hasattr(out, "isatty") and out.isatty()

    def add(self, count: int) -> None:
        self.done += count
        if self.tty:
            self._draw("\r")

    def finish(self) -> None:
        self._draw("\r" if self.tty else "")
        self.out.write("\n", ending="")
        self.out.flush()

    def _draw(self, prefix: str) -> None:
        share = min(1.0, self.done / self.total)
        bar = "█" * int(share * 30) + "░" * (30 - int(share * 30))
        elapsed = time.perf_counter() - self.started
        self.out.write(
            f"{prefix}{self.label:<14} {bar} {self.done:>9,}/{self.total:,} {elapsed:6.1f} s",
            ending="",
        )
        self.out.flush()


class Command(BaseCommand):
    help = "Fill a throwaway database with a clinic's years of history, for the benchmark."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=10_000)
        parser.add_argument(
            "--appointments",
            type=int,
            default=100_000,
            help="About this many appointments; more means more years of history (default "
            "100,000, about five years).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (never on a clinic's real database).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_scale creates demo logins with a known password, so it refuses to run "
                "with DEBUG off. Use --force only on a throwaway database."
            )
        if Appointment.objects.exists() or Patient.objects.exists():
            raise CommandError("seed_scale fills an empty database; this one has patients.")
        if options["patients"] < 200:
            raise CommandError("--patients must be at least 200.")
        started = time.perf_counter()
        Seeder(
            out=self.stdout, patients=options["patients"], appointments=options["appointments"]
        ).run()
        self.stdout.write(
            self.style.SUCCESS(f"Scale clinic ready in {time.perf_counter() - started:.0f} s.")
        )


class Seeder:
    def __init__(self, *, out: Any, patients: int, appointments: int) -> None:
        self.out = out
        self.patient_count = patients
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        plan_size = len(DOSING_PLAN) * 4 + len(THERAPY_PLAN) * 3 + len(CONSULT_PLAN) * 3
        past_days = max(1, -(-appointments // plan_size) - FUTURE_DAYS)
        first = demo.clinic_day(self.today, -(past_days - 1))
        self.days = [first]
        while len(self.days) < past_days + FUTURE_DAYS:
            self.days.append(demo.clinic_day(self.days[-1], 1))
        self.today_index = self.days.index(demo.clinic_day(self.today, 0))
        self.visits_total = plan_size * len(self.days) - (plan_size - TODAY_VISITS)

    # --- configuration -----------------------------------------------------------------------

    def run(self) -> None:
        self._configuration()
        self._patients()
        self._history()
        if connection.vendor == "postgresql":
            # Statistics for the planner, as a database that grew over years would have them;
            # right after a bulk load they say the tables are empty.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

    @transaction.atomic
    def _configuration(self) -> None:
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        staff = demo.seed_staff(password=password)
        hashed = make_password(password)
        for username, first, last, role in SCALE_STAFF:
            user = User.objects.create(
                username=username, first_name=first, last_name=last, password=hashed
            )
            user.groups.set([Group.objects.get(name=role)])
            staff[username] = user
        self.types = schedule_demo.seed_configuration(staff)
        for offset, (name, kind) in enumerate(EXTRA_ROOMS):
            Room.objects.get_or_create(name=name, defaults={"kind": kind, "position": 10 + offset})
        for username, *_ in SCALE_STAFF:
            for weekday in range(5):
                WorkingHours.objects.create(
                    clinician=staff[username],
                    weekday=weekday,
                    starts=datetime.min.time().replace(hour=8),
                    ends=datetime.min.time().replace(hour=18),
                )
        self.staff = staff
        self.clinicians = [
            staff[name]
            for name in ("clinician", "therapist2", "nurse", "provider", "provider2")
            + tuple(s[0] for s in SCALE_STAFF)
        ]
        self.desk = staff["frontdesk"]
        self.provider = staff["provider"]
        rooms = {r.name: r for r in Room.objects.all()}
        infusion = [rooms[f"Infusion {n}"] for n in range(1, 5)]
        therapy = [rooms["Therapy room"], rooms["Therapy 2"], rooms["Therapy 3"]]
        consult = [rooms["Consult room"], rooms["Consult 2"], rooms["Consult 3"]]
        self.lanes: list[tuple[Room, tuple]] = (
            [(r, DOSING_PLAN) for r in infusion]
            + [(r, THERAPY_PLAN) for r in therapy]
            + [(r, CONSULT_PLAN) for r in consult]
        )
        self.protocols = {p.route: p for p in DosingProtocol.objects.all()}
        self.document, _ = ConsentDocument.objects.get_or_create(
            version="2026.1",
            defaults={
                "body": "Informed consent for ketamine-assisted psychotherapy (scale data).",
                "published_at": self.now - timedelta(days=365 * 60),
            },
        )
        self.scores = {
            (code, n): instruments.score(code, answers)
            for code, variants in (
                (instruments.PHQ9, PHQ9_ANSWERS),
                (instruments.GAD7, GAD7_ANSWERS),
                (instruments.CADSS6, CADSS6_ANSWERS),
            )
            for n, answers in enumerate(variants)
        }
        self.scores[(instruments.CSSRS, 0)] = instruments.score(instruments.CSSRS, CSSRS_NONE)

    # --- patients ----------------------------------------------------------------------------

    def _patients(self) -> None:
        count = self.patient_count
        # Half the patients take treatment courses, the other half come to every other visit:
        # the two never share a time slot, so no patient is booked twice at once.
        self.dosing_pool_size = count // 2
        progress = Progress(self.out, "patients", count)
        rows = []
        born = date(1950, 1, 1)
        for n in range(count):
            dosing = n < self.dosing_pool_size
            first, last = FIRST[n % len(FIRST)], LAST[n % len(LAST)]
            if n == 0:
                first, last = "Morgan", "Longterm"
            rows.append(
                Patient(
                    legal_first_name=f"{first}" if n == 0 else f"{first}{n}",
                    legal_last_name=last if n == 0 else f"{last}{n // 7}",
                    date_of_birth=born + timedelta(days=(n * 37) % 18000),
                    sex_assigned_at_birth=Patient.Sex.FEMALE if n % 2 else Patient.Sex.MALE,
                    phone=f"+1734{n:07d}",
                    email=f"patient{n}@example.org",
                    emergency_contact_name=f"Alex {last}",
                    emergency_contact_phone=f"+1313{n:07d}",
                    primary_clinician=self.clinicians[n % len(self.clinicians)],
                    status=(
                        Patient.Status.MAINTENANCE
                        if dosing
                        else (
                            Patient.Status.INQUIRY,
                            Patient.Status.ELIGIBLE,
                            Patient.Status.INTAKE,
                        )[n % 3]
                    ),
                )
            )
        for chunk in _chunks(rows, 2000):
            Patient.objects.bulk_create(chunk)
            progress.add(len(chunk))
        Patient.objects.filter(mrn__isnull=True).update(
            mrn=Concat(
                models.Value("KAP-"),
                LPad(Cast("id", models.CharField()), 6, models.Value("0")),
                output_field=models.CharField(),
            )
        )
        progress.finish()
        self.patients = list(Patient.objects.order_by("pk").only("pk", "email"))
        self._records()

    def _records(self) -> None:
        """A signed intake for two patients in three, an eligibility decision after most of
        them (about 25 still wait: the provider's worklist), a consent for every treated one."""
        signed_at = self.now - timedelta(days=30)
        intakes, decisions, consents = [], [], []
        for n, patient in enumerate(self.patients):
            if n % 3 == 2 and n >= self.dosing_pool_size:
                continue
            intakes.append(
                Intake(
                    patient=patient,
                    status=Intake.Status.SIGNED,
                    diagnoses="Major depressive disorder, recurrent",
                    failed_antidepressant_trials=2 + n % 3,
                    weight_kg=Decimal(55 + n % 60),
                    height_cm=Decimal(160 + n % 30),
                    created_by=self.clinicians[n % 10],
                    signed_by=self.clinicians[n % 10],
                    signed_at=signed_at - timedelta(minutes=n),
                )
            )
            waiting = n >= self.dosing_pool_size and n % 400 == 1
            if not waiting:
                decisions.append(
                    EligibilityDecision(
                        patient=patient,
                        decision=EligibilityDecision.Decision.ELIGIBLE,
                        note="Eligible (scale data).",
                        signed_by=self.provider,
                        signed_at=signed_at - timedelta(minutes=n) + timedelta(days=2),
                    )
                )
            if n < self.dosing_pool_size:
                consents.append(
                    Consent(
                        patient=patient,
                        document=self.document,
                        typed_name=f"Patient {n}",
                        signed_at=signed_at,
                        witness=self.desk,
                    )
                )
        progress = Progress(self.out, "records", len(intakes) + len(decisions) + len(consents))
        for model, rows in (
            (Intake, intakes),
            (EligibilityDecision, decisions),
            (Consent, consents),
        ):
            for chunk in _chunks(rows, 2000):
                model.objects.bulk_create(chunk)
                progress.add(len(chunk))
        progress.finish()

    def _dosing_patient(self, course_number: int) -> Patient:
        # Consecutive course numbers map to different patients (7919 is prime to the pool).
        pool = self.dosing_pool_size - 1
        return self.patients[1 + (course_number * 7919) % pool]

    def _other_patient(self, visit_number: int) -> Patient:
        pool = self.patient_count - self.dosing_pool_size
        return self.patients[self.dosing_pool_size + (visit_number * 7919) % pool]

    # --- appointments and what hangs off them -----------------------------------------------

    def _history(self) -> None:
        progress = Progress(self.out, "appointments", self.visits_total)
        self.courses: dict[tuple[int, int, int], TreatmentCourse] = {}
        self.course_counter = itertools.count()
        self.visit_counter = itertools.count()
        self.lot_counter = itertools.count(1)
        last_chunk = (len(self.days) - 1) // COURSE_LENGTH
        self.long_term_chunks = {
            c for c in range(last_chunk, -1, -1) if c % LONG_TERM_EVERY == 0 and c <= last_chunk - 2
        }
        self.long_term_chunks = set(sorted(self.long_term_chunks)[-LONG_TERM_COURSES:])
        for start in range(0, len(self.days), BATCH_DAYS):
            with transaction.atomic():
                created = self._batch(range(start, min(start + BATCH_DAYS, len(self.days))))
            progress.add(created)
        progress.finish()
        self.out.write(
            f"  {Appointment.objects.count():,} appointments, {Reminder.objects.count():,} "
            f"reminders, {DosingSession.objects.count():,} dosing sessions, "
            f"{VitalReading.objects.count():,} vitals, {MeasureResult.objects.count():,} measures, "
            f"{LedgerEntry.objects.count():,} ledger entries; long-term patient "
            f"{self.patients[0].pk}: "
            f"{DosingSession.objects.filter(course__patient=self.patients[0]).count()} sessions\n"
        )

    def _visits(self, day_index: int) -> list[Visit]:
        day = self.days[day_index]
        visits = []
        for lane, (_room, plan) in enumerate(self.lanes):
            for slot, (key, hour, minute) in enumerate(plan):
                visits.append(Visit(day_index, lane, slot, key, demo.at(day, hour, minute)))
        excess = len(visits) - TODAY_VISITS
        if day_index == self.today_index and excess > 0:
            # A busy today, lighter than the plan: some therapy and consultation slots free.
            others = [v for v in visits if v.type_key != "dosing"]
            drop = {id(v) for v in others[:: max(1, len(others) // excess)][:excess]}
            visits = [v for v in visits if id(v) not in drop]
        return visits

    def _batch(self, day_indexes: range) -> int:
        now = self.now
        visits = [v for d in day_indexes for v in self._visits(d)]
        # Courses first: six consecutive clinic days of one lane's slot.
        new_courses = []
        for v in visits:
            if v.type_key != "dosing" or v.day_index % COURSE_LENGTH:
                continue
            chunk = v.day_index // COURSE_LENGTH
            long_term = v.lane == 0 and v.slot == 0 and chunk in self.long_term_chunks
            patient = (
                self.patients[0] if long_term else self._dosing_patient(next(self.course_counter))
            )
            last_day = self.days[min(len(self.days) - 1, v.day_index + COURSE_LENGTH - 1)]
            course = TreatmentCourse(
                patient=patient,
                protocol=self.protocols["iv" if v.lane < 2 else "im"],
                planned_sessions=COURSE_LENGTH,
                starts_on=self.days[v.day_index],
                status=(
                    TreatmentCourse.Status.COMPLETED
                    if last_day < self.today
                    else TreatmentCourse.Status.ACTIVE
                ),
                created_by=self.provider,
            )
            self.courses[(v.lane, v.slot, chunk)] = course
            new_courses.append(course)
        TreatmentCourse.objects.bulk_create(new_courses)
        for course in new_courses:  # the auto_now_add time of a course five years ago
            course.created_at = demo.at(course.starts_on, 7)
        TreatmentCourse.objects.bulk_update(new_courses, ["created_at"])

        appointments = []
        for v in visits:
            room, _plan = self.lanes[v.lane]
            type_ = self.types[v.type_key]
            if v.type_key == "dosing":
                patient = self.courses[(v.lane, v.slot, v.day_index // COURSE_LENGTH)].patient
            else:
                patient = self._other_patient(next(self.visit_counter))
            clinician = self.clinicians[(v.lane + v.day_index) % len(self.clinicians)]
            ends_at = v.starts_at + type_.duration
            number = len(appointments)
            a = Appointment(
                patient=patient,
                type=type_,
                clinician=clinician,
                room=room,
                starts_at=v.starts_at,
                ends_at=ends_at,
                booked_by=self.desk,
            )
            if ends_at <= now:
                if v.type_key != "dosing" and number % 23 == 0:
                    a.status = Appointment.Status.CANCELLED
                    a.cancelled_at = v.starts_at - timedelta(days=1)
                    a.cancelled_by = self.desk
                    a.cancelled_via = Appointment.Via.STAFF
                elif v.type_key != "dosing" and number % 31 == 0:
                    a.status = Appointment.Status.NO_SHOW
                    a.no_show_at, a.no_show_by = v.starts_at + timedelta(minutes=15), self.desk
                else:
                    a.status = Appointment.Status.COMPLETED
                    a.checked_in_at, a.checked_in_by = v.starts_at, self.desk
                    a.completed_at, a.completed_by = ends_at, clinician
                    a.confirmed_at = v.starts_at - timedelta(days=1)
                    a.confirmed_via = Appointment.Via.LINK
            elif v.starts_at <= now:
                a.status = Appointment.Status.CHECKED_IN
                a.checked_in_at, a.checked_in_by = v.starts_at, self.desk
            appointments.append(a)
        Appointment.objects.bulk_create(appointments, batch_size=2000)
        Appointment.objects.filter(pk__in=[a.pk for a in appointments]).update(
            booked_at=models.F("starts_at") - timedelta(days=14)
        )
        self._reminders(appointments)
        self._sessions(visits, appointments)
        return len(appointments)

    def _reminders(self, appointments: list[Appointment]) -> None:
        rows = []
        for a in appointments:
            for offset in (48, 2):
                due = a.starts_at - timedelta(hours=offset)
                r = Reminder(
                    appointment=a,
                    channel=Reminder.Channel.EMAIL,
                    offset_hours=offset,
                    due_at=due,
                    send_after=due,
                    recipient=a.patient.email,
                )
                if a.status == Appointment.Status.CANCELLED and a.cancelled_at < due:
                    r.status = Reminder.Status.CANCELLED
                elif due <= self.now:
                    r.status, r.attempts = Reminder.Status.SENT, 1
                    r.claimed_at = r.sent_at = due + timedelta(seconds=20)
                rows.append(r)
        Reminder.objects.bulk_create(rows, batch_size=4000)

    def _sessions(self, visits: list[Visit], appointments: list[Appointment]) -> None:
        sessions: list[DosingSession] = []
        documented: list[tuple[DosingSession, Appointment]] = []
        for v, a in zip(visits, appointments, strict=True):
            if v.type_key != "dosing":
                continue
            course = self.courses[(v.lane, v.slot, v.day_index // COURSE_LENGTH)]
            session = DosingSession(
                course=course,
                number=v.day_index % COURSE_LENGTH + 1,
                scheduled_for=a.starts_at,
                appointment=a,
                created_by=self.provider,
            )
            if a.status == Appointment.Status.COMPLETED:
                documented.append((session, a))
            sessions.append(session)
        if not documented:
            DosingSession.objects.bulk_create(sessions)
            return
        lot_number = next(self.lot_counter)
        first_dose = documented[0][1].starts_at
        lot = Lot.objects.create(
            lot_number=f"SCALE-{lot_number:05d}",
            supplier="Hikma Pharmaceuticals",
            concentration_mg_per_ml=Decimal("50"),
            vial_volume_ml=Decimal("10"),
            vial_count=120,
            expires_on=timezone.localdate(first_dose) + timedelta(days=730),
            received_at=first_dose - timedelta(days=2),
            received_by=self.provider,
        )
        balance = lot.received_mg
        ledger = [
            LedgerEntry(
                lot=lot,
                kind=LedgerEntry.Kind.RECEIPT,
                change_mg=balance,
                balance_after_mg=balance,
                recorded_by=self.provider,
                recorded_at=lot.received_at,
            )
        ]
        measures: list[MeasureResult] = []
        cadss_of: dict[int, MeasureResult] = {}
        for n, (session, a) in enumerate(documented):
            patient = session.course.patient
            therapist = a.clinician
            step = min(2, (session.number - 1) // 2)
            for code, variant in (
                (instruments.PHQ9, step),
                (instruments.GAD7, step),
                (instruments.CSSRS, 0),
            ):
                measures.append(self._measure(patient, code, variant, a.starts_at, therapist))
            cadss = self._measure(
                patient, instruments.CADSS6, n % 2, a.starts_at + timedelta(minutes=70), therapist
            )
            measures.append(cadss)
            cadss_of[id(session)] = cadss
        MeasureResult.objects.bulk_create(measures, batch_size=2000)
        for session, a in documented:
            weight = Decimal(55 + (session.course.patient.pk * 7) % 60)
            start = a.starts_at + timedelta(minutes=20)
            nurse = a.clinician
            session.status = DosingSession.Status.COMPLETED
            session.fasting_confirmed = session.medications_reviewed = True
            session.intention_set = True
            session.escort_name, session.escort_phone = "Alex Escort", "+13135550100"
            session.pregnancy_test = "not_applicable"
            session.contraindications_reconfirmed = CONTRAINDICATIONS_NOTHING_NEW
            session.weight_kg = weight
            session.mg_per_kg = Decimal("0.5")
            session.total_mg = (weight * Decimal("0.5")).quantize(Decimal("0.1"))
            session.lot = lot
            session.administered_by = nurse
            session.supervising_provider = self.provider
            session.dose_started_at = start
            session.dose_ended_at = start + timedelta(minutes=40)
            session.cadss = cadss_of[id(session)]
            session.vitals_near_baseline = session.alert_and_oriented = True
            session.walking_steadily = session.nausea_controlled = True
            session.escort_present = session.instructions_given = True
            session.discharged_with = "Alex Escort"
            session.discharged_at = start + timedelta(minutes=105)
            session.discharged_by = nurse
            session.note = (
                f"Session {session.number}: settled, intention held; discharged with escort."
            )
            session.signed_at = start + timedelta(minutes=120)
            session.signed_by = a.clinician
        DosingSession.objects.bulk_create(sessions, batch_size=2000)
        vitals = []
        for session, a in documented:
            start = session.dose_started_at
            shift = session.course.patient.pk % 4
            for phase, minutes, (sys_, dia, hr) in (
                (vital_rules.PRE, -10, (124, 78, 72)),
                (vital_rules.DURING, 15, (138, 86, 88)),
                (vital_rules.POST, 60, (130, 82, 80)),
                (vital_rules.POST, 90, (126, 80, 76)),
            ):
                vitals.append(
                    VitalReading(
                        session=session,
                        taken_at=start + timedelta(minutes=minutes),
                        phase=phase,
                        systolic=sys_ + shift,
                        diastolic=dia + shift,
                        heart_rate=hr,
                        spo2=97,
                        recorded_by=a.clinician,
                    )
                )
            balance -= session.total_mg
            ledger.append(
                LedgerEntry(
                    lot=lot,
                    kind=LedgerEntry.Kind.ADMINISTRATION,
                    change_mg=-session.total_mg,
                    balance_after_mg=balance,
                    session=session,
                    recorded_by=a.clinician,
                    recorded_at=session.dose_started_at,
                )
            )
        VitalReading.objects.bulk_create(vitals, batch_size=4000)
        # Integration follow-ups the day after each dose, except for the last few days' doses:
        # those are the clinicians' "due" worklist.
        recent = self.now - timedelta(days=3)
        IntegrationFollowUp.objects.bulk_create(
            [
                IntegrationFollowUp(
                    session=session,
                    held_at=session.dose_started_at + timedelta(days=1),
                    themes="Openness, self-compassion.",
                    plan="Continue the course; journal daily.",
                    signed_by=a.clinician,
                    signed_at=session.dose_started_at + timedelta(days=1, hours=1),
                )
                for session, a in documented
                if session.dose_started_at < recent
            ],
            batch_size=2000,
        )
        LedgerEntry.objects.bulk_create(ledger, batch_size=2000)

    def _measure(
        self, patient: Patient, code: str, variant: int, taken_at: datetime, by: User
    ) -> MeasureResult:
        scored = self.scores[(code, variant)]
        answers = {
            instruments.PHQ9: PHQ9_ANSWERS,
            instruments.GAD7: GAD7_ANSWERS,
            instruments.CADSS6: CADSS6_ANSWERS,
        }.get(code)
        return MeasureResult(
            patient=patient,
            code=code,
            answers=answers[variant] if answers else CSSRS_NONE,
            total=scored.total,
            severity=scored.severity,
            flags=sorted(scored.flags),
            taken_at=taken_at,
            entered_by=by,
            context="dosing session",
        )


def _chunks(rows: list, size: int):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
