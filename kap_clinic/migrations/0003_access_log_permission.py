"""The clinic admin reviews the PHI access log (read-only) in the admin and the audit page."""

from django.db import migrations

from kap_clinic import roles


def grant(apps, schema_editor):
    roles.grant_permissions(apps, {roles.CLINIC_ADMIN: ("kap_clinic.view_accessevent",)})


class Migration(migrations.Migration):
    dependencies = [("kap_clinic", "0002_access_event")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
