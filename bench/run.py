"""The benchmark: KAP Clinic's key pages under load, side by side with the stack's own ceiling.

    make bench                                  # or: .venv/bin/python bench/run.py
    .venv/bin/python bench/run.py --duration 5 --rounds 2 --appointments 20000   # quick look
    .venv/bin/python bench/run.py --history     # also the calendar, home and list pages at 1M

What it does, in order:
1. creates its own PostgreSQL database (``kap_bench`` on 127.0.0.1, starting PostgreSQL if it is
   down), migrates it and fills it with ``manage.py seed_scale`` (10,000 patients, ~100,000
   appointments over five years, a long-term patient with 162 sessions);
2. starts gunicorn with 2 workers on 127.0.0.1 with ``bench.settings`` (production settings plus
   the ceiling view) and logs each role in through the real login form;
3. loads each page with wrk, 10 concurrent connections for ``--duration`` seconds, page after page,
   ``--rounds`` times (interleaved, so a noisy neighbour hurts every page alike); the write paths
   (booking an appointment, recording vitals) at 4 concurrent;
4. counts each page's queries (one request through Django's test client, same database);
5. prints the table and writes ``var/bench/results.json``; drops the database (``--keep`` keeps it).

Requests/s is the total over all rounds; p50 and p95 are the median of the rounds' values.
Numbers depend on the machine; the script prints what it measured, nothing else.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
BIN = Path(sys.executable).parent
PASSWORD = os.environ.get("DEMO_PASSWORD") or "demo-clinic-2026"
AGENT = "kap-bench"
ROLES = {
    "front_desk": "frontdesk",
    "clinician": "clinician",
    "provider": "provider",
    # The Django admin's patient changelist is shown to a superuser only (the clinic admin role
    # is not granted clinical records there); the benchmark creates this one in its database.
    "admin": "benchadmin",
}
BOOK_AHEAD_DAYS = 400
# A node of an EXPLAIN plan that reads a table or an index: kind, index, table.
SCAN = (
    r"((?:Parallel )?(?:Index Only|Index|Bitmap Heap|Bitmap Index|Seq) Scan)"
    r"(?: using (\w+))? on (\w+)"
)
# Pages whose cost must not grow with history (``--history``).
HISTORY_PAGES = (
    "ceiling",
    "home_front_desk",
    "home_clinician",
    "home_provider",
    "patient_list",
    "day_calendar_clinician",
    "day_calendar_room",
    "week_calendar",
    "ledger",
)


@dataclass
class Page:
    name: str
    role: str
    path: str
    concurrency: int = 10
    # Write paths: (path, urlencoded body) pairs, each sent once in turn.
    posts: list[tuple[str, str]] = field(default_factory=list)
    rounds: list[dict[str, int]] = field(default_factory=list)
    queries: int | None = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per page and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--appointments", type=int, default=100_000)
    parser.add_argument("--history", action="store_true", help="repeat at 1M appointments")
    parser.add_argument("--history-appointments", type=int, default=1_000_000)
    parser.add_argument(
        "--history-only",
        action="store_true",
        help="only the history run, compared with the last run's var/bench/results.json",
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8150")))
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", "kap_bench"))
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="use the database left by --keep, do not seed"
    )
    parser.add_argument("--only", help="comma-separated page names to run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (`make bench` installs it; or apt-get install wrk).")
    VAR.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}")
    print(f"date: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"load average at start: {load_average()}")
    ensure_postgres()

    if args.history_only:
        results = json.loads((VAR / "results.json").read_text())["pages"]
        print(f"base figures from {VAR / 'results.json'} (an earlier run)")
    else:
        results = run_stack(
            args,
            args.database,
            args.appointments,
            only=args.only.split(",") if args.only else None,
        )
        print(f"load average at the end of the load: {load_average()}")
        print_table(results, f"{args.appointments:,} appointments")
        (VAR / "results.json").write_text(json.dumps({"pages": results}, indent=2) + "\n")
        print(f"written: {VAR / 'results.json'}")

    if args.history or args.history_only:
        history = run_stack(
            args, f"{args.database}_history", args.history_appointments, only=HISTORY_PAGES
        )
        print(f"load average at the end of the load: {load_average()}")
        print_table(history, f"{args.history_appointments:,} appointments")
        big = f"{args.history_appointments // 1000:,}k"
        print(
            f"\n{'page':<28} {'req/s at base':>14} {'req/s at ' + big:>14} "
            f"{big + ' / base':>12} {'× ceiling':>18}"
        )
        for name, row in history.items():
            base = results.get(name)
            if base:
                ratio = row["requests_per_second"] / base["requests_per_second"]
                print(
                    f"{name:<28} {base['requests_per_second']:>14.1f} "
                    f"{row['requests_per_second']:>14.1f} {ratio:>12.2f} "
                    f"{base['ratio_to_ceiling']:>8.2f} → {row['ratio_to_ceiling']:<6.2f}"
                )
        (VAR / "history.json").write_text(json.dumps({"pages": history}, indent=2) + "\n")


# --- the stack --------------------------------------------------------------------------------


def run_stack(
    args: argparse.Namespace, database: str, appointments: int, only: Any = None
) -> dict[str, dict[str, float]]:
    url = f"postgres://postgres@127.0.0.1:5432/{database}"
    env = django_env(url)
    if not args.reuse:
        recreate_database(database)
        started = time.perf_counter()
        manage(env, "migrate", "--noinput", "-v0")
        manage(
            env,
            "seed_scale",
            "--force",
            f"--patients={args.patients}",
            f"--appointments={appointments}",
        )
        manage(
            env | {"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
            "createsuperuser",
            "--noinput",
            f"--username={ROLES['admin']}",
            "--email=benchadmin@bench.invalid",
        )
        print(f"database {database} ready in {time.perf_counter() - started:.0f} s")
    manage(env, "collectstatic", "--noinput", "-v0")
    server = start_gunicorn(env, args.port)
    try:
        pages = build_pages(url)
        if only:
            pages = [p for p in pages if p.name in only or p.name == "ceiling"]
        count_queries(url, pages)
        since = datetime.now().astimezone()
        cookies = {role: login(args.port, username) for role, username in ROLES.items()}
        explain(url)
        for round_number in range(1, args.rounds + 1):
            print(f"round {round_number}/{args.rounds}: ", end="", flush=True)
            for page in pages:
                page.rounds.append(load(page, args.port, cookies[page.role], args.duration))
                print(".", end="", flush=True)
            print()
        written = check_writes(url, pages, since)
        for line in written:
            print(line)
    finally:
        stop(server)
        if not args.keep:
            drop_database(database)
    return summarise(pages)


def load_average() -> str:
    """The machine's 1/5/15-minute load averages: on a shared machine, what else was running."""
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    except (OSError, ValueError, IndexError):
        memory = 0
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory} GB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, {postgres_version()}"
    )


