"""On PostgreSQL, let the members of one group meeting share its facilitator and room.

Each member's place is an appointment with the meeting's facilitator and room at the meeting's
time, which the clinician and room exclusion constraints of 0002 would refuse. They become: no
two appointments that are not cancelled may overlap for the same clinician (room) *unless both
belong to the same group meeting*. ``coalesce(group_meeting_id, -id)`` is a key that two rows
share only when they are seats of one meeting (ids are positive, so ``-id`` never equals a
meeting's id and is different for every individual visit), and btree_gist's ``<>`` excludes
pairs whose keys differ. The patient constraint is unchanged: a member cannot be in two places.
"""

from django.db import migrations

CONSTRAINTS = (
    ("appointment_no_clinician_overlap", "clinician_id"),
    ("appointment_no_room_overlap", "room_id"),
)


def _recreate(schema_editor, group_aware: bool) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in CONSTRAINTS:
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS {name}"
        )
        key = ", (coalesce(group_meeting_id, -id)) WITH <>" if group_aware else ""
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&{key}) "
            "WHERE (status <> 'cancelled')"
        )


def forwards(apps, schema_editor):
    _recreate(schema_editor, group_aware=True)


def backwards(apps, schema_editor):
    _recreate(schema_editor, group_aware=False)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0004_group_sessions")]

    operations = [migrations.RunPython(forwards, backwards)]
