"""The clinic admin configures rooms, appointment types and working hours in the Django admin,
and may look at appointments and reminders there (changes go through the clinic's views)."""

from django.db import migrations

from kap_clinic import roles


def grant(apps, schema_editor):
    perms = []
    for model in ("room", "appointmenttype", "workinghours"):
        perms += [f"scheduling.{action}_{model}" for action in ("add", "change", "view")]
    perms += ["scheduling.view_appointment", "scheduling.view_reminder"]
    roles.grant_permissions(apps, {roles.CLINIC_ADMIN: tuple(perms)})


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0002_no_overlap_exclusion"), ("kap_clinic", "0001_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
