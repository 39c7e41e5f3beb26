"""Signed links in reminders: the patient confirms, cancels or answers the preparation
questions without logging in.

The token names the appointment and the start time it was issued for, signed with
``SECRET_KEY`` (``django.core.signing``). It stops working when the appointment starts, when the
appointment is moved (the start no longer matches) and when it is no longer booked. Tokens carry
no personal data; the pages they open show only the date, the time and the clinic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment

SALT = "scheduling.reminder-link"


class LinkError(Exception):
    """The link is tampered with, expired or no longer applies; nothing was changed."""


@dataclass(frozen=True)
class Links:
    manage: str
    confirm: str
    cancel: str
    prepare: str | None


def make_token(appointment: Appointment) -> str:
    return signing.dumps(
        {"a": appointment.pk, "s": int(appointment.starts_at.timestamp())},
        salt=SALT,
        compress=True,
    )


def links_for(appointment: Appointment) -> Links:
    token = make_token(appointment)

    def url(name: str) -> str:
        return settings.SITE_URL + reverse(f"scheduling:{name}", args=[token])

    return Links(
        manage=url("link_manage"),
        confirm=url("link_confirm"),
        cancel=url("link_cancel"),
        prepare=url("link_prepare") if appointment.type.is_dosing else None,
    )


def appointment_for_token(token: str, *, now: datetime | None = None) -> Appointment:
    """The appointment a valid, unexpired token names, or LinkError with what to tell the
    patient."""
    try:
        data = signing.loads(token, salt=SALT)
        pk, starts = int(data["a"]), int(data["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
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
