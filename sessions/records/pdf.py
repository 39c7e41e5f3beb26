"""A patient's record as a PDF: every part's template in one HTML page, printed by WeasyPrint."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from sessions.records import registry


def record_html(patient: Any, *, exported_by: str, record: dict[str, Any] | None = None) -> str:
    sections = [
        {"part": part, "data": record[part.key] if record is not None else part.collect(patient)}
        for part in registry.parts()
    ]
    return render_to_string(
        "sessions/records/record_pdf.html",
        {
            "patient": patient,
            "sections": sections,
            "exported_at": timezone.localtime(),
            "exported_by": exported_by,
            "clinic_name": settings.CLINIC_NAME,
            "clinic_address": getattr(settings, "CLINIC_ADDRESS", ""),
            "clinic_phone": getattr(settings, "CLINIC_PHONE", ""),
            "time_zone": settings.TIME_ZONE,
        },
    )


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    # The record is self-contained: nothing typed into a note may make the server fetch a URL.
    raise ValueError("The record PDF loads no external resources.")


def record_pdf(patient: Any, *, exported_by: str, record: dict[str, Any] | None = None) -> bytes:
    html = record_html(patient, exported_by=exported_by, record=record)
    return HTML(string=html, url_fetcher=_no_fetching).write_pdf()
