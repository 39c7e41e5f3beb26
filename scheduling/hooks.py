"""Extension points of the schedule that the sessions app registers on (kap_clinic.hooks)."""

from __future__ import annotations

from kap_clinic.hooks import Hook

# Called with ``appointment`` and ``by`` inside the reschedule's transaction, after the visit
# has its new time: a planned dosing session follows its visit.
appointment_rescheduled = Hook("scheduling.appointment_rescheduled")
