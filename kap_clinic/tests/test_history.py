"""Every clinical and scheduling model keeps its change history, visible in the admin."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import HistoricalChanges

APPS = ("patients", "clinic_sessions", "scheduling")
# Models with no history table, and why. Adding one is an audit decision.
NO_HISTORY = {
    # Append-only: the model and the admin refuse any change, so there is nothing to track;
    # corrections are new entries (DEA records, 21 CFR 1304).
    "clinic_sessions.Lot": "immutable once received",
    "clinic_sessions.LedgerEntry": "append-only ledger",
    "clinic_sessions.Inventory": "signed inventory, immutable (21 CFR 1304.11)",
    "clinic_sessions.InventoryLine": "line of a signed inventory, immutable",
    "clinic_sessions.Destruction": "DEA Form 41 record, immutable",
    # The reminder outbox: its status, attempts and error are its own record of each send, and
    # the sender rewrites rows every minute; a history table would copy every attempt.
    "scheduling.Reminder": "outbox row, its own send log",
    "scheduling.PatientMessage": "self-report outbox row, its own send log (like Reminder)",
    # A self-report link is a token; what the patient answers through it is a measure or a
    # check-in, and those keep their history.
    "patients.SelfReportLink": "a signed link token, not a record",
}
MODELS = [
    model
    for label in APPS
    for model in apps.get_app_config(label).get_models()
    if not issubclass(model, HistoricalChanges)
]
TRACKED = [m for m in MODELS if m._meta.label not in NO_HISTORY]


@pytest.mark.parametrize("model", TRACKED, ids=lambda m: m._meta.label)
def test_model_keeps_its_change_history(model) -> None:
    assert hasattr(model, "history"), f"{model._meta.label} needs history = HistoricalRecords()"
    historical = model.history.model
    assert issubclass(historical, HistoricalChanges)


@pytest.mark.parametrize(
    "model", [m for m in TRACKED if m in admin.site._registry], ids=lambda m: m._meta.label
)
def test_admin_shows_the_history(model) -> None:
    assert isinstance(admin.site._registry[model], SimpleHistoryAdmin)


def test_models_without_history_really_refuse_changes() -> None:
    assert set(NO_HISTORY) <= {m._meta.label for m in MODELS}, "stale NO_HISTORY entry"
    for label in (
        "clinic_sessions.Lot",
        "clinic_sessions.LedgerEntry",
        "clinic_sessions.Inventory",
        "clinic_sessions.Destruction",
    ):
        model_admin = admin.site._registry[apps.get_model(label)]
        request = type("R", (), {"user": None})()
        assert model_admin.has_change_permission(request) is False, label
        assert model_admin.has_delete_permission(request) is False, label
