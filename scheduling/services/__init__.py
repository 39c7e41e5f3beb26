"""Writes for the schedule, one module per concern:

- ``checks``: overlaps, working hours, the provider's role, the locks that serialise bookings;
- ``booking``: book, reschedule, cancel, check in, complete, no-show, the patient's link answers;
- ``series``: a course's visits booked all or nothing;
- ``groups``: group meetings and series, enrolment within capacity, waiting list, attendance;
- ``reminders``: the outbox — plan, re-plan, claim exactly once, send, retry;
- ``selfreport``: the self-report outbox — questionnaire and check-in links, sent exactly once.

Reads of free time are in ``scheduling.availability``. Every booking-shaped write locks the rows
it could collide on (patient, clinician, room, in that order) inside one transaction, then checks
for overlaps; on PostgreSQL an exclusion constraint makes an overlap impossible even if a code path
forgot the lock, and its violation becomes the same conflict message.
"""

from __future__ import annotations

from scheduling.services.booking import (  # noqa: F401
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_confirm,
    appointment_no_show,
    appointment_record_preparation,
    appointment_reschedule,
    inquiry_book_consultation,
)
from scheduling.services.checks import (  # noqa: F401
    EXCLUSION_CONSTRAINTS,
    BookingConflict,
    OutsideWorkingHours,
    SchedulingError,
    check_provider_role,
    find_conflict,
    type_of,
)
from scheduling.services.groups import (  # noqa: F401
    GroupFull,
    SeriesEnrolment,
    group_attendance_record,
    group_enrol,
    group_enrol_series,
    group_meeting_cancel,
    group_meetings_schedule,
    group_waitlist_enrol,
    group_waitlist_join,
    group_waitlist_withdraw,
    seats_taken,
)
from scheduling.services.reminders import (  # noqa: F401
    BOOKED_LATE,
    CHANNEL_DROPPED,
    CONTACT_CHANGED_LATE,
    CONTACT_SKIP_REASONS,
    LATE_GRACE,
    NO_EMAIL,
    NO_MOBILE,
    NO_REMINDERS,
    NO_SMS_CONSENT,
    RETRY_DELAYS,
    claim_lease,
    reminder_retry,
    reminder_send,
    reminders_claim_due,
    reminders_plan,
    reminders_replan_for_patient,
)
from scheduling.services.selfreport import (  # noqa: F401
    checkin_due_at,
    intake_forms_send,
    patient_message_send,
    patient_messages_claim_due,
    patient_messages_plan,
    patient_messages_replan_for_patient,
    plan_scheduled_questionnaires,
    questionnaire_send,
    safety_plan_send,
    selfreport_preference_update,
)
from scheduling.services.series import (  # noqa: F401
    SeriesItem,
    appointment_series_book,
    series_preview,
    series_starts,
)
