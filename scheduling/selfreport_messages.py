"""What a self-report message says, and handing it to e-mail or SMS.

The same minimum as a reminder (DESIGN.md "Reminders"; issue 14): the clinic's name, the
patient's first name and the signed link — "a short questionnaire from <clinic>". Never an
instrument, drug, diagnosis or score: anyone who sees the phone or the inbox may read it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from patients.models import SelfReportLink
from patients.selfreport.tokens import make_token
from scheduling import sms
from scheduling.models import PatientMessage

# What each kind of message calls the thing it links to.
WHAT = {
    PatientMessage.Kind.QUESTIONNAIRE: "a short questionnaire",
    PatientMessage.Kind.CHECKIN: "a short check-in",
    PatientMessage.Kind.SAFETY_PLAN: "a document",
    PatientMessage.Kind.INTAKE: "a few forms to fill in before your visit",
}


def link_url(link: SelfReportLink) -> str:
    return settings.SITE_URL + reverse("patients:selfreport_start", args=[make_token(link)])


def message_context(message: PatientMessage, link: SelfReportLink) -> dict[str, Any]:
    patient = message.patient
    return {
        "clinic_name": settings.CLINIC_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
        "first_name": patient.preferred_name or patient.legal_first_name,
        "what": WHAT[message.kind],
        "kind": message.kind,
        "url": link_url(link),
        "expires_at": link.expires_at,
    }


def render_email(message: PatientMessage, link: SelfReportLink) -> tuple[str, str, str]:
    context = message_context(message, link)
    subject = " ".join(render_to_string("emails/selfreport-subject.txt", context).split())
    text = render_to_string("emails/selfreport-body.txt", context)
    html = render_to_string("emails/selfreport-body.html", context)
    return subject, text, html


def render_sms(message: PatientMessage, link: SelfReportLink) -> str:
    return render_to_string("emails/selfreport-sms.txt", message_context(message, link)).strip()


def deliver(message: PatientMessage, link: SelfReportLink) -> None:
    """Send one message through its channel; raises when it did not go."""
    if message.channel == PatientMessage.Channel.EMAIL:
        subject, text, html = render_email(message, link)
        mail = EmailMultiAlternatives(
            subject=subject,
            body=text,
            to=[message.recipient],
            headers={"X-KAP-Patient-Message": str(message.pk)},
        )
        mail.attach_alternative(html, "text/html")
        mail.send()
    else:
        sms.send_sms(to=message.recipient, body=render_sms(message, link))
