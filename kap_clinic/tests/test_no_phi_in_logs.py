"""No PHI where it does not belong: a unique patient name goes through the main flows (search,
registration, chart, intake, measures, consent, booking, dosing, vitals, ledger...) with every
logger captured at DEBUG, and is found in no log line. Request lines lose their query strings,
and the 500 page shows nothing that was entered."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pytest
from django.test import override_settings
from django.urls import path

from kap_clinic.logs import StripQueryStrings, strip_query_strings
from kap_clinic.models import AccessEvent
from kap_clinic.tests.role_matrix import (
    PERSONAS,
    Case,
    Ctx,
    all_patterns,
    cases_of,
    declaration_for,
    load_matrix,
    run_case,
)
from patients.models import Patient

FIRST = "Quillonzia"
LAST = "Vexmorrow"
# Free-text fields that the flows fill: the unique name goes in there too.
FREE_TEXT = ("note", "notes", "text", "reason", "diagnoses", "escort_name", "comment")


def with_unique_names(case: Case) -> Case:
    """The case, with every patient it creates renamed and the name typed into its forms."""

    def kwargs(ctx: Ctx) -> dict[str, Any]:
        made = case.kwargs(ctx) if case.kwargs else {}
        Patient._base_manager.update(legal_first_name=FIRST, legal_last_name=LAST)
        return made

    def data(ctx: Ctx) -> dict[str, Any]:
        body = dict(case.data(ctx) if callable(case.data) else (case.data or {}))
        for key, value in body.items():
            if key in ("legal_first_name", "first_name"):
                body[key] = FIRST
            elif key in ("legal_last_name", "last_name"):
                body[key] = LAST
            elif key in FREE_TEXT and isinstance(value, str):
                body[key] = f"{value} {FIRST} {LAST}"
        return body

    query = dict(case.query or {})
    if "q" in query:
        query["q"] = LAST  # the patient search
    return replace(case, kwargs=kwargs, data=data, query=query or None)


@pytest.mark.django_db
def test_main_flows_write_no_patient_name_to_any_log(personas, caplog) -> None:
    matrix = load_matrix()
    shown = 0
    requests = 0
    with caplog.at_level(logging.DEBUG):
        for pattern in all_patterns():
            if pattern.key.startswith("admin:") or pattern.name in ("logout", "admin:logout"):
                continue
            found = declaration_for(pattern, matrix)
            assert found is not None, pattern.key
            key, declaration = found
            for case in cases_of(declaration):
                # One persona the case allows is enough: the flow is the same for each.
                for persona in [p for p in PERSONAS if case.allows(p)][:1]:
                    _path, response = run_case(
                        pattern, key, with_unique_names(case), persona, personas
                    )
                    requests += 1
                    assert response.status_code < 500, f"{pattern.key} as {persona}"
                    body = response.content if not response.streaming else b""
                    shown += LAST.encode() in body
    # The name really went through the flows (search results, charts, forms)...
    assert requests > 50
    assert shown > 10
    assert Patient.objects.filter(legal_last_name=LAST).exists()
    # ...and reached no log line, whatever its level or logger.
    leaks = [
        f"{r.name} {r.levelname}: {r.getMessage()}"
        for r in caplog.records
        if LAST in r.getMessage() or FIRST in r.getMessage()
    ]
    assert leaks == []
    assert LAST not in caplog.text and FIRST not in caplog.text
    # The access log keeps paths only, never the search term.
    assert not AccessEvent.objects.filter(path__contains=LAST).exists()


@pytest.mark.parametrize("logger_name", ["django.server", "django.request"])
def test_request_lines_lose_their_query_strings(logger_name: str) -> None:
    logger = logging.getLogger(logger_name)
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(self.format(record))

    handler = Keep()
    logger.addHandler(handler)
    try:
        logger.warning('"%s" %s %s', f"GET /patients/?q={LAST}&page=2 HTTP/1.1", "200", "5120")
        logger.warning(f"Not Found: /patients/?q={FIRST}")
    finally:
        logger.removeHandler(handler)
    assert seen == [
        '"GET /patients/?[query removed] HTTP/1.1" 200 5120',
        "Not Found: /patients/?[query removed]",
    ]


def test_console_handlers_strip_query_strings_for_every_logger() -> None:
    from django.conf import settings

    assert settings.LOGGING["handlers"]["console"]["filters"] == ["no_query_strings"]
    assert settings.LOGGING["handlers"]["django.server"]["filters"] == ["no_query_strings"]
    # No handler mails tracebacks (with the query string and variables) anywhere.
    assert settings.LOGGING["loggers"]["django"]["handlers"] == []
    root = logging.getLogger()
    assert (
        any(isinstance(f, StripQueryStrings) for h in root.handlers for f in h.filters)
        or not root.handlers
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /x/?q=a%20b HTTP/1.1", "GET /x/?[query removed] HTTP/1.1"),
        ("/a/?x=1 and /b/?y=2", "/a/?[query removed] and /b/?[query removed]"),
        ("no query here", "no query here"),
        ("GET /x/?[query removed] HTTP/1.1", "GET /x/?[query removed] HTTP/1.1"),
    ],
)
def test_strip_query_strings(text: str, expected: str) -> None:
    assert strip_query_strings(text) == expected


def boom(request):
    raise RuntimeError("failure with no patient data")


urlpatterns = [path("boom/", boom, name="boom")]


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.django_db
def test_500_page_shows_nothing_that_was_entered(as_clinician, caplog) -> None:
    as_clinician.raise_request_exception = False
    with caplog.at_level(logging.DEBUG):
        response = as_clinician.post(
            f"/boom/?q={FIRST}", {"legal_last_name": LAST, "note": f"{FIRST} {LAST}"}
        )
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page
    assert LAST not in page and FIRST not in page
    assert "failure with no patient data" not in page  # no exception text either
    assert LAST not in caplog.text and FIRST not in caplog.text
    assert any("Internal Server Error: /boom/" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_404_page_does_not_echo_the_address(as_clinician) -> None:
    response = as_clinician.get(f"/no-such-{LAST}/?q={FIRST}")
    assert response.status_code == 404
    page = response.content.decode()
    assert LAST not in page and FIRST not in page
