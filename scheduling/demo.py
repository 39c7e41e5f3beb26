"""The demo clinic's schedule (``manage.py seed_demo``): rooms, visit types, working hours, a week
of appointments across rooms and clinicians, and one appointment whose 2-hour reminder is due a
minute after seeding, so ``make run`` shows a real reminder in ``var/mail/`` straight away.

Dosing and integration visits are not made here: they belong to a treatment course, so the
sessions' demo books them with their dosing sessions and follow-ups (``visit_book``), before this
demo fills the rest of the week around them.

Idempotent: configuration is keyed on names, appointments on (patient, start); a booking the
conflict checks refuse (e.g. a second run on another day) is simply left out.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from kap_clinic import roles
from patients.models import Patient
from patients.services import patient_create
from scheduling import demo_selfreport, services
from scheduling.models import Appointment, AppointmentType, Room, WorkingHours

ROOMS = (
    ("Infusion 1", Room.Kind.INFUSION),
    ("Infusion 2", Room.Kind.INFUSION),
    ("Infusion 3", Room.Kind.INFUSION),
    ("Infusion 4", Room.Kind.INFUSION),
    ("Therapy room", Room.Kind.THERAPY),
    ("Consult room", Room.Kind.CONSULT),
)

ARRIVE = "Please arrive 10 minutes early."
FASTING = (
    "No solid food for 6 hours before your visit; clear liquids (water, black coffee, clear "
    "juice) are fine until 2 hours before. An adult must take you home: you cannot drive or "
    "travel alone for the rest of the day. Wear comfortable clothes."
)
TYPES = {
    # key: (name, kind, minutes, room kind, provided by, colour, instructions)
    "consultation": (
        "Consultation",
        AppointmentType.Kind.CONSULTATION,
        60,
        Room.Kind.CONSULT,
        AppointmentType.ProvidedBy.CLINICIAN,
        "#0d6efd",
        f"{ARRIVE} Bring a photo ID and a list of the medicines you take.",
    ),
    "intake": (
        "Intake assessment",
        AppointmentType.Kind.INTAKE,
        90,
        Room.Kind.CONSULT,
        AppointmentType.ProvidedBy.CLINICIAN,
        "#6f42c1",
        f"{ARRIVE} Bring a list of the medicines you take.",
    ),
    "preparation": (
        "Preparation session",
        AppointmentType.Kind.PREPARATION,
        60,
        Room.Kind.THERAPY,
        AppointmentType.ProvidedBy.CLINICIAN,
        "#20c997",
        ARRIVE,
    ),
    "dosing": (
        "Dosing session",
        AppointmentType.Kind.DOSING,
        150,
        Room.Kind.INFUSION,
        AppointmentType.ProvidedBy.CLINICIAN,
        "#d63384",
        FASTING,
    ),
    "integration": (
        "Integration",
        AppointmentType.Kind.INTEGRATION,
        60,
        Room.Kind.THERAPY,
        AppointmentType.ProvidedBy.CLINICIAN,
        "#fd7e14",
        ARRIVE,
    ),
    "follow_up": (
        "Follow-up",
        AppointmentType.Kind.FOLLOW_UP,
        30,
        Room.Kind.CONSULT,
        AppointmentType.ProvidedBy.CLINICIAN,
        "#6c757d",
        "",
    ),
}

# A clinic day besides the treatment courses' visits: (staff username, visit type, start hour,
# minute). The courses' dosing visits fill the infusion rooms and their integration visits the
# therapy room between these (sessions/demo.py).
DAY_PLAN = (
    ("clinician", "consultation", 9, 0),
    ("therapist2", "preparation", 9, 0),
    ("clinician", "intake", 10, 30),
    ("provider2", "consultation", 12, 0),
    ("therapist2", "preparation", 14, 0),
    ("provider2", "follow_up", 14, 0),
    ("clinician", "follow_up", 15, 0),
    ("provider", "follow_up", 16, 0),
)

PATIENTS = (
    ("Maya", "Okonkwo"),
    ("Daniel", "Reyes"),
    ("Hannah", "Kowalski"),
    ("Omar", "Haddad"),
    ("Grace", "Lindqvist"),
    ("Tomas", "Novak"),
    ("Aisha", "Bello"),
    ("Lucas", "Ferreira"),
    ("Nora", "Fitzgerald"),
    ("Ethan", "Nakamura"),
    ("Sofia", "Marchetti"),
    ("Isaac", "Goldberg"),
    ("Leila", "Karimi"),
    ("Ben", "Whitaker"),
    ("Chloe", "Dubois"),
    ("Ravi", "Menon"),
)


def seed(*, staff: dict[str, User], now: datetime) -> None:
    types = seed_configuration(staff)
    demo_selfreport.seed(staff=staff, now=now)
    with transaction.atomic():
        patients = _patients(staff["frontdesk"])
    # The soon appointment first, so the week's plan cannot have taken its clinician and room.
    _soon(staff=staff, types=types, patients=patients, now=now)
    _week(staff=staff, types=types, patients=patients, now=now)


@transaction.atomic
def seed_configuration(staff: dict[str, User]) -> dict[str, AppointmentType]:
    """Rooms, visit types (by key of ``TYPES``) and working hours; the other demos book with
    them."""
    _rooms()
    types = _types()
    demo_selfreport.configure_types()
    _working_hours(staff)
    return types


def booking_time(starts_at: datetime, now: datetime) -> datetime:
    """When the demo books a visit: now, or the day before for one already past (the services
    refuse to book in the past, as they should)."""
    return now if starts_at > now else starts_at - timedelta(days=1)


def visit_book(
    *,
    patient,
    type: AppointmentType,
    clinician: User,
    starts_at: datetime,
    by: User,
    now: datetime,
    missed: bool = False,
) -> Appointment:
    """Book one visit through the services and take it as far as the clinic day has gone by
    ``now`` (``visit_progress``). Raises the services' SchedulingError when the slot is taken."""
    appointment = services.appointment_book(
        patient=patient,
        type=type,
        clinician=clinician,
        starts_at=starts_at,
        by=by,
        allow_outside_hours=True,
        now=booking_time(starts_at, now),
    )
    return visit_progress(appointment=appointment, by=by, now=now, missed=missed)


