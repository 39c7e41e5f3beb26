"""Record exports: the command, the Celery task's build, the seven-day expiry, the access log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from kap_clinic.models import AccessEvent
from sessions import services, tasks
from sessions.models import RecordExport
from sessions.records import fhir, queue
from sessions.tests.factories import make_session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.RECORD_EXPORT_DIR = tmp_path / "exports"
    return settings.RECORD_EXPORT_DIR


def test_export_record_command_writes_a_valid_bundle_and_logs_it(provider, tmp_path) -> None:
    session = make_session(by=provider)
    patient = session.course.patient
    out = tmp_path / "bundle.json"
    call_command("export_record", patient.mrn, "--format", "fhir", "--out", str(out))
    bundle = json.loads(out.read_text())
    fhir.validate_bundle(bundle)
    assert bundle["entry"][0]["resource"]["identifier"][0]["value"] == patient.mrn
    logged = AccessEvent.objects.get(patient_id=patient.pk)
    assert logged.path == "manage.py export_record"
    assert logged.what.startswith("record exported by command (fhir")


def test_export_record_command_writes_a_pdf(provider, tmp_path) -> None:
    patient = make_session(by=provider).course.patient
    out = tmp_path / "record.pdf"
    number = int(patient.mrn.removeprefix("KAP-"))
    call_command("export_record", str(number), "--format", "pdf", "--out", str(out))
    assert out.read_bytes().startswith(b"%PDF-")
    assert AccessEvent.objects.filter(patient_id=patient.pk).count() == 1


def test_export_record_command_refuses_an_unknown_mrn_and_writes_nothing(tmp_path) -> None:
    out = tmp_path / "x.json"
    with pytest.raises(CommandError, match="No patient has MRN KAP-999999"):
        call_command("export_record", "KAP-999999", "--format", "fhir", "--out", str(out))
    with pytest.raises(CommandError, match="not an MRN"):
        call_command("export_record", "Robin", "--format", "fhir", "--out", str(out))
    assert not out.exists()
    assert AccessEvent.objects.count() == 0


def test_build_stores_the_file_for_seven_days_then_the_purge_deletes_it(provider) -> None:
    patient = make_session(by=provider).course.patient
    export = services.record_export_request(patient=patient, format="pdf", by=provider)
    assert tasks.build_record_export(export.pk) == "ready"
    export.refresh_from_db()
    path = services.record_export_file(export)
    assert path.read_bytes().startswith(b"%PDF-")
    assert str(patient.mrn) not in path.name and patient.legal_last_name not in path.name
    assert export.expires_at - export.finished_at == timedelta(days=7)
    # Running the task again builds nothing twice.
    assert tasks.build_record_export(export.pk) == "ready"
    assert len(list(Path(path.parent).iterdir())) == 1

    assert services.record_exports_purge(now=export.expires_at - timedelta(minutes=1)) == 0
    assert services.record_exports_purge(now=export.expires_at) == 1
    assert services.record_exports_purge(now=export.expires_at) == 0
    export.refresh_from_db()
    assert export.status == "expired" and not path.exists()
    assert RecordExport.objects.filter(pk=export.pk).exists()  # the account of the disclosure


def test_only_clinical_roles_can_request_an_export(front_desk, clinic_admin, provider) -> None:
    patient = make_session(by=provider).course.patient
    for user in (front_desk, clinic_admin):
        with pytest.raises(ValidationError, match="Only clinicians and medical providers"):
            services.record_export_request(patient=patient, format="fhir", by=user)
    assert not RecordExport.objects.exists()


def test_an_expired_export_cannot_be_downloaded(provider) -> None:
    patient = make_session(by=provider).course.patient
    export = services.record_export_request(patient=patient, format="fhir", by=provider)
    tasks.build_record_export(export.pk)
    export.refresh_from_db()
    export.expires_at = timezone.now() - timedelta(seconds=1)
    with pytest.raises(ValidationError, match="no longer available"):
        services.record_export_file(export)


def test_a_failed_build_is_shown_on_the_row_without_phi_in_the_log(provider, monkeypatch, caplog):
    patient = make_session(by=provider).course.patient
    export = services.record_export_request(patient=patient, format="fhir", by=provider)

    def broken(*args, **kwargs):
        raise ValueError(f"bad value {patient.legal_last_name}")

    monkeypatch.setattr(fhir, "validate_bundle", broken)
    assert tasks.build_record_export(export.pk) == "failed"
    export.refresh_from_db()
    assert (export.status, export.error, export.file_name) == ("failed", "ValueError", "")
    assert "ValueError" in caplog.text
    assert patient.legal_last_name not in caplog.text


def test_the_build_reports_its_progress_part_by_part(provider) -> None:
    patient = make_session(by=provider).course.patient
    seen: list[tuple[int, str]] = []
    services.record_collect(patient, progress=lambda percent, stage: seen.append((percent, stage)))
    percents = [percent for percent, _ in seen]
    assert percents == sorted(percents) and percents[-1] == 80
    assert [stage for _, stage in seen][0] == "Demographics"
    assert seen[-1][1] == "Who opened this record"


def test_the_page_queues_the_build_by_the_tasks_name() -> None:
    assert tasks.build_record_export.name == queue.BUILD_TASK


@pytest.mark.django_db(databases=[])
def test_weasyprint_is_imported_only_where_a_pdf_is_built() -> None:
    # Every process imports the services and (through the system checks) the URLconf; only the
    # Celery task module and the export_record command need the PDF writer.
    script = (
        "import sys, django; django.setup(); "
        "import sessions.services; from django.urls import get_resolver; "
        "get_resolver().url_patterns; "
        "assert 'weasyprint' not in sys.modules, 'services or pages import WeasyPrint'; "
        "import sessions.tasks; assert 'weasyprint' in sys.modules"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kap_clinic.settings", "DEBUG": "true"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
