"""On PostgreSQL, the database itself refuses UPDATE and DELETE of access-log rows
(kap_clinic.append_only)."""

from django.db import migrations

from kap_clinic.append_only import trigger_operations


class Migration(migrations.Migration):
    dependencies = [("kap_clinic", "0005_clinic_session")]

    operations = trigger_operations("kap_clinic_accessevent")
