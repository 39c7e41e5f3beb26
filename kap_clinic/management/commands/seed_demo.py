from __future__ import annotations

import os
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kap_clinic import demo

DEFAULT_DEMO_PASSWORD = "demo-clinic-2026"  # noqa: S105 - the documented demo login
# Each app's part of the demo clinic, in dependency order: ``<app>.demo.seed(staff=, now=)``.
# The treatment courses book their visits before the schedule's demo fills the week around them;
# the weekly integration circle comes last, around both.
APP_SEEDERS = ("patients.demo", "sessions.demo", "scheduling.demo", "sessions.demo_groups")


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
        staff = demo.seed_staff(password=password)
        now = timezone.now()
        for module_name in APP_SEEDERS:
            try:
                module = import_module(module_name)
            except ModuleNotFoundError as error:
                if error.name != module_name:
                    raise
                continue  # that app has no demo data (yet)
            module.seed(staff=staff, now=now)
        self.stdout.write(self.style.SUCCESS(f"Demo clinic ready. Logins (password: {password}):"))
        for username, _first, _last, role in demo.DEMO_STAFF:
            self.stdout.write(f"  {username:<12} {role}")
