from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from kap_clinic import roles
from kap_clinic.home import AREAS, panels_for


@roles.role_required(roles.STAFF)
def home(request: HttpRequest) -> HttpResponse:
    mine = roles.roles_of(request.user)
    areas = [(role, AREAS[role]) for role in roles.ROLE_ORDER if role in mine]
    return render(request, "kap_clinic/home.html", {"areas": areas, "panels": panels_for(request)})


@require_POST
def keepalive(request: HttpRequest) -> HttpResponse:
    """The idle-logout warning's "Stay signed in" button: any request resets the idle clock."""
    return HttpResponse(status=204)
