"""Append-only tables: the access log (HIPAA audit controls, 45 CFR 164.312(b)) and the
controlled-substance ledger (21 CFR 1304.21: records kept, corrections are new entries).

Two walls. The models refuse to change a saved row (``AppendOnlyModel``, ``AppendOnlyQuerySet``
in ``kap_clinic.models``); and on PostgreSQL a trigger refuses ``UPDATE`` and ``DELETE`` on the
table itself, so a raw SQL statement, a script or a database console cannot rewrite them either.
The migrations that own the tables install the trigger with ``trigger_operations``.

``TRUNCATE`` is not refused: it is how a test run empties its database, and on a clinic's
server it needs the table owner's rights, which the application role should not hold
(SECURITY.md). A future data migration that must rewrite rows drops the trigger, does its work
and recreates it, in the same migration.
"""

from __future__ import annotations

from django.db import migrations

FUNCTION = "kap_refuse_rewrite"


def _create_function(schema_editor) -> None:
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% of a row of % refused: the table is append-only',
                TG_OP, TG_TABLE_NAME;
        END;
        $$;
        """,
        params=None,  # the "%" are PL/pgSQL's placeholders, not the driver's
    )


def trigger_operations(*tables: str) -> list[migrations.RunPython]:
    """Migration operations that install (and on reverse remove) the refusing trigger on
    ``tables``; nothing on databases other than PostgreSQL."""

    def forwards(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        _create_function(schema_editor)
        for table in tables:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
            )

    def backwards(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")

    return [migrations.RunPython(forwards, backwards, elidable=False)]
