"""The PHI access log: every view that shows a patient calls ``record_access``."""

from __future__ import annotations

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
