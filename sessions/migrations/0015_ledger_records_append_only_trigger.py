"""On PostgreSQL, the database itself refuses UPDATE and DELETE of inventories, their lines and
destruction records, like the ledger's (kap_clinic.append_only; 21 CFR 1304.04)."""

from django.db import migrations

from kap_clinic.append_only import trigger_operations


class Migration(migrations.Migration):
    dependencies = [("clinic_sessions", "0014_discrepancy_history")]

    operations = trigger_operations(
        "clinic_sessions_inventory", "clinic_sessions_inventoryline", "clinic_sessions_destruction"
    )
