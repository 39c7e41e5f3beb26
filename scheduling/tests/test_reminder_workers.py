"""The reminder outbox with real Celery workers on real Redis and PostgreSQL: every due reminder
goes out exactly once with two workers competing, and a worker killed with SIGKILL mid-batch
loses nothing and duplicates nothing once another worker takes over."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from scheduling.models import Reminder
from scheduling.tasks import send_due_reminders
from scheduling.tests.factories import AppointmentFactory, tomorrow_at

# serialized_rollback: the flush after a transactional test would otherwise also remove the role
# groups the data migrations created, and later tests need them.
pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BASE_DIR = Path(__file__).resolve().parents[2]
HEADER = re.compile(r"^X-KAP-Reminder: (\d+)$", re.M)


@pytest.fixture
def workers(tmp_path):
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is not set: no Redis to test against")
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): worker processes share the test database")
    settings_dict = connection.settings_dict
    database_url = (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}@"
        f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/"
        f"{settings_dict['NAME']}"
    )
    queue = f"reminders-test-{uuid.uuid4().hex[:8]}"
    (tmp_path / "mail").mkdir()
    (tmp_path / "markers").mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "scheduling.tests.worker_settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url,
        "KAP_TEST_MAIL_DIR": str(tmp_path / "mail"),
        "KAP_TEST_MARKER_DIR": str(tmp_path / "markers"),
        "KAP_TEST_SEND_DELAY": "0.3",
        "REMINDER_CLAIM_LEASE_SECONDS": "4",
        "CONN_MAX_AGE": "0",
    }
    started: list[subprocess.Popen] = []

    class Workers:
        mail = tmp_path / "mail"
        markers = tmp_path / "markers"

        def start(self, name: str) -> subprocess.Popen:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "kap_clinic",
                    "worker",
                    "--pool=solo",
                    "-Q",
                    queue,
                    "-n",
                    f"{name}-{queue}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-l",
                    "WARNING",
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            started.append(process)
            return process

        def tick(self, limit: int = 5) -> None:
            send_due_reminders.apply_async(kwargs={"limit": limit}, queue=queue)

        def sent_counts(self) -> Counter:
            counts: Counter = Counter()
            for path in self.mail.iterdir():
                counts.update(int(n) for n in HEADER.findall(path.read_text()))
            return counts

        def markers_of(self, process: subprocess.Popen) -> list[str]:
            return [p.name for p in self.markers.iterdir() if p.name.startswith(f"{process.pid}-")]

        def wait_until_all_sent(self, ids: set[int], *, timeout: float = 90) -> None:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if set(Reminder.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
                    Reminder.Status.SENT
                }:
                    return
                self.tick()
                time.sleep(1.5)
            statuses = Counter(Reminder.objects.filter(pk__in=ids).values_list("status", flat=True))
            raise AssertionError(f"not all reminders went out in {timeout}s: {statuses}")

    try:
        yield Workers()
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


def due_reminders(count: int) -> set[int]:
    """``count`` appointments, both reminders of each due now."""
    for n in range(count):
        AppointmentFactory(starts_at=tomorrow_at(8, days=3) + timezone.timedelta(hours=n))
    Reminder.objects.update(send_after=timezone.now(), status=Reminder.Status.PENDING)
    return set(Reminder.objects.values_list("pk", flat=True))


def test_two_workers_send_each_due_reminder_exactly_once(workers):
    ids = due_reminders(12)
    first, second = workers.start("one"), workers.start("two")
    for _ in range(10):
        workers.tick()
    workers.wait_until_all_sent(ids)
    counts = workers.sent_counts()
    assert set(counts) == ids
    assert set(counts.values()) == {1}, {k: v for k, v in counts.items() if v != 1}
    # Both workers really competed for the same rows.
    assert workers.markers_of(first) and workers.markers_of(second)


def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(workers):
    ids = due_reminders(6)
    victim = workers.start("victim")
    workers.tick(limit=len(ids))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(workers.markers_of(victim)) < 3:
        time.sleep(0.02)
    # The victim is now inside its third send (it pauses before writing): kill it there.
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    assert len(workers.markers_of(victim)) == 3
    stuck = Reminder.objects.filter(pk__in=ids, status=Reminder.Status.SENDING).count()
    assert stuck >= len(ids) - 2, "the victim held claims it never finished"

    workers.start("rescuer")
    workers.wait_until_all_sent(ids)
    counts = workers.sent_counts()
    assert set(counts) == ids
    assert set(counts.values()) == {1}, {k: v for k, v in counts.items() if v != 1}
