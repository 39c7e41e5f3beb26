"""Every write to treatment courses, dosing sessions, follow-ups and the controlled-substance
ledger, one module per concern:

- ``courses``: treatment courses, planned sessions, a planned session following its visit;
- ``chair``: checklist and per-item overrides, screen review, vitals, holds and alerts, adverse
  events, dissociation;
- ``dose``: the dose (weight, dosing weight, hard stops) and the end of an infusion;
- ``discharge``: discharge with the modified Aldrete score;
- ``notes``: the note, its signature, addenda;
- ``followups``: integration follow-ups;
- ``group_notes``: the group note (shared and private parts), its signature, addenda, and
  counting an integration group as a member's follow-up;
- ``ledger``: the controlled-substance ledger (receipts, waste, counts, corrections, destruction);
- ``discrepancies``: what a count found, theft or loss reports and their DEA dates;
- ``inventory``: initial and biennial inventories;
- ``records``: exports of a patient's whole record (PDF, FHIR).

Views, the admin, the demo seeder and tests call these, so each rule lives once. Refusals raise
``django.core.exceptions.ValidationError`` with a message for the user. Role checks that belong to
the rule itself (only a medical provider overrides, acknowledges a hold or writes the ledger) are
made here too, not only in the views. Reads live in ``sessions.selectors`` and the pure rule
modules (``sessions.dosing``, ``sessions.vitals``).
"""

from __future__ import annotations

from sessions.services.chair import (  # noqa: F401
    CHECKLIST_FIELDS,
    RECONFIRM_ANSWERS,
    adverse_event_record,
    alert_acknowledge,
    cadss_record,
    checklist_override,
    checklist_update,
    hold_acknowledge,
    phase_at,
    screens_review_record,
    session_abort,
    vitals_record,
)
from sessions.services.courses import (  # noqa: F401
    course_start,
    course_stop,
    session_follow_appointment,
    session_link_appointment,
    session_plan,
)
from sessions.services.discharge import (  # noqa: F401
    DISCHARGE_CRITERIA,
    session_discharge,
)
from sessions.services.discrepancies import (  # noqa: F401
    discrepancy_record_form_106,
    discrepancy_record_notice,
    discrepancy_report_loss,
    discrepancy_resolve,
)
from sessions.services.dose import (  # noqa: F401
    WEIGHT_UNITS,
    dose_end,
    dose_record,
)
from sessions.services.followups import (  # noqa: F401
    follow_up_record,
)
from sessions.services.group_notes import (  # noqa: F401
    group_note_addendum_add,
    group_note_count_integration,
    group_note_guard_attendance,
    group_note_save,
    group_note_sign,
    member_names_in,
    roster_patients,
)
from sessions.services.inventory import (  # noqa: F401
    inventory_moment,
    inventory_take,
)
from sessions.services.ledger import (  # noqa: F401
    ledger_correct,
    ledger_count,
    ledger_waste,
    lot_receive,
    registrant_problem,
    stock_destroy,
)
from sessions.services.notes import (  # noqa: F401
    addendum_add,
    note_save,
    session_sign,
)
from sessions.services.records import (  # noqa: F401
    record_collect,
    record_export_build,
    record_export_command,
    record_export_file,
    record_export_request,
    record_exports_purge,
    record_render,
)
