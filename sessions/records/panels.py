"""The chart's "Record export" section (registered from ``SessionsConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def chart_records(request: HttpRequest, patient: Any) -> dict[str, Any]:
    # The buttons and a link to the patient's exports: no query, the chart is opened all day.
    return {}
