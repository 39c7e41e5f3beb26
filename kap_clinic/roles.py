"""Roles: the four staff groups, and the helpers every view uses to check them.

A role is a Django group (created by ``kap_clinic/migrations/0001_roles.py``, editable in the
admin). Views declare the roles allowed with ``@role_required(...)`` or ``RoleRequiredMixin``;
anything else gets 403. Login itself is enforced for every view by ``LoginRequiredMiddleware``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

FRONT_DESK = "Front desk"
CLINICIAN = "Clinician"
MEDICAL_PROVIDER = "Medical provider"
CLINIC_ADMIN = "Clinic admin"

ALL_ROLES: tuple[str, ...] = (FRONT_DESK, CLINICIAN, MEDICAL_PROVIDER, CLINIC_ADMIN)
# Roles that see clinical content (intake, scores, doses, vitals, notes).
CLINICAL: frozenset[str] = frozenset({CLINICIAN, MEDICAL_PROVIDER})
# Roles that run the schedule and the patient registry.
FRONT_OFFICE: frozenset[str] = frozenset({FRONT_DESK, CLINICIAN, MEDICAL_PROVIDER})
STAFF: frozenset[str] = frozenset(ALL_ROLES)
# Roles that read the clinic's aggregate, de-identified reports (no chart content).
REPORTING: frozenset[str] = frozenset({MEDICAL_PROVIDER, CLINIC_ADMIN})

# Shown in the header and on the home page; the order picks the "main" role of a user with several.
ROLE_ORDER: tuple[str, ...] = (MEDICAL_PROVIDER, CLINICIAN, FRONT_DESK, CLINIC_ADMIN)

# Model permissions each group gets in the Django admin ("app_label.codename"). Only the clinic
# admin works in the admin; the other roles work through the clinic's own views. Apps add their
# models' permissions with a migration that calls ``grant_permissions``.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    CLINIC_ADMIN: (
        "auth.add_user",
        "auth.change_user",
        "auth.view_user",
        "auth.view_group",
        "auth.change_group",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accesslog",
    ),
}


def roles_of(user: User | AnonymousUser) -> frozenset[str]:
    """The user's roles (group names), cached on the user object for the request."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_kap_roles", None)
    if cached is None:
        names = set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        if user.is_superuser:
            names.add(CLINIC_ADMIN)
        cached = frozenset(names)
        user._kap_roles = cached  # type: ignore[union-attr]
    return cached


def has_role(user: User | AnonymousUser, *roles: str | Iterable[str]) -> bool:
    wanted: set[str] = set()
    for role in roles:
        wanted.update([role] if isinstance(role, str) else role)
    return bool(roles_of(user) & wanted)


def primary_role(user: User | AnonymousUser) -> str | None:
    mine = roles_of(user)
    return next((role for role in ROLE_ORDER if role in mine), None)


def check_role(user: User | AnonymousUser, *roles: str | Iterable[str]) -> None:
    """Raise PermissionDenied (403) unless the user has one of the roles."""
    if not has_role(user, *roles):
        raise PermissionDenied("Your role does not give access to this page.")


def users_in_roles(*roles: str | Iterable[str]) -> QuerySet[User]:
    """Active users in any of ``roles`` (group names), by name: the clinician pickers, the
    witness list. One query."""
    return (
        User.objects.filter(is_active=True, groups__name__in=_flatten(roles))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def role_required(*roles: str | Iterable[str]) -> Callable[[Callable[..., HttpResponse]], Any]:
    """View decorator: 403 unless the logged-in user has one of ``roles``."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            check_role(request.user, *roles)
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = _flatten(roles)  # type: ignore[attr-defined]
        return wrapped

    return decorator


class RoleRequiredMixin:
    """Class-based view mixin: set ``allowed_roles``; others get 403."""

    allowed_roles: Iterable[str] = ()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        check_role(request.user, self.allowed_roles)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def _flatten(roles: Iterable[str | Iterable[str]]) -> frozenset[str]:
    out: set[str] = set()
    for role in roles:
        out.update([role] if isinstance(role, str) else role)
    return frozenset(out)


def grant_permissions(apps: Any, permissions: dict[str, Iterable[str]]) -> None:
    """Create the role groups if needed and add ``permissions`` to them (never removes any).

    For data migrations: pass the migration's ``apps``. Permissions are created first, since
    Django otherwise creates them only after the whole migrate run.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role in ALL_ROLES:
        group_model.objects.get_or_create(name=role)
    for role, perms in permissions.items():
        group = group_model.objects.get(name=role)
        for dotted in perms:
            app_label, codename = dotted.split(".", 1)
            permission = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                group.permissions.add(permission)