def postgres_version() -> str:
    try:
        out = subprocess.run(  # noqa: S603
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "show server_version"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=10,
        )
        return f"PostgreSQL {out.stdout.strip().split()[0]}" if out.returncode == 0 else "?"
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "PostgreSQL ?"


def ensure_postgres() -> None:
    """PostgreSQL on 127.0.0.1:5432, started with the distribution's tools when it is down."""
    if pg_ready():
        return
    print("PostgreSQL is down; starting it")
    for command in (["pg_ctlcluster", "--all", "start"], ["service", "postgresql", "start"]):
        if shutil.which(command[0]):
            subprocess.run(command, check=False)  # noqa: S603
            for _ in range(30):
                if pg_ready():
                    return
                time.sleep(1)
    raise SystemExit("PostgreSQL is not answering on 127.0.0.1:5432 and could not be started.")


def pg_ready() -> bool:
    import psycopg2

    try:
        psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres").close()
    except psycopg2.OperationalError:
        return False
    return True


def _admin_sql(sql: str) -> None:
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def recreate_database(name: str) -> None:
    if not re.fullmatch(r"kap_bench\w*", name):
        raise SystemExit(f"refusing to recreate {name!r}: the benchmark's names start kap_bench")
    drop_database(name)
    _admin_sql(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    if re.fullmatch(r"kap_bench\w*", name):
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def django_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        DEBUG="false",
        KAP_VAR_DIR=str(VAR / "var"),
        CONN_MAX_AGE="600",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True)  # noqa: S603


