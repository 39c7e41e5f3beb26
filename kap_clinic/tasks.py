from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from kap_clinic.models import ClinicSession


@shared_task
def clear_expired_sessions() -> int:
    """Delete expired login sessions (daily; safe to run twice). Returns how many went."""
    deleted, _ = ClinicSession.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task
def ping() -> str:
    """Round trip through broker, worker and result backend, for health checks and CI."""
    return "pong"
