from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from kap_clinic import roles
from kap_clinic.audit import client_ip
from kap_clinic.session_store import AGENT_KEY, IP_KEY, STARTED_KEY

LAST_SEEN_KEY = "kap_last_seen"
# Refresh "last seen" at most this often, so an idle check does not cost a session write per
# request; the idle limit is therefore exact to within this many seconds.
LAST_SEEN_RESOLUTION = 30


class SessionTimeoutMiddleware:
    """Log a staff member out after ``SESSION_IDLE_TIMEOUT`` seconds without a request, and after
    ``SESSION_ABSOLUTE_LIFETIME`` seconds whatever they do (a tablet left by the infusion chair)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = timezone.now().timestamp()
            session = request.session
            started = session.setdefault(STARTED_KEY, now)  # a session from before this check
            last_seen = session.get(LAST_SEEN_KEY, now)
            if now - last_seen > settings.SESSION_IDLE_TIMEOUT:
                return self._end(request, "You were signed out after a period of inactivity.")
            if now - started > settings.SESSION_ABSOLUTE_LIFETIME:
                return self._end(request, "Your session reached its time limit. Please sign in.")
            # A page's own polling (htmx, "X-Kap-Poll") is not the person being active.
            polled = request.headers.get("X-Kap-Poll") == "1"
            if not polled and (
                now - last_seen >= LAST_SEEN_RESOLUTION or LAST_SEEN_KEY not in session
            ):
                session[LAST_SEEN_KEY] = now
        response = self.get_response(request)
        # The request that signs in starts the clocks (the login view put a user on it).
        if request.user.is_authenticated and STARTED_KEY not in request.session:
            now = timezone.now().timestamp()
            request.session[STARTED_KEY] = now
            request.session[LAST_SEEN_KEY] = now
            # Shown on "Your sessions", so a staff member recognises each one.
            request.session[IP_KEY] = client_ip(request)
            request.session[AGENT_KEY] = request.headers.get("User-Agent", "")[:200]
        return response

    def _end(self, request: HttpRequest, message: str) -> HttpResponse:
        logout(request)
        messages.info(request, message)
        return redirect_to_login(request.get_full_path())


# Pages an unverified user may still open: signing in and out, and the MFA steps themselves.
MFA_EXEMPT_URL_NAMES = frozenset({"login", "logout", "keepalive", "mfa_setup", "mfa_verify"})


class MFARequiredMiddleware:
    """Send a signed-in user who must use a second factor, and has not yet in this session, to
    verify it (or to enrol an authenticator first). Needs django-otp's ``OTPMiddleware`` before
    it. Which users and pages: ``kap_clinic.mfa.required_for``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        from kap_clinic import mfa

        user = request.user
        if not user.is_authenticated or mfa.is_verified(user):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in MFA_EXEMPT_URL_NAMES:
            return None
        if not getattr(view_func, "login_required", True):
            return None  # a public page (signed reminder links): no account involved
        if not mfa.required_for(user, admin_area=_is_admin_area(request, view_func)):
            return None
        step = "mfa_verify" if mfa.has_device(user) else "mfa_setup"
        return HttpResponseRedirect(
            f"{reverse(step)}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}"
        )


def _is_admin_area(request: HttpRequest, view_func: Callable[..., Any]) -> bool:
    """The Django admin, and the clinic's own pages only the clinic admin may open."""
    match = request.resolver_match
    if match is not None and match.app_name == "admin":
        return True
    allowed = getattr(view_func, "allowed_roles", None)
    view_class = getattr(view_func, "view_class", None)
    if allowed is None and view_class is not None:
        allowed = getattr(view_class, "allowed_roles", None)
    return allowed is not None and frozenset(allowed) == {roles.CLINIC_ADMIN}
