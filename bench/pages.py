"""Benchmark: how long the busiest pages take at a real clinic's size, and how many queries.

Builds a throwaway database (SQLite in memory by default, PostgreSQL when DATABASE_URL points at
one; the database is created and dropped by the script), loads 10,000 patients, then times the
patient list and search (as front desk) through the full Django stack with the test client, and
prints the median and 95th percentile of N runs and the query count of each page.

    .venv/bin/python bench/pages.py            # or: make bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kap_bench .venv/bin/python bench/pages.py

Numbers depend on the machine; the script prints what it measured, nothing else.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kap_clinic.settings_test")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

PATIENTS = int(os.environ.get("BENCH_PATIENTS", "10000"))
RUNS = int(os.environ.get("BENCH_RUNS", "30"))
FIRST = ["Avery", "Jordan", "Maya", "Daniel", "Priya", "Sam", "Lee", "Noor", "Ines", "Tomas"]
LAST = ["Okonkwo", "Reyes", "Lindqvist", "Nakamura", "Karimi", "Dubois", "Menon", "Hart"]


def load_patients(count: int) -> None:
    from patients.models import Patient

    rows = []
    for n in range(count):
        rows.append(
            Patient(
                mrn=f"KAP-{n + 1:06d}",
                legal_first_name=f"{FIRST[n % len(FIRST)]}{n}",
                legal_last_name=f"{LAST[n % len(LAST)]}{n // 7}",
                date_of_birth=date(1950, 1, 1) + timedelta(days=(n * 37) % 20000),
                phone=f"+1734{n:07d}",
                email=f"patient{n}@example.org",
            )
        )
    Patient.objects.bulk_create(rows, batch_size=1000)


def measure(client: Client, url: str) -> tuple[float, float, int]:
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    return statistics.median(timings), p95, len(queries)


def main() -> None:
    logging.disable(logging.INFO)
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        started = time.perf_counter()
        load_patients(PATIENTS)
        print(
            f"database: {connection.vendor}; loaded {PATIENTS} patients in "
            f"{time.perf_counter() - started:.1f} s; {RUNS} runs per page"
        )
        desk = User.objects.create_user("bench_desk")
        desk.groups.add(Group.objects.get(name="Front desk"))
        client = Client()
        client.force_login(desk, backend="django.contrib.auth.backends.ModelBackend")
        base = reverse("patients:list")
        cases = [
            ("patient list, first page", base),
            ("patient list, sorted by DOB, page 50", f"{base}?sort=dob&page=50"),
            ("search partial name 'okonk'", f"{base}?q=okonk"),
            ("search MRN 'KAP-004321'", f"{base}?q=KAP-004321"),
            ("search date of birth", f"{base}?q=1970-03-14"),
            ("search phone digits '7340004321'", f"{base}?q=7340004321"),
        ]
        print(f"{'page':<42} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
        for label, url in cases:
            median, p95, count = measure(client, url)
            print(f"{label:<42} {median:>10.1f} {p95:>8.1f} {count:>8}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
