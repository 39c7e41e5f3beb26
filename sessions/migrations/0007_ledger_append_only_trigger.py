"""On PostgreSQL, the database itself refuses UPDATE and DELETE of ledger entries and received
lots (kap_clinic.append_only; 21 CFR 1304.21)."""

from django.db import migrations

from kap_clinic.append_only import trigger_operations


class Migration(migrations.Migration):
    dependencies = [
        ("clinic_sessions", "0006_course_stop"),
        ("kap_clinic", "0006_access_log_append_only_trigger"),
    ]

    operations = trigger_operations("clinic_sessions_lot", "clinic_sessions_ledgerentry")
