"""DESIGN.md's default dosing protocols, one per route. The medical director edits them in the
admin; this migration only creates missing ones and never overwrites a clinic's values."""

from decimal import Decimal

from django.db import migrations

from kap_clinic import roles

DEFAULTS = {
    # Andrade, J Clin Psychiatry 2017: IV 0.5 mg/kg over 40 min; responders from 0.1 mg/kg,
    # some need 0.75 or more. BP and HR back to baseline by 90 min (Szarmach 2020): readings
    # every 15 min, discharge no sooner than an hour after the infusion ends.
    "iv": {
        "name": "IV ketamine infusion",
        "default_mg_per_kg": Decimal("0.5"),
        "min_mg_per_kg": Decimal("0.1"),
        "max_mg_per_kg": Decimal("1.0"),
        "cap_mg": None,
        "infusion_minutes": 40,
        "vitals_interval_minutes": 15,
        "min_observation_minutes": 60,
    },
    # KAP practice: IM 0.5 mg/kg, allowed 0.25-1.5 mg/kg; trials used 0.5-0.75 mg/kg with a
    # 60 mg cap. IM peaks later and lasts longer, so observation is longer.
    "im": {
        "name": "IM ketamine injection",
        "default_mg_per_kg": Decimal("0.5"),
        "min_mg_per_kg": Decimal("0.25"),
        "max_mg_per_kg": Decimal("1.5"),
        "cap_mg": Decimal("60.0"),
        "infusion_minutes": None,
        "vitals_interval_minutes": 15,
        "min_observation_minutes": 90,
    },
}


def seed(apps, schema_editor):
    protocol = apps.get_model("clinic_sessions", "DosingProtocol")
    for route, values in DEFAULTS.items():
        protocol.objects.get_or_create(route=route, defaults=values)
    roles.grant_permissions(
        apps,
        {
            roles.CLINIC_ADMIN: (
                "clinic_sessions.add_dosingprotocol",
                "clinic_sessions.change_dosingprotocol",
                "clinic_sessions.view_dosingprotocol",
            )
        },
    )


class Migration(migrations.Migration):
    dependencies = [("clinic_sessions", "0001_treatment_and_ledger"), ("kap_clinic", "0001_roles")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
