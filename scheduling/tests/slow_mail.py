"""A file e-mail backend for worker tests: before each message it leaves a marker naming the
worker process and the reminder, then pauses, so a test can SIGKILL a worker mid-send."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages):
        markers = Path(os.environ["KAP_TEST_MARKER_DIR"])
        for message in email_messages:
            reminder = message.extra_headers.get("X-KAP-Reminder", "?")
            (markers / f"{os.getpid()}-{reminder}-{time.monotonic_ns()}").touch()
            time.sleep(float(os.environ.get("KAP_TEST_SEND_DELAY", "0.2")))
        return super().send_messages(email_messages)