def start_gunicorn(env: dict[str, str], port: int) -> subprocess.Popen:
    log = open(VAR / "gunicorn.log", "ab")  # noqa: SIM115 - lives as long as the server
    server = subprocess.Popen(  # noqa: S603
        [
            str(BIN / "gunicorn"),
            "kap_clinic.wsgi",
            "--workers=2",
            f"--bind=127.0.0.1:{port}",
            "--timeout=120",
            "--chdir",
            str(ROOT),
        ],
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    for _ in range(60):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5)  # noqa: S310
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {VAR / 'gunicorn.log'}") from None
            time.sleep(0.5)
    stop(server)
    raise SystemExit(f"gunicorn did not answer on port {port}; see {VAR / 'gunicorn.log'}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def login(port: int, username: str) -> dict[str, str]:
    """Signs in through the login form, as a person would; returns the session's cookies."""
    base = f"http://127.0.0.1:{port}"
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", AGENT)]
    html = opener.open(f"{base}/accounts/login/").read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if match is None:
        raise SystemExit("the login page has no CSRF token")
    body = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": match.group(1)}
    ).encode()
    response = opener.open(
        urllib.request.Request(  # noqa: S310
            f"{base}/accounts/login/", data=body, headers={"Referer": f"{base}/accounts/login/"}
        )
    )
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies or response.geturl().rstrip("/") != base:
        raise SystemExit(f"could not sign in as {username} (ended at {response.geturl()})")
    return cookies


# --- the pages --------------------------------------------------------------------------------


def setup_django(url: str) -> None:
    os.environ.update(django_env(url))
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    if settings.configured:
        from django.db import connections

        connections.close_all()
        connections["default"].settings_dict["NAME"] = url.rsplit("/", 1)[1]
        return
    django.setup()


