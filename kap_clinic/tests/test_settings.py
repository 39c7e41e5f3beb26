"""Production settings: `check --deploy` is clean, and start-up refuses a missing SECRET_KEY."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x7Kq2-pL9vR4tZ8wY1nB6mC3sD5fG0hJ_kQ2eU4iO7aP9lS1dF3gH5jK8",
    "ALLOWED_HOSTS": "clinic.example.org",
    "DATABASE_URL": "sqlite:////tmp/kap-deploy-check.sqlite3",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp+tls://user:pass@smtp.example.org:587",
    "DJANGO_SETTINGS_MODULE": "kap_clinic.settings",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_variables() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_start_up_is_refused_without_secret_key() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_manage("check", env={**env, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_local_demo_runs_without_secret_key() -> None:
    result = run_manage("check", env={"DEBUG": "true", "SECRET_KEY": ""})
    assert result.returncode == 0, result.stderr
