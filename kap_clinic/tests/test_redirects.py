from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings
from django.urls import set_script_prefix

from kap_clinic.redirects import local_path, next_path


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/sessions/4/#checklist", True),
        ("/patients/12/chart/?tab=measures", True),
        ("", False),
        ("https://evil.example/", False),
        ("//evil.example/", False),
        ("///evil.example/", False),
        ("/\\evil.example/", False),
        ("\\\\evil.example", False),
        ("http://testserver/sessions/4/", False),
        ("javascript:alert(1)", False),
        ("data:text/html,hi", False),
        ("/nowhere/at/all/", False),
        ("sessions/4/", False),
    ],
)
def test_only_paths_of_this_site_are_kept(rf: RequestFactory, target: str, kept: bool) -> None:
    assert local_path(target, request=rf.get("/")) == (target if kept else "")


def test_the_form_field_wins_over_the_query_string(rf: RequestFactory) -> None:
    request = rf.post("/?next=/patients/", {"next": "/sessions/"})
    assert next_path(request) == "/sessions/"
    assert next_path(rf.get("/", {"next": "https://evil.example/"})) == ""


@override_settings(FORCE_SCRIPT_NAME="/clinic/")
def test_a_site_under_a_sub_path_keeps_its_own_paths(rf: RequestFactory) -> None:
    set_script_prefix("/clinic/")
    try:
        assert local_path("/clinic/sessions/4/", request=rf.get("/")) == "/clinic/sessions/4/"
        assert local_path("/sessions/4/", request=rf.get("/")) == ""
    finally:
        set_script_prefix("/")
