"""The chart's "Record export" section (registered from ``SessionsConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from sessions.models import RecordExport

CHART_EXPORTS = 3


def chart_records(request: HttpRequest, patient: Any) -> dict[str, Any]:
    exports = RecordExport.objects.filter(patient_id=patient.pk).order_by("-requested_at", "-id")
    return {"exports": list(exports[:CHART_EXPORTS])}
