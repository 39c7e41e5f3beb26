"""The PHI access log: every view that shows a patient calls ``record_access``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.apps import apps
from django.db.models import QuerySet
from django.http import HttpRequest

from kap_clinic.models import AccessEvent


def client_ip(request: HttpRequest) -> str | None:
    # Behind the TLS proxy the first X-Forwarded-For address is the client (README: deployment).
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
    return ip or None


def record_access(
    *, request: HttpRequest, patient_id: int, what: str, allowed: bool = True
) -> AccessEvent:
    """Record that ``request.user`` saw (or was refused) ``what`` of a patient's record."""
    user = request.user if request.user.is_authenticated else None
    return AccessEvent.objects.create(
        user=user,
        patient_id=patient_id,
        what=what[:100],
        path=request.path[:300],  # the path only: query strings may carry search terms
        ip_address=client_ip(request),
        allowed=allowed,
    )


def record_access_many(
    *, request: HttpRequest, patient_ids: Iterable[int], what: str
) -> list[AccessEvent]:
    """``record_access`` for each of several patients shown on one page (a group's note), in
    one query."""
    user = request.user if request.user.is_authenticated else None
    return AccessEvent.objects.bulk_create(
        AccessEvent(
            user=user,
            patient_id=patient_id,
            what=what[:100],
            path=request.path[:300],
            ip_address=client_ip(request),
            allowed=True,
        )
        for patient_id in sorted(set(patient_ids))
    )


def recent_access(patient_id: int, *, limit: int = 20) -> list[AccessEvent]:
    """The latest looks at (and refusals on) one patient's record, newest first: the chart's
    "who viewed this chart" section. One query."""
    return list(AccessEvent.objects.filter(patient_id=patient_id).select_related("user")[:limit])


def access_events(
    *,
    user_id: int | None = None,
    patient_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AccessEvent]:
    """The access log filtered for review (clinic admin): ``since`` inclusive, ``until``
    exclusive, newest first. The caller checks the role."""
    events = AccessEvent.objects.select_related("user")
    if user_id is not None:
        events = events.filter(user_id=user_id)
    if patient_id is not None:
        events = events.filter(patient_id=patient_id)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lt=until)
    return events


def patient_labels(patient_ids: Iterable[int]) -> dict[int, str]:
    """Display names for patient ids, when the registry is installed (one query). The log keeps
    only ids, so a label is looked up at review time."""
    try:
        patient_model = apps.get_model("patients", "Patient")
    except LookupError:
        return {}
    return {
        pk: str(patient)
        for pk, patient in patient_model._base_manager.in_bulk(set(patient_ids)).items()
    }
