"""Every URL pattern, every persona, the declared outcome — with real objects in the URLs.

The declarations live in each app's ``tests/matrix.py`` (format: ``matrix_format.md`` beside this
file). A pattern with no declaration fails, so a new view cannot ship without saying who may use
it; a declaration for a pattern that no longer exists fails too.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from kap_clinic import roles
from kap_clinic.navigation import NAV
from kap_clinic.tests.role_matrix import (
    ALLOWED,
    FRONT_DESK,
    NO_ERROR,
    OUTSIDER,
    PERSONA_OF_ROLE,
    PERSONAS,
    Case,
    Declaration,
    Pattern,
    all_patterns,
    cases_of,
    declaration_for,
    load_matrix,
    run_case,
)

PATTERNS = all_patterns()
MATRIX = load_matrix()


def check_pattern(
    pattern: Pattern, matrix: dict[str, Declaration], users: dict[str, User]
) -> list[str]:
    """Request the pattern as every persona; return the mismatches with the declaration."""
    found = declaration_for(pattern, matrix)
    if found is None:
        raise AssertionError(
            f"URL pattern {pattern.key!r} ({pattern.route}) has no role-matrix declaration. "
            "Declare it in <app>/tests/matrix.py (see kap_clinic/tests/matrix_format.md)."
        )
    key, declaration = found
    mismatches = []
    for case in cases_of(declaration):
        for persona in PERSONAS:
            expected = case.outcome_for(persona)
            path, response = run_case(pattern, key, case, persona, users)
            if not expected.matches(response):
                where = response.get("Location", "")
                mismatches.append(
                    f"{case.method.upper()} {path} as {persona}: expected {expected}, "
                    f"got {response.status_code} {where}".rstrip()
                )
    return mismatches


@pytest.mark.parametrize("pattern", PATTERNS, ids=str)
@pytest.mark.django_db
def test_every_url_pattern_answers_each_persona_as_declared(
    pattern: Pattern, personas: dict[str, User]
) -> None:
    mismatches = check_pattern(pattern, MATRIX, personas)
    assert not mismatches, "\n".join(mismatches)


def home_pattern() -> Pattern:
    return next(p for p in PATTERNS if p.name == "home")


@pytest.mark.django_db
def test_walker_fails_a_pattern_missing_from_the_matrix(personas) -> None:
    matrix = {k: v for k, v in MATRIX.items() if k != "home"}
    with pytest.raises(AssertionError, match="'home' .* has no role-matrix declaration"):
        check_pattern(home_pattern(), matrix, personas)


@pytest.mark.django_db
def test_walker_reports_a_persona_whose_outcome_differs_from_the_declaration(personas) -> None:
    # Declaring the home page open to a user with no role must fail: the view refuses them.
    matrix = {**MATRIX, "home": Case(allowed=roles.STAFF | {OUTSIDER})}
    mismatches = check_pattern(home_pattern(), matrix, personas)
    assert mismatches == ["GET / as outsider: expected ALLOWED, got 403"]


def test_every_declaration_names_an_existing_pattern() -> None:
    keys = {pattern.key for pattern in PATTERNS}
    used_globs = {found[0] for p in PATTERNS if (found := declaration_for(p, MATRIX))}
    stale = [
        k for k in MATRIX if ("*" in k and k not in used_globs) or ("*" not in k and k not in keys)
    ]
    assert not stale, f"Role-matrix declarations for URL names that do not exist: {stale}"


def test_every_pattern_outside_a_glob_has_a_name() -> None:
    unnamed = [p.route for p in PATTERNS if p.name is None and declaration_for(p, MATRIX) is None]
    assert not unnamed, f"Give these URL patterns a name= so the matrix can declare them: {unnamed}"


def test_front_desk_is_declared_out_of_every_clinical_view() -> None:
    # The walker checks the responses; this checks the declarations themselves, so a clinical
    # view cannot be opened to front desk by editing its matrix entry.
    leaks = [
        key
        for key, declaration in MATRIX.items()
        for case in cases_of(declaration)
        if case.clinical and case.allows(FRONT_DESK)
    ]
    assert not leaks, f"Clinical views declared open to front desk: {leaks}"


def test_clinical_views_are_declared_with_the_clinical_flag_where_roles_say_so() -> None:
    # A view that only clinical roles may use is clinical content; say so, so the front-desk
    # check above covers it even if its roles are widened later.
    clinical_only = {PERSONA_OF_ROLE[r] for r in ("Clinician", "Medical provider")}
    unflagged = [
        key
        for key, declaration in MATRIX.items()
        for case in cases_of(declaration)
        if "*" not in key
        and not case.clinical
        and {p for p in PERSONAS if case.allows(p)} <= clinical_only
        and {p for p in PERSONAS if case.allows(p)}
    ]
    assert not unflagged, (
        f"Views open only to clinical roles but not flagged clinical=True: {unflagged}"
    )


def test_navigation_only_shows_each_role_what_the_matrix_allows() -> None:
    for item in NAV:
        found = declaration_for(next(p for p in PATTERNS if p.name == item.url_name), MATRIX)
        assert found is not None, item.url_name
        get_case = next(c for c in cases_of(found[1]) if c.method.lower() == "get")
        for role in item.roles:
            outcome = get_case.outcome_for(PERSONA_OF_ROLE[role])
            assert outcome in (ALLOWED, NO_ERROR), (
                f"NAV shows {item.label!r} to {role}, but the matrix declares {outcome}"
            )
