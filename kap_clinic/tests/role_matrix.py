"""The role matrix: what every URL pattern answers to every persona.

Each app declares its URL patterns in ``<app>/tests/matrix.py`` as a module-level ``MATRIX`` dict
keyed by URL name; ``kap_clinic/tests/test_role_matrix.py`` walks the URL resolver and holds every
pattern to its declaration. The format is documented in ``kap_clinic/tests/matrix_format.md``.
This module holds the vocabulary (``Case``, outcomes, persona names) and the resolver walker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from importlib import import_module
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from conftest import client_for
from kap_clinic import roles

# --- Personas ---------------------------------------------------------------------------------
ANONYMOUS = "anonymous"
OUTSIDER = "outsider"  # signed in, active, in no role group
FRONT_DESK = "front_desk"
CLINICIAN = "clinician"
PROVIDER = "provider"
CLINIC_ADMIN = "clinic_admin"
PERSONAS: tuple[str, ...] = (ANONYMOUS, OUTSIDER, FRONT_DESK, CLINICIAN, PROVIDER, CLINIC_ADMIN)

PERSONA_OF_ROLE: dict[str, str] = {
    roles.FRONT_DESK: FRONT_DESK,
    roles.CLINICIAN: CLINICIAN,
    roles.MEDICAL_PROVIDER: PROVIDER,
    roles.CLINIC_ADMIN: CLINIC_ADMIN,
}
# Shorthands for ``Case(allowed=...)`` beside the role sets of ``kap_clinic.roles``.
AUTHENTICATED: frozenset[str] = frozenset(roles.STAFF | {OUTSIDER})
EVERYONE: frozenset[str] = frozenset(AUTHENTICATED | {ANONYMOUS})


# --- Outcomes ---------------------------------------------------------------------------------
def _login_paths() -> tuple[str, ...]:
    return (reverse("login"), reverse("admin:login"))


def _is_login_redirect(response: HttpResponse) -> bool:
    return response.status_code == 302 and response["Location"].split("?")[0].endswith(
        _login_paths()
    )


@dataclass(frozen=True)
class Outcome:
    label: str
    test: Callable[[HttpResponse], bool]

    def matches(self, response: HttpResponse) -> bool:
        return self.test(response)

    def __str__(self) -> str:
        return self.label


#: The view did its work: not refused (401/403/404/405), not sent to a login page, no error.
ALLOWED = Outcome(
    "ALLOWED",
    lambda r: (
        r.status_code < 500
        and r.status_code not in (401, 403, 404, 405)
        and not _is_login_redirect(r)
    ),
)
#: Refused for the role: 403.
DENIED = Outcome("DENIED (403)", lambda r: r.status_code == 403)
#: Sent to a sign-in page (the clinic's or the Django admin's): 302 to a login URL.
LOGIN = Outcome("LOGIN (302 to a login page)", _is_login_redirect)
#: Anything but a server error or a login redirect (Django admin pages whose answer for a staff
#: member depends on model permissions: 200, 302, 403 or 404).
NO_ERROR = Outcome(
    "NO_ERROR (< 500, not a login redirect)",
    lambda r: r.status_code < 500 and not _is_login_redirect(r),
)


def status(code: int) -> Outcome:
    """Exactly this status code."""
    return Outcome(str(code), lambda r: r.status_code == code)


def redirect(url_name: str, **kwargs: Any) -> Outcome:
    """A redirect (302) to this URL name (query string ignored)."""

    def test(response: HttpResponse) -> bool:
        return response.status_code == 302 and response["Location"].split("?")[0] == reverse(
            url_name, kwargs=kwargs or None
        )

    return Outcome(f"302 to {url_name}", test)


def as_outcome(value: Outcome | int) -> Outcome:
    return status(value) if isinstance(value, int) else value


def everyone(outcome: Outcome | int) -> dict[str, Outcome | int]:
    """The same outcome for all six personas (for ``Case(expect=...)``)."""
    return dict.fromkeys(PERSONAS, outcome)


# --- Declarations -----------------------------------------------------------------------------
@dataclass
class Ctx:
    """What a ``Case``'s ``kwargs``/``data`` callables receive. ``personas`` maps the five
    persona names (not ``anonymous``) to their users; ``persona``/``user`` say who will make the
    request (``user`` is None for anonymous); ``kwargs`` holds the URL kwargs once made."""

    personas: dict[str, User]
    persona: str
    user: User | None
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """One request to make against a URL pattern, for every persona.

    ``allowed``: role names (``roles.CLINICAL`` ...) and/or persona names (``OUTSIDER``,
    ``ANONYMOUS``) that get ALLOWED; every other signed-in persona gets DENIED and ``anonymous``
    gets LOGIN. ``expect`` overrides single personas with an outcome or a status code.
    ``kwargs(ctx)`` creates real objects and returns the URL kwargs (called afresh for each
    persona, inside the test's transaction). ``data`` is the POST body (a dict or ``data(ctx)``);
    ``query`` a GET query dict. ``clinical=True`` marks a view that shows or changes clinical
    content: front desk must be refused (checked by the walker).
    """

    allowed: Iterable[str] = frozenset()
    kwargs: Callable[[Ctx], dict[str, Any]] | None = None
    method: str = "get"
    data: Mapping[str, Any] | Callable[[Ctx], Mapping[str, Any]] | None = None
    query: Mapping[str, str] | None = None
    headers: Mapping[str, str] | None = None
    clinical: bool = False
    expect: Mapping[str, Outcome | int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.expect) - set(PERSONAS)
        if unknown:
            raise ValueError(f"Unknown persona(s) in expect: {sorted(unknown)}")
        for name in self.allowed_personas_raw():
            if name not in PERSONAS:
                raise ValueError(f"Unknown role or persona in allowed: {name!r}")
        if self.method.lower() not in ("get", "post", "put", "patch", "delete", "head"):
            raise ValueError(f"Unknown method {self.method!r}")

    def allowed_personas_raw(self) -> set[str]:
        allowed = [self.allowed] if isinstance(self.allowed, str) else self.allowed
        return {PERSONA_OF_ROLE.get(name, name) for name in allowed}

    def outcome_for(self, persona: str) -> Outcome:
        if persona in self.expect:
            return as_outcome(self.expect[persona])
        if persona in self.allowed_personas_raw():
            return ALLOWED
        return LOGIN if persona == ANONYMOUS else DENIED

    def allows(self, persona: str) -> bool:
        """Whether the declaration lets ``persona`` use the view (anything but a refusal)."""
        outcome = self.outcome_for(persona)
        return outcome not in (DENIED, LOGIN) and outcome.label not in ("403", "404", "401")


Declaration = Case | list[Case] | tuple[Case, ...]


def cases_of(declaration: Declaration) -> list[Case]:
    return [declaration] if isinstance(declaration, Case) else list(declaration)


# --- Walking the resolver ---------------------------------------------------------------------
@dataclass(frozen=True)
class Pattern:
    """One URL pattern with everything needed to build a concrete path for it."""

    name: str | None  # "namespace:name", or None for an unnamed pattern
    namespace: str
    chain: tuple[Any, ...]  # RoutePattern/RegexPattern objects from the root to the pattern
    callback: Callable[..., Any]

    @property
    def route(self) -> str:
        return "".join(str(p) for p in self.chain)

    @property
    def key(self) -> str:
        """The name, or for an unnamed pattern its namespace and route."""
        return self.name or f"{self.namespace + ':' if self.namespace else ''}<{self.route}>"

    @property
    def params(self) -> list[str]:
        out: list[str] = []
        for part in self.chain:
            if isinstance(part, RoutePattern):
                out += list(part.converters)
            else:
                out += list(re.compile(str(part)).groupindex)
        return out

    def path(self, kwargs: Mapping[str, Any]) -> str:
        return "/" + "".join(_fill(part, kwargs) for part in self.chain)

    def __str__(self) -> str:
        return self.key


_ROUTE_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")
# Unnamed groups (django-simple-history's admin history URLs use ``([^/]+)``): an id that does
# not exist, so the admin answers 404 rather than the walker failing to build a path.
_UNNAMED_GROUP = re.compile(r"\((?!\?)[^)]*\)")
MISSING_ID = 999999


def _fill(part: Any, kwargs: Mapping[str, Any]) -> str:
    if isinstance(part, RoutePattern):
        return _ROUTE_PARAM.sub(
            lambda m: str(part.converters[m["name"]].to_url(kwargs[m["name"]])), str(part)
        )
    assert isinstance(part, RegexPattern)
    text = _REGEX_GROUP.sub(lambda m: str(kwargs[m["name"]]), str(part))
    text = _UNNAMED_GROUP.sub(str(MISSING_ID), text)
    return text.removeprefix("^").removesuffix("$").removesuffix(r"\Z").replace("\\", "")


def iter_patterns(
    resolver: URLResolver | None = None, chain: tuple[Any, ...] = (), namespace: str = ""
) -> Iterator[Pattern]:
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from iter_patterns(entry, (*chain, entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Pattern(name, namespace, (*chain, entry.pattern), entry.callback)


def all_patterns() -> list[Pattern]:
    return sorted(iter_patterns(), key=lambda p: (p.key, p.route))


# --- Collecting the declarations ----------------------------------------------------------------
def local_apps() -> list[str]:
    base = Path(settings.BASE_DIR).resolve()
    return [
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(base)
    ]


def load_matrix() -> dict[str, Declaration]:
    """Merge every local app's ``tests/matrix.py: MATRIX``; a key declared twice is an error."""
    merged: dict[str, Declaration] = {}
    owner: dict[str, str] = {}
    for app in local_apps():
        try:
            module = import_module(f"{app}.tests.matrix")
        except ModuleNotFoundError as error:
            if error.name not in (f"{app}.tests.matrix", f"{app}.tests"):
                raise
            continue
        for key, declaration in module.MATRIX.items():
            if key in merged:
                raise AssertionError(f"{key!r} is declared by both {owner[key]} and {app}")
            for case in cases_of(declaration):
                if not isinstance(case, Case):
                    raise TypeError(f"{app}: MATRIX[{key!r}] must be a Case or a list of Cases")
            merged[key] = declaration
            owner[key] = app
    return merged


def declaration_for(
    pattern: Pattern, matrix: Mapping[str, Declaration]
) -> tuple[str, Declaration] | None:
    """The exact key first; otherwise the longest glob key (``admin:*``) matching the key."""
    if pattern.key in matrix:
        return pattern.key, matrix[pattern.key]
    globs = [k for k in matrix if "*" in k and fnmatchcase(pattern.key, k)]
    if not globs:
        return None
    best = max(globs, key=len)
    return best, matrix[best]


# --- Placeholder kwargs for glob declarations (the Django admin) --------------------------------
def auto_kwargs(pattern: Pattern, ctx: Ctx) -> dict[str, Any]:
    """URL kwargs for a pattern declared through a glob: a real row where the admin names a model
    (the first row of the model, else an id that does not exist), sensible values elsewhere."""
    from django.contrib import admin
    from django.contrib.contenttypes.models import ContentType

    values: dict[str, Any] = {}
    model = None
    if pattern.name and pattern.name.startswith("admin:"):
        stem = pattern.name.removeprefix("admin:").rsplit("_", 1)[0]
        for candidate in admin.site._registry:
            if f"{candidate._meta.app_label}_{candidate._meta.model_name}" == stem:
                model = candidate
    for param in pattern.params:
        if param in ("object_id", "pk", "id"):
            row = model._default_manager.order_by("pk").first() if model else None
            values[param] = row.pk if row else 999999
        elif param == "app_label":
            regex = next(str(p) for p in pattern.chain if "app_label" in str(p))
            values[param] = re.search(r"\(\?P<app_label>([^|)]+)", regex)[1]
        elif param == "content_type_id":
            values[param] = ContentType.objects.get_for_model(User).pk
        elif param == "url":
            values[param] = "no-such-page/"
        else:
            values[param] = 1
    if "content_type_id" in values:
        values["object_id"] = ctx.personas[CLINICIAN].pk
    return values


# --- Making the requests ------------------------------------------------------------------------
def run_case(
    pattern: Pattern, key: str, case: Case, persona: str, users: dict[str, User]
) -> tuple[str, HttpResponse]:
    """Make ``case``'s request to ``pattern`` as ``persona``; return the path and response."""
    user = None if persona == ANONYMOUS else users[persona]
    ctx = Ctx(personas=users, persona=persona, user=user)
    if case.kwargs is not None:
        ctx.kwargs = dict(case.kwargs(ctx))
    elif "*" in key:
        ctx.kwargs = auto_kwargs(pattern, ctx)
    missing = set(pattern.params) - set(ctx.kwargs)
    assert not missing, f"{pattern}: the declaration's kwargs() must give {sorted(missing)}"
    path = pattern.path(ctx.kwargs)
    # The kwargs really address this pattern (and not a sibling that happens to match first).
    assert resolve(path).func is pattern.callback, f"{pattern}: {path} resolves elsewhere"
    data = case.data(ctx) if callable(case.data) else case.data
    client = Client() if user is None else client_for(user)
    send = getattr(client, case.method.lower())
    if case.method.lower() == "get":
        return path, send(path, case.query or {}, headers=case.headers)
    return path, send(path, data or {}, headers=case.headers)
