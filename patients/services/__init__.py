"""Every write to the patient record, one module per concern:

- ``registry``: register, update, archive, the status path, SMS consent;
- ``measures``: validated measures (scored by ``instruments.score`` only) and risk flags;
- ``intake``: the intake assessment and its contraindication screen;
- ``eligibility``: the provider's signed decision;
- ``consent``: informed consent, signed and revoked;
- ``selfreport``: the patient's answers through signed links (questionnaires, check-ins);
- ``safety_plan``: the versioned, signed safety plan.

Views, admin actions, other apps and the demo seeder call these functions, so each rule lives once.
Refusals raise ``django.core.exceptions.ValidationError`` with a message for the user (forms show
it); ``measure_record`` lets the ``ValueError`` from ``instruments.score`` propagate. Reads (what an
intake still misses, the current consent text) are in ``patients.selectors``.
"""

from __future__ import annotations

from patients.services.common import (  # noqa: F401
    ALLOWED_TRANSITIONS,
    ELIGIBILITY_STATUSES,
    INTAKE_FIELDS,
    PATIENT_FIELDS,
)
from patients.services.consent import (  # noqa: F401
    consent_revoke,
    consent_sign,
)
from patients.services.eligibility import (  # noqa: F401
    eligibility_sign,
)
from patients.services.intake import (  # noqa: F401
    intake_add_addendum,
    intake_sign,
    intake_start,
    intake_update,
)
from patients.services.measures import (  # noqa: F401
    measure_record,
    risk_flag_acknowledge,
)
from patients.services.registry import (  # noqa: F401
    REMINDER_FIELDS,
    allowed_next_statuses,
    patient_archive,
    patient_create,
    patient_set_status,
    patient_unarchive,
    patient_update,
    sms_consent_withdraw,
)
from patients.services.safety_plan import (  # noqa: F401
    SAFETY_PLAN_FIELDS,
    safety_plan_save,
    safety_plan_sign,
)
from patients.services.selfreport import (  # noqa: F401
    checkin_review,
    checkin_submit,
    selfreport_answer,
    selfreport_link_create,
)
from patients.services.selfreport_intake import (  # noqa: F401
    consent_countersign,
    consent_sign_by_link,
    intake_submit_by_link,
)
