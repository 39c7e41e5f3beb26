"""Role-matrix declarations for records out (merged into ``sessions/tests/matrix.py``).

Record exports are clinical (the whole chart): clinicians and providers only. The outcomes report
and the research export are aggregate and de-identified: providers and the clinic admin. Front
desk gets none of these pages or files.
"""

from __future__ import annotations

from typing import Any

from kap_clinic import roles
from kap_clinic.tests.role_matrix import PROVIDER, Case, Ctx
from sessions import services, tasks
from sessions.tests.factories import make_session


def _patient_with_session(ctx: Ctx):
    return make_session(by=ctx.personas[PROVIDER]).course.patient


def patient(ctx: Ctx) -> dict[str, Any]:
    return {"patient_pk": _patient_with_session(ctx).pk}


def ready_export(ctx: Ctx) -> dict[str, Any]:
    export = services.record_export_request(
        patient=_patient_with_session(ctx), format="fhir", by=ctx.personas[PROVIDER]
    )
    tasks.build_record_export(export.pk)
    return {"pk": export.pk}


RECORDS_MATRIX = {
    "records:patient_exports": [
        Case(allowed=roles.CLINICAL, kwargs=patient, clinical=True),
        Case(
            method="post",
            allowed=roles.CLINICAL,
            kwargs=patient,
            data={"format": "pdf"},
            clinical=True,
        ),
    ],
    "records:export_detail": Case(allowed=roles.CLINICAL, kwargs=ready_export, clinical=True),
    "records:export_download": Case(allowed=roles.CLINICAL, kwargs=ready_export, clinical=True),
    "records:outcomes": Case(
        allowed=roles.REPORTING, query={"start": "2026-01-01", "end": "2026-12-31"}
    ),
    "records:outcomes_csv": Case(allowed=roles.REPORTING),
    "records:research_export": [
        Case(allowed=roles.REPORTING),
        Case(method="post", allowed=roles.REPORTING),
    ],
}
