"""What a reminder says, and handing it to e-mail or SMS.

A reminder carries the minimum (DESIGN.md "Reminders"): clinic name, date, time, address, the
appointment type's preparation instructions and the signed links. No visit type name, drug name,
diagnosis or score: a reminder can be read by anyone who sees the patient's phone or inbox.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from scheduling import links, sms
from scheduling.models import Appointment, Reminder


def reminder_context(appointment: Appointment) -> dict[str, Any]:
    start = timezone.localtime(appointment.starts_at)
    return {
        "clinic_name": settings.CLINIC_NAME,
        "clinic_address": settings.CLINIC_ADDRESS,
        "clinic_phone": settings.CLINIC_PHONE,
        "first_name": appointment.patient.preferred_name or appointment.patient.legal_first_name,
        "date": start,
        "instructions": appointment.type.preparation_instructions,
        "links": links.links_for(appointment),
        "asks_preparation": appointment.type.is_dosing,
    }


def render_email(appointment: Appointment) -> tuple[str, str, str]:
    context = reminder_context(appointment)
    subject = " ".join(render_to_string("emails/reminder-subject.txt", context).split())
    text = render_to_string("emails/reminder-body.txt", context)
    html = render_to_string("emails/reminder-body.html", context)
    return subject, text, html


def render_sms(appointment: Appointment) -> str:
    return render_to_string("emails/reminder-sms.txt", reminder_context(appointment)).strip()


def deliver(reminder: Reminder) -> None:
    """Send one reminder through its channel; raises when it did not go."""
    appointment = reminder.appointment
    if reminder.channel == Reminder.Channel.EMAIL:
        subject, text, html = render_email(appointment)
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            to=[reminder.recipient],
            headers={"X-KAP-Reminder": str(reminder.pk)},
        )
        message.attach_alternative(html, "text/html")
        message.send()
    else:
        sms.send_sms(to=reminder.recipient, body=render_sms(appointment))
