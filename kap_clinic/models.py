from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError(self.model.append_only_message)

    def delete(self):
        raise TypeError(self.model.append_only_message)


class AppendOnlyModel(models.Model):
    """A row that is written once and never changed or deleted, here or (on PostgreSQL) in the
    database (``kap_clinic.append_only``). Append-only is an invariant of the row, so it lives
    on the model: ``save`` of a stored row, ``delete``, and queryset ``update``/``delete`` raise.
    """

    append_only_message = "This record is append-only."
    # What ``save`` of a stored row says (what to do instead); the message above by default.
    append_only_save_message = ""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        # Any pk at all: Django would turn a save with a known pk into an UPDATE.
        if self.pk is not None:
            raise TypeError(self.append_only_save_message or self.append_only_message)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(self.append_only_message)


class AccessEvent(AppendOnlyModel):
    """One look at (or denied attempt on) a patient's information. Append-only: HIPAA's audit
    controls (45 CFR 164.312(b)) ask for a record of who accessed PHI, when and what."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # The patient's primary key, not a foreign key: the log outlives any change to the registry,
    # and the kap_clinic package holds nothing clinical.
    patient_id = models.BigIntegerField(db_index=True)
    what = models.CharField(max_length=100)
    path = models.CharField(max_length=300)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    allowed = models.BooleanField(default=True)

    append_only_message = "The PHI access log is append-only."

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient_id", "-at"]), models.Index(fields=["user", "-at"])]

    def __str__(self) -> str:
        verb = "viewed" if self.allowed else "was refused"
        return f"{self.user} {verb} {self.what} of patient {self.patient_id} at {self.at:%Y-%m-%d}"


class ClinicSession(AbstractBaseSession):
    """A login session that knows its user, so a staff member can sign out their other sessions
    (a tablet left signed in by the infusion chair) with one query. ``kap_clinic.session_store``
    is the session engine that fills ``user``; the rest is Django's database session."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    signed_in_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta(AbstractBaseSession.Meta):
        verbose_name = "login session"
        indexes = [models.Index(fields=["user", "expire_date"])]

    def __str__(self) -> str:
        return f"session of {self.user or 'anonymous'} until {self.expire_date:%Y-%m-%d %H:%M}"

    @classmethod
    def get_session_store_class(cls):
        from kap_clinic.session_store import SessionStore

        return SessionStore
