from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kap_clinic import demo

DEFAULT_DEMO_PASSWORD = "demo-clinic-2026"  # noqa: S105 - the documented demo login


class Command(BaseCommand):
    help = "Create or refresh the demo clinic (staff, configuration, patients). Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (never on a clinic's real database).",
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates demo logins with a known password, so it refuses to run "
                "with DEBUG off. Use --force only on a throwaway database."
            )
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        demo.seed_staff(password=password)
        # Each app adds its part of the demo clinic below, in dependency order.
        self.stdout.write(self.style.SUCCESS(f"Demo clinic ready. Logins (password: {password}):"))
        for username, _first, _last, role in demo.DEMO_STAFF:
            self.stdout.write(f"  {username:<12} {role}")
