"""Find-a-patient at clinic scale, on PostgreSQL: every branch of the search uses an index."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from patients import selectors
from patients.models import Patient

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SIZE = 10_000


@pytest.fixture
def ten_thousand_patients():
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes are PostgreSQL-only; SQLite runs without them")
    Patient.objects.bulk_create(
        Patient(
            mrn=f"KAP-9{n:05d}",
            legal_first_name=f"First{n}",
            legal_last_name=f"Last{n:05d}",
            preferred_name="" if n % 3 else f"Pref{n}",
            date_of_birth=dt.date(1950, 1, 1) + dt.timedelta(days=n),
            phone=f"+1313{n:07d}",
        )
        for n in range(SIZE)
    )
    with connection.cursor() as cursor:
        # Rows inserted in this (test) transaction sit in the GIN indexes' pending lists, which
        # makes them look expensive; autovacuum would have merged them on a real server.
        for name in ("last", "first", "preferred", "phone"):
            cursor.execute(
                "SELECT gin_clean_pending_list(%s::regclass)", [f"patient_{name}_trgm_idx"]
            )
        cursor.execute("ANALYZE patients_patient")


def plan(query: str) -> str:
    # At 10,000 rows a sequential scan is itself only a few milliseconds, so the planner may
    # pick it; what must hold is that an index *can* serve every branch of the search (with
    # sequential scans priced out, any branch without an index would still show one).
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    # The filter alone: the list page adds a sort and a join that do not change the access path.
    return selectors.patients_search(query=query).order_by().values("pk").explain()


# (query, index that must serve it): one test, so the 10,000 rows are inserted once.
SEARCHES = (
    ("ast0123", "patient_last_trgm_idx"),
    ("KAP-900123", "patients_patient_mrn"),  # the unique or the pattern index
    ("1950-03-01", "patient_dob_idx"),
    ("3130001234", "patient_phone_trgm_idx"),
)


def test_search_uses_indexes_and_finds_one_among_ten_thousand(ten_thousand_patients):
    for query, index in SEARCHES:
        explained = plan(query)
        assert "Seq Scan on patients_patient" not in explained, explained
        assert index in explained, explained
    found = selectors.patients_search(query="last04321")
    assert [p.legal_last_name for p in found] == ["Last04321"]