def visit_progress(
    *, appointment: Appointment, by: User, now: datetime, missed: bool = False
) -> Appointment:
    """A booked visit as it went by ``now``: over, completed (or a no-show when ``missed``);
    under way, checked in; still ahead, booked."""
    if appointment.starts_at > now:
        return appointment
    if missed:
        if appointment.ends_at > now:
            return appointment
        return services.appointment_no_show(
            appointment=appointment, by=by, now=appointment.starts_at + timedelta(minutes=15)
        )
    appointment = services.appointment_check_in(
        appointment=appointment, by=by, now=appointment.starts_at
    )
    if appointment.ends_at > now:
        return appointment
    return services.appointment_complete(
        appointment=appointment, by=appointment.clinician, now=appointment.ends_at
    )


def _rooms() -> None:
    for position, (name, kind) in enumerate(ROOMS):
        Room.objects.get_or_create(name=name, defaults={"kind": kind, "position": position})


def _types() -> dict[str, AppointmentType]:
    out = {}
    for key, (name, kind, minutes, room_kind, provided_by, colour, text) in TYPES.items():
        out[key], _ = AppointmentType.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "duration_minutes": minutes,
                "room_kind": room_kind,
                "provided_by": provided_by,
                "colour": colour,
                "reminder_offsets": "48, 2",
                "preparation_instructions": text,
            },
        )
    return out


def _working_hours(staff: dict[str, User]) -> None:
    for user in staff.values():
        if not roles.has_role(user, roles.CLINICAL):
            continue
        for weekday in range(5):
            WorkingHours.objects.get_or_create(
                clinician=user, weekday=weekday, defaults={"starts": time(8), "ends": time(18)}
            )


def _patients(by: User) -> list:
    """The patients' demo's people when it ran; otherwise a few of our own."""
    existing = list(Patient.objects.filter(archived_at__isnull=True).order_by("pk"))
    if len(existing) >= 10:
        return existing
    out = []
    for n, (first, last) in enumerate(PATIENTS):
        patient = Patient.objects.filter(legal_first_name=first, legal_last_name=last).first()
        if patient is None:
            patient = patient_create(
                by=by,
                legal_first_name=first,
                legal_last_name=last,
                date_of_birth=date(1970 + n * 2, 1 + n % 12, 1 + n),
                email=f"{first.lower()}.{last.lower()}@example.org",
                phone=f"+1734555{1200 + n:04d}",
                remind_by_email=True,
            )
        out.append(patient)
    return out


