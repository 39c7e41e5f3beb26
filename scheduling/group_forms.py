"""Forms for group sessions: validate and normalise only; ``scheduling.services.groups``
decides."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone

from scheduling import group_selectors, selectors
from scheduling.forms import DATE_INPUT, TIME_INPUT, ClinicianChoiceField, PatientPickerForm
from scheduling.models import Appointment, GroupAttendance, GroupType, Room


class GroupTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: GroupType) -> str:
        return f"{obj.name} (up to {obj.capacity}, {obj.get_facilitators_display().lower()})"


class MeetingScheduleForm(forms.Form):
    group_type = GroupTypeChoiceField(queryset=GroupType.objects.none(), label="Group")
    facilitator = ClinicianChoiceField(queryset=User.objects.none())
    co_facilitator = ClinicianChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Second facilitator",
        help_text="For groups run by two facilitators.",
    )
    date = forms.DateField(widget=DATE_INPUT, label="First meeting")
    time = forms.TimeField(widget=TIME_INPUT, initial=time(17, 30))
    count = forms.IntegerField(
        min_value=1,
        max_value=26,
        initial=8,
        label="Number of meetings",
        help_text="1 for a single meeting; e.g. 8 for a weekly group over eight weeks.",
    )
    interval_days = forms.IntegerField(min_value=1, max_value=28, initial=7, label="Every … days")
    room = forms.ModelChoiceField(
        queryset=Room.objects.filter(active=True),
        required=False,
        help_text="Leave empty to take a free room of the group's kind.",
    )
    allow_outside_hours = forms.BooleanField(
        required=False, label="Schedule even outside the facilitators' working hours"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group_type"].queryset = group_selectors.group_types()
        self.fields["facilitator"].queryset = selectors.clinicians()
        self.fields["co_facilitator"].queryset = selectors.clinicians()

    def starts_at(self) -> datetime:
        return timezone.make_aware(
            datetime.combine(self.cleaned_data["date"], self.cleaned_data["time"])
        )


class EnrolForm(PatientPickerForm):
    patient_help = "Part of the name, the date of birth, the phone number or the MRN."
    scope = forms.ChoiceField(
        choices=[("meeting", "This meeting only"), ("series", "This and the later meetings")],
        initial="meeting",
        widget=forms.RadioSelect,
        label="Enrol in",
    )
    wait_when_full = forms.BooleanField(required=False, widget=forms.HiddenInput)


class WaitlistJoinForm(PatientPickerForm):
    pass


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class AttendanceForm(forms.Form):
    """One choice per member's place, keyed ``seat_<appointment id>``."""

    def __init__(self, *args: Any, seats: list[Appointment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seats = seats
        for seat in seats:
            current = getattr(seat, "group_attendance", None)
            self.fields[f"seat_{seat.pk}"] = forms.ChoiceField(
                label=seat.patient.display_name,
                choices=GroupAttendance.Status.choices,
                widget=forms.RadioSelect,
                initial=current.status if current else None,
                error_messages={"required": "Mark this member."},
            )

    def rows(self) -> list[tuple[Appointment, forms.BoundField]]:
        return [(seat, self[f"seat_{seat.pk}"]) for seat in self.seats]

    def statuses(self) -> dict[int, str]:
        return {seat.pk: self.cleaned_data[f"seat_{seat.pk}"] for seat in self.seats}
