from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from kap_clinic import celery_app
from kap_clinic.models import ClinicSession
from kap_clinic.session_store import SessionStore
from kap_clinic.tasks import clear_expired_sessions, ping

BASE_DIR = Path(__file__).resolve().parents[2]


def test_celery_is_configured_for_safe_json_tasks() -> None:
    conf = celery_app.conf
    assert conf.accept_content == ["json"]
    assert conf.task_serializer == "json"
    assert conf.task_acks_late is True
    assert conf.task_time_limit and conf.task_soft_time_limit
    assert "kap_clinic.tasks.clear_expired_sessions" in celery_app.tasks


def test_expired_sessions_are_cleared_daily_by_beat() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["clear-expired-sessions"]
    assert entry["task"] == "kap_clinic.tasks.clear_expired_sessions"
    assert entry["schedule"].hour == {3}


@pytest.mark.django_db
def test_clear_expired_sessions_removes_only_expired_ones() -> None:
    live, old = SessionStore(), SessionStore()
    live.create()
    old.create()
    ClinicSession.objects.filter(session_key=old.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    assert clear_expired_sessions() == 1
    assert list(ClinicSession.objects.values_list("session_key", flat=True)) == [live.session_key]


@pytest.mark.redis
def test_task_round_trip_through_real_redis_and_worker(tmp_path) -> None:
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is not set: no Redis to test against")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "DJANGO_SETTINGS_MODULE": "kap_clinic.settings_test",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "kap_clinic",
            "worker",
            "-P",
            "solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"{queue}@localhost",
            "--loglevel=WARNING",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        celery_app.conf.broker_url = redis_url
        celery_app.conf.result_backend = redis_url
        result = ping.apply_async(queue=queue)
        assert result.get(timeout=60) == "pong"
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        celery_app.conf.broker_url = settings.CELERY_BROKER_URL
        celery_app.conf.result_backend = settings.CELERY_RESULT_BACKEND
