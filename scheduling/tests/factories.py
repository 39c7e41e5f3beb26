"""factory_boy factories for the schedule. Appointments are booked through the service, so a
test appointment has its reminders planned exactly as in production."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from kap_clinic import roles
from patients.tests.factories import PatientFactory, UserFactory
from scheduling import services
from scheduling.models import Appointment, AppointmentType, Room, WorkingHours


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Room {n}")
    kind = Room.Kind.CONSULT


class AppointmentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AppointmentType
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Visit type {n}")
    kind = AppointmentType.Kind.FOLLOW_UP
    duration_minutes = 60
    room_kind = Room.Kind.CONSULT
    colour = "#123456"
    reminder_offsets = "48, 2"
    preparation_instructions = "Please arrive 10 minutes early."


def clinician_user(**kwargs) -> User:
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=roles.CLINICIAN))
    return user


def full_week_hours(user: User) -> None:
    for weekday in range(7):
        WorkingHours.objects.get_or_create(
            clinician=user, weekday=weekday, defaults={"starts": time(7), "ends": time(20)}
        )


def tomorrow_at(hour: int, minute: int = 0, days: int = 1) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    patient = factory.SubFactory(PatientFactory)
    type = factory.SubFactory(AppointmentTypeFactory)
    clinician = factory.LazyFunction(clinician_user)
    # Spread out so factory appointments never collide on a room or clinician by accident.
    starts_at = factory.Sequence(lambda n: tomorrow_at(10, days=3) + timedelta(hours=2 * n))
    booked_by = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if (
            kwargs["type"].room_kind
            and not Room.objects.filter(kind=kwargs["type"].room_kind, active=True).exists()
        ):
            RoomFactory(name=f"Auto {kwargs['type'].room_kind}", kind=kwargs["type"].room_kind)
        return services.appointment_book(
            patient=kwargs["patient"],
            type=kwargs["type"],
            clinician=kwargs["clinician"],
            starts_at=kwargs["starts_at"],
            room=kwargs.get("room"),
            by=kwargs["booked_by"],
            allow_outside_hours=True,
            now=kwargs.get("now"),
        )
