"""The ceiling: what Django on this stack serves at all.

Same middleware as every page (login required, sessions, CSRF, CSP, history, axes), one indexed
query, a minimal template. A page's ``ratio_to_ceiling`` in the benchmark is its requests per
second over this view's.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from patients.models import Patient


def ceiling(request: HttpRequest) -> HttpResponse:
    patient = Patient.objects.filter(pk=request.GET.get("pk", 1)).values("mrn").first()
    return render(request, "bench/ceiling.html", {"patient": patient})
