"""Where a form goes back to after saving: a ``next`` parameter, accepted only as a page of
this site.

A form page opened from elsewhere (the dosing session's "Record now") carries ``next`` so the
clinician lands where they came from. ``next`` is user input: an unchecked value would be an
open redirect (a link in a phishing mail sending a signed-in clinician to a look-alike site), so
it must be a path on this host that resolves to one of our views; anything else is ignored and
the form falls back to its usual destination.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import Resolver404, get_script_prefix, resolve
from django.utils.http import url_has_allowed_host_and_scheme

FIELD = "next"


def local_path(target: str, *, request: HttpRequest) -> str:
    """``target`` if it is a path of this site ("/sessions/4/#checklist"), else ""."""
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    parts = urlsplit(target)
    # A path only: "https://this-host/..." passes the host check above but is not needed, and
    # refusing it keeps the rule simple to state.
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or "\\" in target:
        return ""
    prefix = get_script_prefix()
    if not parts.path.startswith(prefix):
        return ""
    try:
        resolve("/" + parts.path[len(prefix) :])
    except Resolver404:
        return ""
    return target


def next_path(request: HttpRequest) -> str:
    """The request's ``next`` (form field first, then query string) if it is a page of this
    site, else ""."""
    return local_path(request.POST.get(FIELD) or request.GET.get(FIELD) or "", request=request)


def redirect_next(
    request: HttpRequest, fallback: str, *args: Any, **kwargs: Any
) -> HttpResponseRedirect:
    """Redirect to the request's ``next`` when it is a page of this site, else to ``fallback``
    (a URL name with its arguments, as for ``redirect``). A ``next`` that was given but refused
    is said in a message: the action itself is done, only the way back changed."""
    back = next_path(request)
    if not back and (request.POST.get(FIELD) or request.GET.get(FIELD)):
        messages.info(request, "The page to go back to is not one of this site's; you are here.")
    return redirect(back or fallback, *args, **kwargs)
