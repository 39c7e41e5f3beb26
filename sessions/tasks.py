"""Celery tasks of the sessions app: thin wrappers over ``sessions.services``; each safe to run
twice."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from sessions import services


@shared_task(ignore_result=True)
def build_record_export(export_id: int) -> str:
    """Build a requested record export (PDF or FHIR); a second run finds it claimed or done."""
    return services.record_export_build(export_id=export_id)


@shared_task(ignore_result=True)
def purge_record_exports() -> int:
    """Hourly (beat): delete export files past their seven days."""
    return services.record_exports_purge()


def enqueue_record_export(export_id: int) -> None:
    """Start the build once the request has committed (never before: the worker would not find
    the row)."""
    transaction.on_commit(lambda: build_record_export.delay(export_id))
