"""The group note: one note per group meeting with a shared part (themes, practices) and a
private part per member, signed and then locked; later changes are addenda.

Privacy: a member's chart shows the shared part and *their own* private part (and addenda to
those) only. The shared part is written for every member to read, so the page warns when it
contains a member's name (``sessions.services.group_notes.member_names_in``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords


class GroupNote(models.Model):
    meeting = models.OneToOneField(
        "scheduling.GroupMeeting", on_delete=models.PROTECT, related_name="note"
    )
    themes = models.TextField(blank=True, help_text="Shared: what the group worked on.")
    practices = models.TextField(blank=True, help_text="Shared: practices used or suggested.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True) | Q(signed_by__isnull=False),
                name="group_note_signed_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"Group note for {self.meeting}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def shared_text(self) -> str:
        return f"{self.themes}\n{self.practices}"


class GroupNotePrivate(models.Model):
    """One member's private part of the group note: shown on that member's chart only."""

    note = models.ForeignKey(GroupNote, on_delete=models.PROTECT, related_name="private_parts")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    text = models.TextField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["note", "id"]
        constraints = [
            models.UniqueConstraint(fields=["note", "patient"], name="group_note_private_once")
        ]

    def __str__(self) -> str:
        return f"Private part of {self.note} (patient #{self.patient_id})"


class GroupNoteAddendum(models.Model):
    """A later change to a signed group note: to the shared part (``patient`` empty, every
    member's chart shows it) or to one member's private part."""

    note = models.ForeignKey(GroupNote, on_delete=models.PROTECT, related_name="addenda")
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "group note addenda"

    def __str__(self) -> str:
        return f"Addendum to {self.note} by {self.author}"


class GroupIntegrationCredit(models.Model):
    """A member attended a group that counts as integration within the window after a dose:
    the follow-up it produced, and the note it came from."""

    follow_up = models.OneToOneField(
        "clinic_sessions.IntegrationFollowUp", on_delete=models.PROTECT, related_name="group"
    )
    note = models.ForeignKey(GroupNote, on_delete=models.PROTECT, related_name="credits")

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.follow_up} from {self.note}"
