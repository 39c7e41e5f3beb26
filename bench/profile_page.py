"""Where one page's time goes: total, SQL, and the hottest functions (cProfile).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kap_bench_dev \\
        .venv/bin/python bench/profile_page.py provider /patients/1/chart/ [--runs 20] [--top 25]

Runs in-process through Django's test client with ``bench.settings`` (DEBUG off, cached
templates) on a database filled by ``manage.py seed_scale``; the first request warms up.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ["DEBUG"] = "false"

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

USERS = {"front_desk": "frontdesk", "clinician": "clinician", "provider": "provider"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=[*USERS, "admin"])
    parser.add_argument("path")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    client = Client()
    username = USERS.get(args.role, "benchadmin")  # the superuser `bench/run.py` creates
    client.force_login(
        User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend"
    )
    response = client.get(args.path)
    assert response.status_code == 200, response.status_code  # noqa: S101
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        client.get(args.path)
        total = time.perf_counter() - started
    sql = sum(float(q["time"]) for q in queries.captured_queries)
    print(f"{args.path}: {total * 1000:.1f} ms, {len(queries)} queries, SQL {sql * 1000:.1f} ms")
    for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:5]:
        print(f"  {float(q['time']) * 1000:7.1f} ms  {q['sql'][:160]}")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.runs):
        client.get(args.path)
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