def _book_first_free(
    *, when: datetime, now: datetime, candidates: list, **kwargs
) -> Appointment | None:
    """The slot's appointment if a run already booked it; else book it for the first candidate
    who is free then (a past slot as if booked the day before). None when the clinician or the
    room is taken."""
    existing = Appointment.objects.filter(
        clinician=kwargs["clinician"], starts_at=when, type=kwargs["type"]
    ).first()
    if existing is not None:
        return existing
    for patient in candidates:
        try:
            return services.appointment_book(
                patient=patient,
                starts_at=when,
                allow_outside_hours=True,
                now=booking_time(when, now),
                **kwargs,
            )
        except services.BookingConflict as error:
            if error.conflict is not None and error.conflict.patient_id == patient.pk:
                continue  # this patient is busy then; the next may not be
            return None
        except services.SchedulingError:
            return None
    return None


# Who comes for what: a visit type goes to patients at the matching stage of their path
# (DESIGN.md, "one patient's path"), when the patients' demo has put people there. Dosing and
# integration visits come with a treatment course (sessions/demo.py), never from here.
STAGES = {
    "consultation": ("inquiry", "consultation_scheduled"),
    "intake": ("consultation_scheduled", "intake"),
    "preparation": ("eligible",),
    "follow_up": ("maintenance", "in_treatment"),
}


def _pools(patients: list) -> dict[str, list]:
    everyone = list(Patient.objects.filter(archived_at__isnull=True).order_by("pk")) or patients
    pools = {}
    for type_key, statuses in STAGES.items():
        pools[type_key] = [p for p in everyone if p.status in statuses] or everyone
    pools["any"] = everyone
    return pools


def _week(*, staff, types, patients, now: datetime) -> None:
    today = timezone.localdate(now)
    by = staff["frontdesk"]
    pools = _pools(patients)
    for day_offset in range(-2, 6):
        day = today + timedelta(days=day_offset)
        if day.weekday() >= 5:
            continue
        seen_today: set[int] = set()
        for i, (username, type_key, hour, minute) in enumerate(DAY_PLAN):
            when = timezone.make_aware(datetime.combine(day, time(hour, minute)))
            pool = pools[type_key]
            start = (day.toordinal() * 5 + i) % len(pool)
            candidates = [p for p in pool[start:] + pool[:start] if p.pk not in seen_today]
            appointment = _book_first_free(
                when=when,
                now=now,
                candidates=candidates,
                type=types[type_key],
                clinician=staff[username],
                by=by,
            )
            if appointment is not None:
                seen_today.add(appointment.patient_id)
            if appointment is None or appointment.status != Appointment.Status.BOOKED:
                continue
            # The past is done: most came, one in a while did not.
            visit_progress(appointment=appointment, by=by, now=now, missed=(i + day.day) % 9 == 0)


def _soon(*, staff, types, patients, now: datetime) -> None:
    """An appointment 2 h 1 min from now: its 2-hour reminder is due a minute after seeding."""
    upcoming = Appointment.objects.filter(
        patient__in=patients,
        status=Appointment.Status.BOOKED,
        starts_at__gt=now + timedelta(hours=2),
        starts_at__lte=now + timedelta(hours=2, minutes=5),
    ).exists()
    if upcoming:
        return
    when = (now + timedelta(hours=2, minutes=1)).replace(second=0, microsecond=0)
    people = [staff["clinician"]] + [
        user
        for name, user in staff.items()
        if name != "clinician" and roles.has_role(user, roles.CLINICAL)
    ]
    pools = _pools(patients)
    for type_key, clinician in (
        (type_key, clinician)
        for type_key in ("follow_up", "preparation", "consultation")
        for clinician in people
    ):
        # Someone at the stage the visit is for first, then anyone; reminded by e-mail only, so
        # exactly one reminder falls due.
        everyone = pools[type_key] + [p for p in pools["any"] if p not in pools[type_key]]
        by_email = [p for p in everyone if p.email and p.remind_by_email and not p.remind_by_sms]
        for candidate in by_email:
            try:
                services.appointment_book(
                    patient=candidate,
                    type=types[type_key],
                    clinician=clinician,
                    starts_at=when,
                    by=staff["frontdesk"],
                    allow_outside_hours=True,
                    now=now,
                )
            except services.BookingConflict as error:
                if error.conflict is not None and error.conflict.patient_id == candidate.pk:
                    continue  # this patient is busy; another may not be
                break  # the clinician or the room is busy: try the next one
            except services.SchedulingError:
                break
            return
