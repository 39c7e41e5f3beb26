"""``python manage.py export_record MRN --format fhir|pdf --out FILE``: a patient's whole record
for an administrator answering a request for access or moving a patient to another system. The
FHIR file is the Bundle JSON. Logged in the access log like an export from the chart."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from patients.models import MRN_PREFIX, Patient
from sessions import services
from sessions.models import RecordExport
from sessions.records import pdf

# "KAP-000123", "kap-123" or "123", as in the patient search.
MRN = re.compile(r"^(?:kap-?)?0*(\d{1,9})$", re.IGNORECASE)


class Command(BaseCommand):
    help = "Export a patient's complete record as a FHIR R4 bundle (JSON) or a PDF."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("mrn", help="the patient's MRN, e.g. KAP-000123")
        parser.add_argument(
            "--format", required=True, choices=RecordExport.Format.values, dest="format"
        )
        parser.add_argument("--out", required=True, type=Path, help="file to write")

    def handle(self, *args: Any, mrn: str, format: str, out: Path, **options: Any) -> None:
        match = MRN.match(mrn.strip())
        if not match:
            raise CommandError(f"{mrn!r} is not an MRN (expected e.g. {MRN_PREFIX}000123).")
        number = f"{MRN_PREFIX}{int(match.group(1)):06d}"
        patient = Patient.objects.filter(mrn=number).first()
        if patient is None:
            raise CommandError(f"No patient has MRN {number}.")
        if not out.parent.is_dir():
            raise CommandError(f"The folder {out.parent} does not exist.")
        try:
            size = services.record_export_command(
                patient=patient, format=format, out=out, write_pdf=pdf.record_pdf
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(f"Wrote the record of {number} ({format}, {size} bytes) to {out}.")
        )
