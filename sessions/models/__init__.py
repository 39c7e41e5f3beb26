"""Ketamine treatment (``treatment``), the controlled-substance ledger (``ledger``), group
notes (``groups``) and copies of a record made for the patient (``records``).

Writes go through ``sessions.services``; the rules (dose arithmetic, vital-sign alerts) live in
the pure modules ``sessions.dosing`` and ``sessions.vitals``.
"""

from sessions.models.chair import (  # noqa: F401
    LATE_ENTRY,
    AdverseEvent,
    ChecklistOverride,
    VitalReading,
    late_entry,
)
from sessions.models.groups import (  # noqa: F401
    GroupIntegrationCredit,
    GroupNote,
    GroupNoteAddendum,
    GroupNotePrivate,
)
from sessions.models.ledger import (  # noqa: F401
    LedgerEntry,
    Lot,
)
from sessions.models.ledger_records import (  # noqa: F401
    Destruction,
    Discrepancy,
    Inventory,
    InventoryLine,
)
from sessions.models.records import RecordExport  # noqa: F401
from sessions.models.registrant import Registrant  # noqa: F401
from sessions.models.treatment import (  # noqa: F401
    CONTRAINDICATIONS_NEW_FOUND,
    CONTRAINDICATIONS_NOT_ASKED,
    CONTRAINDICATIONS_NOTHING_NEW,
    MG,
    NEW_CONTRAINDICATION_NEEDS_NOTE,
    VISIT_GONE,
    DosingProtocol,
    DosingSession,
    IntegrationFollowUp,
    Route,
    SessionAddendum,
    TreatmentCourse,
)
