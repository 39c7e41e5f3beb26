"""Record exports (HIPAA right of access, 45 CFR 164.524): requested from the chart or the
command line, built by a Celery task with its progress on the row, downloadable by clinical
staff for ``RECORD_EXPORT_DAYS`` days, then deleted by a periodic task. Every export and every
download is written to the access log.

The PDF writer (``sessions.records.pdf.record_pdf``, WeasyPrint) is handed in by the callers that
build a file, ``sessions.tasks`` and the ``export_record`` command: importing WeasyPrint takes
about a second, which no other process that imports the services should pay."""

from __future__ import annotations

import getpass
import json
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kap_clinic import roles
from kap_clinic.models import AccessEvent
from patients.models import Patient
from sessions.models import RecordExport
from sessions.records import fhir, registry

logger = logging.getLogger(__name__)

Status = RecordExport.Status
Format = RecordExport.Format
# A build still "running" after this long died with its worker; the task may take it over.
STALE_RUN = timedelta(minutes=10)
# (patient, *, exported_by, record) -> PDF bytes: ``sessions.records.pdf.record_pdf``.
PdfWriter = Callable[..., bytes]


def export_dir() -> Path:
    path = Path(settings.RECORD_EXPORT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def record_collect(patient: Patient, *, progress=None) -> dict[str, Any]:
    """Every part's data for one patient; ``progress(percent, stage)`` after each part."""
    parts = registry.parts()
    record: dict[str, Any] = {}
    for index, part in enumerate(parts, start=1):
        record[part.key] = part.collect(patient)
        if progress is not None:
            progress(10 + 70 * index // len(parts), part.title)
    return record


def record_render(
    patient: Patient, *, format: str, exported_by: str, write_pdf: PdfWriter, progress=None
) -> bytes:
    """The record as PDF bytes (made by ``write_pdf``) or FHIR Bundle JSON (validated before it
    is handed out)."""
    if format not in Format.values:
        raise ValidationError({"format": f"Choose one of: {', '.join(Format.values)}."})
    record = record_collect(patient, progress=progress)
    if progress is not None:
        progress(85, "Writing the PDF" if format == Format.PDF else "Writing the FHIR bundle")
    if format == Format.PDF:
        return write_pdf(patient, exported_by=exported_by, record=record)
    bundle = fhir.record_bundle(patient, record)
    fhir.validate_bundle(bundle)
    return json.dumps(bundle, indent=2, ensure_ascii=False).encode()


@transaction.atomic
def record_export_request(
    *, patient: Patient, format: str, by: User, ip_address: str | None = None, path: str = ""
) -> RecordExport:
    """Record the request for an export of the patient's whole record (and log it). The caller
    enqueues its build (``sessions.records.queue.enqueue_record_export``)."""
    if not roles.has_role(by, roles.CLINICAL):
        raise ValidationError("Only clinicians and medical providers can export a record.")
    if format not in Format.values:
        raise ValidationError({"format": "Choose PDF or FHIR."})
    export = RecordExport.objects.create(
        patient=patient, format=format, requested_by=by, stage="Waiting for a worker"
    )
    AccessEvent.objects.create(
        user=by,
        patient_id=patient.pk,
        what=f"record export requested ({export.get_format_display()})"[:100],
        path=path[:300] or "record export",
        ip_address=ip_address,
    )
    return export


def _set_progress(export_id: int, percent: int, stage: str) -> None:
    RecordExport.objects.filter(pk=export_id, status=Status.RUNNING).update(
        progress=percent, stage=stage[:100]
    )


def record_export_build(*, export_id: int, write_pdf: PdfWriter) -> str:
    """Build one queued export and store its file (``sessions.tasks.build_record_export``). Safe
    to run twice: only the run that claims the row (queued, or running past ``STALE_RUN``) builds
    it. Returns the final status."""
    now = timezone.now()
    claimed = (
        RecordExport.objects.filter(pk=export_id)
        .filter(Q(status=Status.QUEUED) | Q(status=Status.RUNNING, started_at__lt=now - STALE_RUN))
        .update(status=Status.RUNNING, started_at=now, progress=5, stage="Reading the record")
    )
    export = RecordExport.objects.select_related("patient", "requested_by").get(pk=export_id)
    if claimed != 1:
        return export.status
    by = export.requested_by
    try:
        content = record_render(
            export.patient,
            format=export.format,
            exported_by=by.get_full_name() or by.username,
            write_pdf=write_pdf,
            progress=lambda percent, stage: _set_progress(export_id, percent, stage),
        )
        extension = "pdf" if export.format == Format.PDF else "json"
        name = f"{export.pk}-{secrets.token_hex(16)}.{extension}"
        (export_dir() / name).write_bytes(content)
    except Exception as error:  # noqa: BLE001 - recorded on the row, shown on the page
        # The class only: a validation message quotes the record's values, which are PHI and
        # must stay out of the worker's log (SECURITY.md).
        RecordExport.objects.filter(pk=export_id).update(
            status=Status.FAILED,
            finished_at=timezone.now(),
            stage="Failed",
            error=type(error).__name__[:200],
        )
        logger.error("Record export %s failed: %s", export_id, type(error).__name__)
        return Status.FAILED
    done = timezone.now()
    RecordExport.objects.filter(pk=export_id).update(
        status=Status.READY,
        progress=100,
        stage="Ready",
        finished_at=done,
        expires_at=done + timedelta(days=settings.RECORD_EXPORT_DAYS),
        file_name=name,
        size_bytes=len(content),
    )
    return Status.READY


def record_export_file(export: RecordExport) -> Path:
    """The stored file of a ready export that has not expired; ValidationError otherwise."""
    if not export.is_downloadable:
        raise ValidationError("This export is no longer available; export the record again.")
    path = export_dir() / export.file_name
    if not path.is_file():
        raise ValidationError("This export's file is missing; export the record again.")
    return path


def record_exports_purge(*, now=None) -> int:
    """Delete the files of exports past their expiry (hourly; safe to run twice). The rows stay:
    they are the account of what was disclosed."""
    now = now or timezone.now()
    purged = 0
    for export in RecordExport.objects.filter(status=Status.READY, expires_at__lte=now):
        (export_dir() / export.file_name).unlink(missing_ok=True)
        purged += RecordExport.objects.filter(pk=export.pk, status=Status.READY).update(
            status=Status.EXPIRED, purged_at=now
        )
    return purged


def record_export_command(*, patient: Patient, format: str, out: Path, write_pdf: PdfWriter) -> int:
    """``manage.py export_record``: write the record to ``out`` and log it like the page does.
    Returns the number of bytes written."""
    operator = getpass.getuser()
    content = record_render(
        patient, format=format, exported_by=f"{operator} (command line)", write_pdf=write_pdf
    )
    out.write_bytes(content)
    AccessEvent.objects.create(
        user=None,
        patient_id=patient.pk,
        what=f"record exported by command ({format}, {operator})"[:100],
        path="manage.py export_record",
    )
    return len(content)
