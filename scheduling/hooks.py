"""Extension points of the schedule that the sessions app registers on (kap_clinic.hooks)."""

from __future__ import annotations

from kap_clinic.hooks import Hook

# Called with ``appointment`` and ``by`` inside the reschedule's transaction, after the visit
# has its new time: a planned dosing session follows its visit.
appointment_rescheduled = Hook("scheduling.appointment_rescheduled")

# Called with ``meeting`` and ``by`` inside ``group_attendance_record``'s transaction, before the
# register is written: the sessions app refuses a change once the group note is signed.
group_attendance_recording = Hook("scheduling.group_attendance_recording")
