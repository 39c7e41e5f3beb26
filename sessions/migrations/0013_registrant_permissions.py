from django.db import migrations

from kap_clinic import roles


def grant(apps, schema_editor):
    # The clinic admin keeps the DEA registrations current (renewals, address); the other DEA
    # records are read-only in the admin for everyone.
    roles.grant_permissions(
        apps,
        {
            roles.CLINIC_ADMIN: (
                "clinic_sessions.add_registrant",
                "clinic_sessions.change_registrant",
                "clinic_sessions.view_registrant",
                "clinic_sessions.view_discrepancy",
                "clinic_sessions.view_inventory",
                "clinic_sessions.view_destruction",
            )
        },
    )


class Migration(migrations.Migration):
    dependencies = [("clinic_sessions", "0012_registrant_history"), ("kap_clinic", "0001_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
