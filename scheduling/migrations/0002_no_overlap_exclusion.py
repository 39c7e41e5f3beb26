"""On PostgreSQL, make an overlapping booking impossible in the database itself.

Three exclusion constraints (btree_gist): no two appointments that are not cancelled may overlap
for the same clinician, the same room or the same patient. ``services.appointment_book`` already
locks and checks inside its transaction; these catch any path that does not (a bulk import, a
future bug) and turn a race into a clean IntegrityError the service reports as a conflict.
SQLite (the laptop demo) has no exclusion constraints and relies on the service's check under its
whole-database write lock.
"""

from django.db import migrations

CONSTRAINTS = (
    ("appointment_no_clinician_overlap", "clinician_id"),
    ("appointment_no_room_overlap", "room_id"),
    ("appointment_no_patient_overlap", "patient_id"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, column in CONSTRAINTS:
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            "WHERE (status <> 'cancelled')"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in CONSTRAINTS:
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS {name}"
        )


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
