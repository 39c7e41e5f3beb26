"""Malformed query strings and ``next`` values never give a server error (Hypothesis).

Every GET view the role matrix declares (each app's ``tests/matrix.py``; the URL resolver
lists the patterns, so a new view is covered as soon as it is declared) is requested by a
persona it allows with random values for every query parameter a view of this project reads;
every POST action gets random ``next`` values. A date outside 1900–2100, an id that is not a
number or overflows the database, a ``next`` that is no path of this site: a form error, a
fallback with a message, or 400 — never 500.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import client_for
from kap_clinic.tests.role_matrix import (
    ANONYMOUS,
    CLINIC_ADMIN,
    CLINICIAN,
    FRONT_DESK,
    OUTSIDER,
    PROVIDER,
    Case,
    Ctx,
    Pattern,
    all_patterns,
    cases_of,
    declaration_for,
    load_matrix,
    local_apps,
)

MATRIX = load_matrix()
# Who makes the request: the first persona, in this order, the declaration allows.
PREFERENCE = (PROVIDER, CLINICIAN, FRONT_DESK, CLINIC_ADMIN, OUTSIDER, ANONYMOUS)

# The query parameters the project's views read: found in their source, so a parameter added
# to a view is fuzzed without editing this test.
_READS = re.compile(
    r"""(?:GET\.get\(|GET\[|query_date\(request,\s*|query_id\(request,\s*)["'](\w+)["']"""
)
_GET_FORM = re.compile(r"forms?\.(\w+Form)\(\s*request\.GET")
# ``for name in ("clinician", "room"): ... query_id(request, name)``
_LOOPED = re.compile(r"for \w+ in \(([^)]*)\):\n\s+[^\n]*query_(?:id|date)\(request")


def query_names() -> list[str]:
    from importlib import import_module

    names = {"next", "page"}
    for app in local_apps():
        path = Path(django_settings.BASE_DIR) / app.replace(".", "/") / "views.py"
        if not path.exists():
            continue
        source = path.read_text()
        names.update(_READS.findall(source))
        for group in _LOOPED.findall(source):
            names.update(re.findall(r"[\"'](\w+)[\"']", group))
        for form_name in _GET_FORM.findall(source):
            for module_name in (f"{app}.forms", "kap_clinic.forms"):
                form = getattr(import_module(module_name), form_name, None)
                if form is not None:
                    names.update(form.base_fields)
    return sorted(names)


NAMES = query_names()

BAD_VALUES = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.sampled_from(
        [
            "",
            "abc",
            "0",
            "-1",
            "9999-12-31",
            "0001-01-01",
            "1e309",
            "NaN",
            "foo",
            "/nowhere/",
            "//evil.example/",
            "https://evil.example/",
            "javascript:alert(1)",
            "99999999999999999999",
            "-room",
        ]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
)
QUERIES = st.dictionaries(st.sampled_from(NAMES), BAD_VALUES, min_size=1, max_size=4)
FUZZ = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _declared(method: str) -> list[tuple[Pattern, Case]]:
    out = []
    for pattern in all_patterns():
        if pattern.namespace.split(":")[0] == "admin":
            continue  # Django's own admin
        found = declaration_for(pattern, MATRIX)
        if found is None or "*" in found[0]:
            continue
        case = next((c for c in cases_of(found[1]) if c.method.lower() == method), None)
        if case is not None and _persona(case) is not None:
            out.append((pattern, case))
    return out


def _persona(case: Case) -> str | None:
    return next((p for p in PREFERENCE if case.allows(p)), None)


def _request(pattern: Pattern, case: Case, users: dict[str, User]) -> tuple[Client, str, dict]:
    persona = _persona(case)
    user = None if persona == ANONYMOUS else users[persona]
    ctx = Ctx(personas=users, persona=persona, user=user)
    if case.kwargs is not None:
        ctx.kwargs = dict(case.kwargs(ctx))
    data = case.data(ctx) if callable(case.data) else dict(case.data or {})
    client = Client() if user is None else client_for(user)
    return client, pattern.path(ctx.kwargs), data


GET_VIEWS = _declared("get")
POST_ACTIONS = _declared("post")


def test_the_fuzzer_reads_the_parameters_of_the_known_faults() -> None:
    assert {"date", "on", "type", "clinician", "patient", "start", "next"} <= set(NAMES)
    assert len(GET_VIEWS) > 30 and len(POST_ACTIONS) > 30


@pytest.mark.django_db
@pytest.mark.parametrize(("pattern", "case"), GET_VIEWS, ids=[str(p) for p, _c in GET_VIEWS])
def test_no_query_string_gives_a_server_error(pattern: Pattern, case: Case, personas) -> None:
    client, path, _data = _request(pattern, case, personas)

    @FUZZ
    @given(query=QUERIES)
    @example(query={"date": "9999-12-31", "on": "9999-12-31", "type": "abc"})
    @example(query={"date": "0001-01-01", "start": "0001-01-01T00:00:00+14:00"})
    @example(query={"patient": "99999999999999999999", "intake": "99999999999999999999"})
    def check(query: dict[str, str]) -> None:
        response = client.get(path, {**(case.query or {}), **query}, headers=case.headers)
        assert response.status_code < 500, f"GET {path} {query} → {response.status_code}"

    check()


@pytest.mark.django_db
@pytest.mark.parametrize(("pattern", "case"), POST_ACTIONS, ids=[str(p) for p, _c in POST_ACTIONS])
def test_no_next_value_gives_a_server_error(pattern: Pattern, case: Case, personas) -> None:
    @settings(FUZZ, max_examples=6)
    @given(target=BAD_VALUES)
    @example(target="foo")
    def check(target: str) -> None:
        # Fresh objects each time: the known fault (NoReverseMatch) came after the commit.
        client, path, data = _request(pattern, case, personas)
        response = client.post(path, {**data, "next": target}, headers=case.headers)
        assert response.status_code < 500, f"POST {path} next={target!r} → {response.status_code}"
        if response.status_code == 302:
            assert not response["Location"].startswith(("//", "http", "javascript")), target

    check()
