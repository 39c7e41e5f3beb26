"""The clinic admin resets a lost authenticator by deleting the device in the admin (the user
then enrols a new one). No change permission: the admin must never see a device's secret."""

from django.db import migrations

from kap_clinic import roles


def grant(apps, schema_editor):
    roles.grant_permissions(
        apps, {roles.CLINIC_ADMIN: ("otp_totp.view_totpdevice", "otp_totp.delete_totpdevice")}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("kap_clinic", "0003_access_log_permission"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
