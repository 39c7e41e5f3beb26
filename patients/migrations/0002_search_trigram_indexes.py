"""Trigram indexes for find-a-patient's "contains" matches, on PostgreSQL only.

``selectors.patients_search`` filters on ``lower(name) LIKE '%...%'``; a btree index cannot
serve a leading wildcard, a pg_trgm GIN index can, which keeps search fast at 10,000+ patients.
SQLite (the laptop demo) skips this migration's SQL.
"""

from django.db import migrations

INDEXES = (
    ("patient_last_trgm_idx", "lower(legal_last_name)"),
    ("patient_first_trgm_idx", "lower(legal_first_name)"),
    ("patient_preferred_trgm_idx", "lower(preferred_name)"),
    ("patient_phone_trgm_idx", "phone"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON patients_patient "
            f"USING gin ({expression} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_registry_and_record")]

    operations = [migrations.RunPython(create, drop)]
