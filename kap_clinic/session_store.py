"""Session engine (``SESSION_ENGINE``): Django's database sessions, stored in
``kap_clinic.models.ClinicSession`` with the signed-in user, address and browser on the row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore as DBStore

# Written into the session by SessionTimeoutMiddleware on the request that signs in.
IP_KEY = "kap_ip"
AGENT_KEY = "kap_agent"
STARTED_KEY = "kap_started"  # a POSIX timestamp


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls):
        from kap_clinic.models import ClinicSession

        return ClinicSession

    def create_model_instance(self, data: dict[str, Any]):
        row = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        row.user_id = get_user_model()._meta.pk.to_python(user_id) if user_id else None
        row.ip_address = data.get(IP_KEY) or None
        row.user_agent = (data.get(AGENT_KEY) or "")[:200]
        started = data.get(STARTED_KEY)
        row.signed_in_at = datetime.fromtimestamp(started, tz=UTC) if started else None
        return row
