"""The calendars' repeated parts, rendered in one pass: the day's empty slots, the week's visits.

A day has ~26 half-hour slots per column and a dozen columns: ~400 links whose URL, time and
label the template language would resolve one variable and filter at a time (three quarters of
the page's time, issue 15). The same HTML, built here with ``format_html_join``.
"""

from __future__ import annotations

from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from scheduling.models import Appointment
from scheduling.selectors import Column

register = template.Library()


@register.simple_tag
def calendar_slots(column: Column) -> SafeString:
    """Each empty slot of ``column`` as a link to book it (``?start=`` the slot's ISO time in
    the clinic's zone, plus the column's clinician or room)."""
    book = reverse("scheduling:appointment_book")
    suffix = ""
    if column.clinician_id:
        suffix += f"&clinician={column.clinician_id}"
    if column.room_id:
        suffix += f"&room={column.room_id}"
    rows = []
    for slot in column.slots:
        local = timezone.localtime(slot.starts_at)
        rows.append(
            (
                "" if slot.working else " cal-off",
                slot.top,
                f"{book}?start={quote(local.isoformat(), safe='/')}{suffix}",
                column.title,
                f"{local:%H:%M}",
            )
        )
    return format_html_join(
        "",
        '<a class="cal-slot{}" style="top: {}rem;" href="{}" aria-label="Book {} at {}"></a>',
        rows,
    )


@register.simple_tag
def week_day_items(appointments: list[Appointment]) -> SafeString:
    """One day's visits on the week calendar: a coloured link each (time, patient, type,
    clinician, status). The appointment URL is reversed once, not once per visit."""
    head, tail = reverse("scheduling:appointment_detail", args=[0]).rsplit("0", 1)
    return format_html_join(
        "",
        '<li class="mb-1"><a class="d-block rounded p-1 text-decoration-none small" '
        'style="background: {}; color: {};" href="{}"><strong>{}</strong> {}<br>{} · {}{}</a></li>',
        (
            (
                a.type.colour,
                a.type.text_colour,
                f"{head}{a.pk}{tail}",
                f"{timezone.localtime(a.starts_at):%H:%M}",
                a.patient.display_name,
                a.type.name,
                a.clinician_name,
                ""
                if a.status == Appointment.Status.BOOKED
                else format_html(
                    ' <span class="badge text-bg-light">{}</span>', a.get_status_display()
                ),
            )
            for a in appointments
        ),
    )
