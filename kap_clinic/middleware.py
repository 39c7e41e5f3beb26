from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

LAST_SEEN_KEY = "kap_last_seen"
STARTED_KEY = "kap_started"
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
            if now - last_seen >= LAST_SEEN_RESOLUTION or LAST_SEEN_KEY not in session:
                session[LAST_SEEN_KEY] = now
        response = self.get_response(request)
        # The request that signs in starts the clocks (the login view put a user on it).
        if request.user.is_authenticated and STARTED_KEY not in request.session:
            now = timezone.now().timestamp()
            request.session[STARTED_KEY] = now
            request.session[LAST_SEEN_KEY] = now
        return response

    def _end(self, request: HttpRequest, message: str) -> HttpResponse:
        logout(request)
        messages.info(request, message)
        return redirect_to_login(request.get_full_path())
