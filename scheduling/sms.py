"""Text messages behind a small backend interface, chosen by the ``SMS_BACKEND`` setting.

* ``scheduling.sms.FileBackend`` (default): writes each message to a file under ``var/sms/``
  (``SMS_FILE_PATH``), so the local demo shows what a patient would receive.
* ``scheduling.sms.ConsoleBackend``: logs the message (development).
* ``scheduling.sms.TwilioBackend``: Twilio's REST API, configured by ``TWILIO_ACCOUNT_SID``,
  ``TWILIO_AUTH_TOKEN`` and ``TWILIO_FROM_NUMBER``.

A backend raises an exception when a message did not go; the reminder outbox retries it.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from pathlib import Path
from urllib import parse, request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    pass


class BaseBackend:
    def send(self, *, to: str, body: str) -> str:
        """Send ``body`` to the E.164 number ``to``; return the provider's message id."""
        raise NotImplementedError


class FileBackend(BaseBackend):
    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or getattr(settings, "SMS_FILE_PATH", settings.VAR_DIR / "sms"))

    def send(self, *, to: str, body: str) -> str:
        self.path.mkdir(parents=True, exist_ok=True)
        message_id = uuid.uuid4().hex
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        target = self.path / f"{stamp}-{message_id[:8]}.txt"
        target.write_text(f"To: {to}\n\n{body}\n", encoding="utf-8")
        return message_id


class ConsoleBackend(BaseBackend):
    def send(self, *, to: str, body: str) -> str:
        logger.info("SMS to %s:\n%s", to, body)
        return uuid.uuid4().hex


class TwilioBackend(BaseBackend):
    API = "https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json"

    def __init__(self) -> None:
        self.sid = getattr(settings, "TWILIO_ACCOUNT_SID", "")
        self.token = getattr(settings, "TWILIO_AUTH_TOKEN", "")
        self.sender = getattr(settings, "TWILIO_FROM_NUMBER", "")
        if not (self.sid and self.token and self.sender):
            raise ImproperlyConfigured(
                "TwilioBackend needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER."
            )

    def send(self, *, to: str, body: str) -> str:
        data = parse.urlencode({"To": to, "From": self.sender, "Body": body}).encode()
        req = request.Request(self.API.format(sid=self.sid), data=data, method="POST")  # noqa: S310 - fixed https URL
        credentials = base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
        req.add_header("Authorization", f"Basic {credentials}")
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with request.urlopen(req, timeout=15) as response:  # noqa: S310 - fixed https URL
                payload = json.loads(response.read().decode())
        except OSError as error:
            raise SmsError(f"Twilio did not accept the message: {error}") from error
        if payload.get("error_code"):
            raise SmsError(f"Twilio error {payload['error_code']}: {payload.get('error_message')}")
        return str(payload.get("sid", ""))


def get_backend() -> BaseBackend:
    dotted = getattr(settings, "SMS_BACKEND", "scheduling.sms.FileBackend")
    return import_string(dotted)()


def send_sms(*, to: str, body: str) -> str:
    return get_backend().send(to=to, body=body)
