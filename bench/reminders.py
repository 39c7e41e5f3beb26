"""Reminders throughput: 10,000 due reminders sent by two Celery workers on Redis and PostgreSQL.

    make bench-reminders        # or: .venv/bin/python bench/reminders.py [--reminders 10000]

Creates its own PostgreSQL database (``kap_bench_reminders``), 5,000 booked appointments with two
due e-mail reminders each, starts two Celery workers (one process each) on Redis database 9,
queues the periodic ``send_due_reminders`` task enough times to cover every reminder, and waits
until none is left to send. E-mail goes to files (Django's file backend, as ``make run`` does);
each message carries its reminder's id in ``X-KAP-Reminder``, so the script counts what went
out: a reminder sent twice is a duplicate, a reminder not sent is lost. Prints reminders per
second; drops the database afterwards.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import (  # noqa: E402
    BIN,
    ROOT,
    VAR,
    drop_database,
    ensure_postgres,
    load_average,
    machine,
    manage,
    recreate_database,
)

DATABASE = "kap_bench_reminders"
BROKER = "redis://127.0.0.1:6379/9"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--timeout", type=int, default=600, help="give up after this many s")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"load average at start: {load_average()}")
    ensure_postgres()
    # Django's file backend under KAP_VAR_DIR (kap_clinic.settings), in the workers too.
    mail = VAR / "reminders-var" / "mail"
    shutil.rmtree(mail, ignore_errors=True)
    mail.mkdir(parents=True)
    url = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        DEBUG="false",
        KAP_VAR_DIR=str(VAR / "reminders-var"),
        CELERY_BROKER_URL=BROKER,
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.pop("EMAIL_URL", None)
    recreate_database(DATABASE)
    workers: list[subprocess.Popen] = []
    try:
        manage(env, "migrate", "--noinput", "-v0")
        os.environ.update(env)
        import django

        django.setup()
        total = create_due_reminders(args.reminders)
        print(f"{total:,} reminders due")
        purge_queue()
        for n in (1, 2):
            workers.append(start_worker(env, n))
        time.sleep(3)
        from scheduling.models import Reminder
        from scheduling.tasks import send_due_reminders

        started = time.perf_counter()
        # Each run claims up to 50; queue enough runs for all, and a few more (they find none).
        for _ in range(total // 50 + 20):
            send_due_reminders.delay()
        left = total
        while left and time.perf_counter() - started < args.timeout:
            time.sleep(0.5)
            left = Reminder.objects.exclude(status=Reminder.Status.SENT).count()
            if left and not Reminder.objects.filter(status__in=["pending", "sending"]).exists():
                break
        elapsed = time.perf_counter() - started
        report(total, elapsed, mail)
        print(f"load average at the end: {load_average()}")
    finally:
        for worker in workers:
            stop(worker)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(DATABASE)


def create_due_reminders(count: int) -> int:
    """Two due e-mail reminders (48 h and 2 h) for each of ``count / 2`` booked appointments,
    written directly: the booking service's own reminders would not be due yet."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from kap_clinic import demo, roles
    from patients.models import Patient
    from scheduling import demo as schedule_demo
    from scheduling.models import Appointment, Reminder

    staff = demo.seed_staff(password=secrets.token_urlsafe(16))  # nobody signs in here
    types = schedule_demo.seed_configuration(staff)
    clinicians = [u for u in staff.values() if roles.has_role(u, roles.CLINICAL)]
    desk: User = staff["frontdesk"]
    appointments = count // 2
    patients = Patient.objects.bulk_create(
        Patient(
            mrn=f"KAP-R{n:06d}",
            legal_first_name=f"Rem{n}",
            legal_last_name="Bench",
            date_of_birth="1980-01-01",
            email=f"rem{n}@example.org",
            remind_by_email=True,
        )
        for n in range(appointments)
    )
    now = timezone.now()
    slot = timedelta(minutes=30)
    rows = []
    for n, patient in enumerate(patients):
        starts_at = now + timedelta(hours=3) + slot * (n // len(clinicians))
        rows.append(
            Appointment(
                patient=patient,
                type=types["follow_up"],
                clinician=clinicians[n % len(clinicians)],
                starts_at=starts_at,
                ends_at=starts_at + slot,
                booked_by=desk,
            )
        )
    Appointment.objects.bulk_create(rows, batch_size=2000)
    due = now - timedelta(minutes=1)
    Reminder.objects.bulk_create(
        (
            Reminder(
                appointment=a,
                channel=Reminder.Channel.EMAIL,
                offset_hours=offset,
                due_at=due,
                send_after=due,
                recipient=a.patient.email,
            )
            for a in rows
            for offset in (48, 2)
        ),
        batch_size=4000,
    )
    return Reminder.objects.filter(status=Reminder.Status.PENDING).count()


def purge_queue() -> None:
    from kap_clinic.celery import app

    app.control.purge()


def start_worker(env: dict[str, str], n: int) -> subprocess.Popen:
    log = open(VAR / f"reminders-worker{n}.log", "wb")  # noqa: SIM115 - lives with the worker
    return subprocess.Popen(  # noqa: S603
        [
            str(BIN / "celery"),
            "-A",
            "kap_clinic",
            "worker",
            "--concurrency=1",
            "--pool=prefork",
            f"--hostname=bench{n}@%h",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def report(total: int, elapsed: float, mail: Path) -> None:
    from scheduling.models import Reminder

    statuses = collections.Counter(Reminder.objects.values_list("status", flat=True))
    sent_ids = collections.Counter()
    for path in mail.iterdir():
        for match in re.finditer(r"^X-KAP-Reminder: (\d+)$", path.read_text(), re.MULTILINE):
            sent_ids[int(match.group(1))] += 1
    messages = sum(sent_ids.values())
    duplicates = sum(n - 1 for n in sent_ids.values() if n > 1)
    lost = total - len(sent_ids)
    print(f"statuses: {dict(statuses)}")
    print(
        f"{total:,} reminders: {len(sent_ids):,} sent in {elapsed:.1f} s "
        f"({len(sent_ids) / elapsed:.0f} reminders/s) by 2 workers; "
        f"{messages:,} e-mails, {duplicates} duplicates, {lost} lost"
    )


if __name__ == "__main__":
    main()
