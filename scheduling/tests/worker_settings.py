"""Settings for the Celery worker subprocesses of ``test_reminder_workers.py``: the test settings,
with e-mail written to files (so the test can count what each reminder produced) by a backend
that pauses mid-send (so a worker can be killed while it sends)."""

import os

from kap_clinic.settings_test import *  # noqa: F403

EMAIL_BACKEND = "scheduling.tests.slow_mail.SlowFileBackend"
EMAIL_FILE_PATH = os.environ["KAP_TEST_MAIL_DIR"]
