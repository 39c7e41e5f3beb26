"""Celery tasks of the sessions app: thin wrappers over ``sessions.services``; each safe to run
twice. The record export's build is where a PDF is made, so WeasyPrint is imported here (through
``sessions.records.pdf``), not by the services."""

from __future__ import annotations

from celery import shared_task

from sessions import services
from sessions.records import pdf


@shared_task(ignore_result=True)
def build_record_export(export_id: int) -> str:
    """Build a requested record export (PDF or FHIR); a second run finds it claimed or done."""
    return services.record_export_build(export_id=export_id, write_pdf=pdf.record_pdf)


@shared_task(ignore_result=True)
def purge_record_exports() -> int:
    """Hourly (beat): delete export files past their seven days."""
    return services.record_exports_purge()
