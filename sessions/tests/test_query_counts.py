"""Exact query counts of the sessions app's list pages: the same for 1 row as for 20 (issue 15)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sessions.models import DosingSession, Lot
from sessions.tests.factories import make_lot, make_session

pytestmark = pytest.mark.django_db

LEDGER_QUERIES = 4
WORKLIST_QUERIES = 5


def test_ledger_makes_the_same_queries_for_1_or_20_lots(
    as_provider, provider, django_assert_num_queries
) -> None:
    url = reverse("sessions:ledger")
    as_provider.get(url)  # the session's first request also writes the session
    for total in (1, 20):
        while Lot.objects.count() < total:
            make_lot(by=provider, number=f"COUNT-{Lot.objects.count():03d}")
        with django_assert_num_queries(LEDGER_QUERIES):
            response = as_provider.get(url)
        assert response.content.decode().count("COUNT-") >= total


def test_sessions_worklist_makes_the_same_queries_for_1_or_20_sessions(
    as_clinician, clinician, django_assert_num_queries
) -> None:
    url = reverse("sessions:worklist")
    as_clinician.get(url)
    for total in (1, 20):
        while DosingSession.objects.count() < total:
            make_session(by=clinician)
        with django_assert_num_queries(WORKLIST_QUERIES):
            response = as_clinician.get(url)
        assert response.status_code == 200
        assert response.content.decode().count("/sessions/") >= total
