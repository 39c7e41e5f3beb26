"""Extension points of the registry that later apps register on (see kap_clinic.hooks)."""

from __future__ import annotations

from kap_clinic.hooks import Hook

# Called with ``patient`` (carrying the details as they will be saved) inside the update's
# transaction, *before* the patient row is saved, when the reminder details (e-mail, phone,
# channels, SMS consent) changed: the schedule re-plans the reminders of upcoming visits.
reminder_details_changed = Hook("patients.reminder_details_changed")
