"""Deny by default: every URL needs a login unless it is on the public list below."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from kap_clinic.tests.role_matrix import iter_patterns

# URL names a person may open without signing in. Adding one here is a security decision.
PUBLIC_URL_NAMES = {
    "login",
    "admin:login",
}
# Signed reminder links (scheduling) and self-report links (patients), checked by their
# signature instead of a login.
PUBLIC_PREFIXES = ("schedule/r/", "patients/r/")


def example_path(pattern: str) -> str:
    """Turn a route or regex into a concrete path with placeholder values."""
    path = re.sub(r"<int:\w+>", "1", pattern)
    path = re.sub(r"<uuid:\w+>", "00000000-0000-0000-0000-000000000000", path)
    path = re.sub(r"<(?:str|slug|path):\w+>|<\w+>", "x", path)
    # admin regex patterns
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "1", path)
    path = path.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")
    return "/" + path


ALL_PATTERNS = sorted({(p.route, p.name) for p in iter_patterns()}, key=str)
PROTECTED_PATTERNS = [
    (pattern, name)
    for pattern, name in ALL_PATTERNS
    if name not in PUBLIC_URL_NAMES and not pattern.startswith(PUBLIC_PREFIXES)
]


@pytest.mark.parametrize(("pattern", "name"), PROTECTED_PATTERNS)
@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login(pattern: str, name: str | None) -> None:
    response = Client().get(example_path(pattern))
    assert response.status_code == 302, f"{pattern} answered {response.status_code}"
    assert "login" in response["Location"]


def test_public_list_names_real_urls() -> None:
    names = {name for _pattern, name in ALL_PATTERNS}
    assert names >= PUBLIC_URL_NAMES
