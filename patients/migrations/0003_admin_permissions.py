"""The clinic admin maintains the consent text (versions) in the Django admin. Clinical records
are not granted: the admin role sees clinical content only through the audited views."""

from django.db import migrations

from kap_clinic import roles


def grant(apps, schema_editor):
    roles.grant_permissions(
        apps,
        {
            roles.CLINIC_ADMIN: (
                "patients.add_consentdocument",
                "patients.change_consentdocument",
                "patients.view_consentdocument",
            )
        },
    )


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_search_trigram_indexes"), ("kap_clinic", "0001_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