def build_pages(url: str) -> list[Page]:
    setup_django(url)
    from django.db.models import Count, Q
    from django.utils import timezone

    from patients.models import Patient
    from scheduling.models import Appointment, AppointmentType
    from sessions.models import DosingSession

    long_term = Patient.objects.get(legal_last_name="Longterm")
    done = Q(treatment_courses__sessions__status="completed")
    short = (
        Patient.objects.annotate(n=Count("treatment_courses__sessions", filter=done))
        .filter(n__gte=3)
        .exclude(pk=long_term.pk)
        .order_by("n", "pk")
        .first()
    )
    session = (
        DosingSession.objects.filter(course__patient=long_term, status="completed")
        .order_by("-scheduled_for")
        .first()
    )
    today = timezone.localdate()
    appointment = (
        Appointment.objects.filter(starts_at__date=today).order_by("starts_at", "pk").first()
    )
    follow_up = AppointmentType.objects.get(kind="follow_up")
    from django.contrib.auth.models import User

    clinician = User.objects.get(username="scale1")
    booked_patient = Patient.objects.order_by("-pk").first()
    planned = list(
        DosingSession.objects.filter(status="planned", scheduled_for__gt=timezone.now())
        .order_by("pk")
        .values_list("pk", flat=True)[:400]
    )
    day = today.isoformat()
    pages = [
        Page("ceiling", "front_desk", f"/bench/ceiling/?pk={long_term.pk}"),
        Page("home_front_desk", "front_desk", "/"),
        Page("home_clinician", "clinician", "/"),
        Page("home_provider", "provider", "/"),
        Page("patient_list", "front_desk", "/patients/"),
        Page("patient_search", "front_desk", "/patients/?q=okonk"),
        Page("chart_long_term", "provider", f"/patients/{long_term.pk}/chart/"),
        Page("chart_short", "provider", f"/patients/{short.pk}/chart/"),
        Page("measures_long_term", "provider", f"/patients/{long_term.pk}/measures/"),
        Page("dosing_session", "provider", f"/sessions/{session.pk}/"),
        Page("day_calendar_clinician", "front_desk", f"/schedule/?date={day}"),
        Page("day_calendar_room", "front_desk", f"/schedule/?date={day}&by=room"),
        Page("week_calendar", "front_desk", f"/schedule/week/?date={day}"),
        Page("reminders_board", "front_desk", "/schedule/reminders/"),
        Page("ledger", "provider", "/sessions/ledger/"),
        Page("appointment", "front_desk", f"/schedule/appointments/{appointment.pk}/"),
        Page("booking_form", "front_desk", "/schedule/book/"),
        Page("admin_patient_changelist", "admin", "/admin/patients/patient/"),
    ]
    # Write paths: each booking takes its own 30-minute slot a year or more ahead (outside the
    # seeded calendar), each vitals reading goes to one of the planned sessions in turn.
    first = today + timedelta(days=BOOK_AHEAD_DAYS)
    bookings = []
    for n in range(20_000):
        start = datetime.combine(first + timedelta(days=n // 40), datetime.min.time()) + timedelta(
            minutes=30 * (n % 40) + 240
        )
        bookings.append(
            (
                "/schedule/book/",
                urllib.parse.urlencode(
                    {
                        "patient": booked_patient.pk,
                        "type": follow_up.pk,
                        "clinician": clinician.pk,
                        "date": start.date().isoformat(),
                        "time": start.strftime("%H:%M"),
                        "allow_outside_hours": "on",
                    }
                ),
            )
        )
    vitals = urllib.parse.urlencode(
        {"systolic": 124, "diastolic": 78, "heart_rate": 72, "spo2": 98}
    )
    pages.append(Page("write_book_appointment", "front_desk", "", concurrency=4, posts=bookings))
    pages.append(
        Page(
            "write_record_vitals",
            "clinician",
            "",
            concurrency=4,
            posts=[(f"/sessions/{pk}/vitals/", vitals) for pk in planned],
        )
    )
    return pages


def count_queries(url: str, pages: list[Page]) -> None:
    """Queries per request, counted on one request through Django's test client (the same
    middleware and database as the server; the second request, so caches are warm)."""
    setup_django(url)
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {}
    for role, username in ROLES.items():
        client = Client(HTTP_USER_AGENT=AGENT)
        client.force_login(
            User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend"
        )
        clients[role] = client
    for page in pages:
        client = clients[page.role]
        if page.posts:
            # The last item of the list: the load sends it last, if at all.
            path, body = page.posts.pop()
            with CaptureQueriesContext(connection) as queries:
                response = client.post(
                    path,
                    body,
                    content_type="application/x-www-form-urlencoded",
                    HTTP_HX_REQUEST="true",
                )
        else:
            client.get(page.path)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(page.path)
        if response.status_code not in (200, 302):
            raise SystemExit(f"{page.name}: {page.path or path} answered {response.status_code}")
        page.queries = len(queries)
    connection.close()


def explain(url: str) -> None:
    """The plans of the day calendar's and the home worklists' main queries (issue 15: index
    range scans on time, not scans of the history)."""
    setup_django(url)
    from django.db import connection
    from django.utils import timezone

    from patients import selectors as patient_selectors
    from scheduling import selectors as schedule_selectors
    from sessions import selectors as session_selectors

    start, end = schedule_selectors._day_bounds(timezone.localdate())
    queries = {
        "day calendar (appointments_between)": schedule_selectors.appointments_between(start, end),
        "home: next arrivals": schedule_selectors.appointments_between(start, end).filter(
            status__in=["booked", "checked_in"]
        )[:11],
        "home: awaiting eligibility": patient_selectors.awaiting_eligibility()[:11],
        "home: today's sessions": session_selectors.sessions_worklist()[:16],
    }
    for label, queryset in queries.items():
        plan = queryset.explain()
        scans = sorted(
            set(
                re.findall(
                    SCAN,
                    plan,
                )
            )
        )
        text = "; ".join(
            f"{kind}{' ' + index if index else ''} on {table}" for kind, index, table in scans
        )
        print(f"EXPLAIN {label}: {text}")
    connection.close()


def load(page: Page, port: int, cookies: dict[str, str], duration: int) -> dict[str, int]:
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    command = [
        "wrk",
        f"--threads={min(2, page.concurrency)}",
        f"--connections={page.concurrency}",
        f"--duration={duration}s",
        "--timeout=30s",
        "--script",
        str(ROOT / "bench" / "wrk" / "report.lua"),
        "-H",
        f"Cookie: {cookie}",
        "-H",
        f"User-Agent: {AGENT}",
    ]
    env = dict(os.environ, BENCH_THREADS=str(min(2, page.concurrency)))
    requests_file = None
    if page.posts:
        requests_file = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
        with requests_file:
            requests_file.write("return {\n")
            for path, body in page.posts:
                requests_file.write(f"  {{{json.dumps(path)}, {json.dumps(body)}}},\n")
            requests_file.write("}\n")
        env["BENCH_REQUESTS"] = requests_file.name
        command += [
            "-H",
            "Content-Type: application/x-www-form-urlencoded",
            "-H",
            f"X-CSRFToken: {cookies['csrftoken']}",
            "-H",
            "HX-Request: true",
            "-H",
            f"Referer: http://127.0.0.1:{port}/",
        ]
    command.append(f"http://127.0.0.1:{port}{page.path or '/'}")
    try:
        out = subprocess.run(command, capture_output=True, text=True, env=env, check=True)  # noqa: S603
    finally:
        if requests_file is not None:
            os.unlink(requests_file.name)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result for {page.name}:\n{out.stdout}\n{out.stderr}")
    result = json.loads(line[6:])
    if result["errors"]:
        print(f"\n  {page.name}: {result['errors']} errors of {result['requests']} requests")
    if page.posts:  # the next round continues with fresh slots
        del page.posts[: 2 * result["requests"] + 20]
    return result


def check_writes(url: str, pages: list[Page], since: datetime) -> list[str]:
    setup_django(url)
    from django.db import connection

    from scheduling.models import Appointment
    from sessions.models import VitalReading

    sent = {
        p.name: sum(r["requests"] for r in p.rounds) for p in pages if p.name.startswith("write")
    }
    lines = []
    if "write_book_appointment" in sent:
        booked = Appointment.objects.filter(starts_at__gte=booking_horizon()).count()
        lines.append(
            f"write paths: {sent['write_book_appointment']} booking requests answered, {booked} "
            "appointments booked (a few more than answered: requests in flight at the end)"
        )
    if "write_record_vitals" in sent:
        recorded = VitalReading.objects.filter(taken_at__gte=since).count()
        lines.append(
            f"write paths: {sent['write_record_vitals']} vitals requests answered, {recorded} "
            "readings recorded"
        )
    connection.close()
    return lines


def booking_horizon() -> datetime:
    """Where the benchmark's bookings start: a year and more ahead, past the seeded calendar."""
    from django.utils import timezone

    return timezone.make_aware(
        datetime.combine(
            timezone.localdate() + timedelta(days=BOOK_AHEAD_DAYS), datetime.min.time()
        )
    )


# --- the figures ------------------------------------------------------------------------------


def summarise(pages: list[Page]) -> dict[str, dict[str, float]]:
    out = {}
    for page in pages:
        requests = sum(r["requests"] for r in page.rounds)
        seconds = sum(r["duration_us"] for r in page.rounds) / 1e6
        out[page.name] = {
            "requests_per_second": round(requests / seconds, 1) if seconds else 0.0,
            "p50_ms": round(statistics.median(r["p50_us"] for r in page.rounds) / 1000, 1),
            "p95_ms": round(statistics.median(r["p95_us"] for r in page.rounds) / 1000, 1),
            "queries": page.queries,
            "ratio_to_ceiling": 0.0,
        }
    ceiling = out.get("ceiling", {}).get("requests_per_second") or 0
    for row in out.values():
        row["ratio_to_ceiling"] = round(row["requests_per_second"] / ceiling, 2) if ceiling else 0
    return out


def print_table(results: dict[str, dict[str, float]], label: str) -> None:
    print(f"\n{label}; gunicorn 2 workers; wrk 10 concurrent (write paths 4)")
    print(
        f"| {'page':<26} | {'req/s':>7} | {'p50 ms':>7} | {'p95 ms':>7} | {'queries':>7} "
        "| × ceiling |"
    )
    print(f"| {'-' * 26} | {'-' * 7}: | {'-' * 7}: | {'-' * 7}: | {'-' * 7}: | --------: |")
    for name, row in results.items():
        print(
            f"| {name:<26} | {row['requests_per_second']:>7.1f} | {row['p50_ms']:>7.1f} | "
            f"{row['p95_ms']:>7.1f} | {row['queries']!s:>7} | {row['ratio_to_ceiling']:>9.2f} |"
        )


if __name__ == "__main__":
    main()
