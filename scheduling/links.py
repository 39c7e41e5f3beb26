"""Signed links in reminders: the patient confirms, cancels or answers the preparation
questions without logging in.

Each link has its own token, signed for one purpose (``confirm``, ``cancel``, ``prepare``, or
``manage`` — the page that offers the three): the purpose is part of the signature's salt, so a
confirm link forwarded or scanned cannot cancel the visit. The token names the appointment and
the start time it was issued for, signed with ``SECRET_KEY`` (``django.core.signing``) and
time-stamped. It stops working after ``REMINDER_LINK_MAX_AGE_DAYS`` (a reminder is sent at most
a few days ahead), when the appointment starts, when it is moved (the start no longer matches)
and when it is no longer booked. Tokens carry no personal data; the pages they open show only
the date, the time and the clinic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment

SALT = "scheduling.reminder-link"
PURPOSES = ("manage", "confirm", "cancel", "prepare")


class LinkError(Exception):
    """The link is tampered with, expired or no longer applies; nothing was changed."""


@dataclass(frozen=True)
class Links:
    manage: str
    confirm: str
    cancel: str
    prepare: str | None


def max_age() -> timedelta:
    return timedelta(days=getattr(settings, "REMINDER_LINK_MAX_AGE_DAYS", 14))


def make_token(appointment: Appointment, purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"Unknown link purpose {purpose!r}")
    return signing.dumps(
        {"a": appointment.pk, "s": int(appointment.starts_at.timestamp())},
        salt=f"{SALT}:{purpose}",
        compress=True,
    )


def links_for(appointment: Appointment, *, absolute: bool = True) -> Links:
    """The reminder's links, each with its own token; ``absolute`` prefixes ``SITE_URL`` (for
    messages), else site paths (for the link pages themselves)."""
    base = settings.SITE_URL if absolute else ""

    def url(purpose: str) -> str:
        token = make_token(appointment, purpose)
        return base + reverse(f"scheduling:link_{purpose}", args=[token])

    return Links(
        manage=url("manage"),
        confirm=url("confirm"),
        cancel=url("cancel"),
        prepare=url("prepare") if appointment.type.is_dosing else None,
    )


def appointment_for_token(token: str, *, purpose: str, now: datetime | None = None) -> Appointment:
    """The appointment a valid, unexpired token for ``purpose`` names, or LinkError with what
    to tell the patient."""
    try:
        data = signing.loads(token, salt=f"{SALT}:{purpose}", max_age=max_age())
        pk, starts = int(data["a"]), int(data["s"])
    except signing.SignatureExpired as error:
        raise LinkError(
            "This link has expired. Please use the link in your latest reminder, or call the "
            "clinic."
        ) from error
    except (signing.BadSignature, KeyError, TypeError, ValueError, OverflowError) as error:
        raise LinkError("This link is not valid. Please call the clinic.") from error
    appointment = Appointment.objects.select_related("type").filter(pk=pk).first()
    if appointment is None or int(appointment.starts_at.timestamp()) != starts:
        raise LinkError(
            "This link is out of date: the appointment was changed. Please call the clinic."
        )
    now = now or timezone.now()
    if appointment.starts_at <= now:
        raise LinkError("This link has expired: the appointment time has passed.")
    if appointment.status != Appointment.Status.BOOKED:
        raise LinkError(
            "This appointment can no longer be changed online"
            + (
                " — it was cancelled."
                if appointment.status == Appointment.Status.CANCELLED
                else "."
            )
        )
    return appointment
