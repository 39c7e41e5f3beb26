"""Reads of the self-report outbox for the front desk: patients to call because the next-day
check-in after their dose was not answered by ``SELF_REPORT_CHECKIN_CALL_AT`` (default noon)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from scheduling.models import PatientMessage
from scheduling.services.selfreport import call_list_from

# A check-in unanswered for longer than this is no longer the front desk's call.
CALL_LIST_DAYS = 2


def checkin_call_list(*, now: datetime | None = None) -> list[PatientMessage]:
    """One row per patient: a check-in link sent and still unanswered after the call time of
    the day it went out. Shows no clinical content (name and phone only on the page)."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    rows = (
        PatientMessage.objects.filter(
            kind=PatientMessage.Kind.CHECKIN,
            status=PatientMessage.Status.SENT,
            link__used_at__isnull=True,
            due_at__gte=now - timedelta(days=CALL_LIST_DAYS),
            due_at__lte=now,
        )
        .select_related("patient")
        .order_by("due_at", "id")
    )
    seen: dict[int, PatientMessage] = {}
    for row in rows:
        due_day = timezone.localtime(row.due_at).date()
        if due_day > today or now < call_list_from(due_day):
            continue
        seen.setdefault(row.patient_id, row)
    return list(seen.values())
