"""Discrepancies a count found: marking one as theft or significant loss (which starts the DEA
clock), recording the DEA notice and Form 106, and resolving it with an explanation and a witness.
Each of these is written once and never changed: a conditional update refuses a second write."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from sessions import dea
from sessions.models import Discrepancy, LedgerEntry
from sessions.services.common import _require_provider
from sessions.services.ledger import _check_witness, _ledger_append

Kind = LedgerEntry.Kind


def _lock(discrepancy: Discrepancy) -> Discrepancy:
    return (
        Discrepancy.objects.select_for_update()
        .select_related("lot", "count")
        .get(pk=discrepancy.pk)
    )


@transaction.atomic
def discrepancy_report_loss(*, discrepancy: Discrepancy, by: User) -> Discrepancy:
    """Theft or significant loss: due dates run from the day of discovery (the count), one
    business day for the written notice and 45 days for DEA Form 106 (21 CFR 1301.76(b))."""
    _require_provider(by, "report a theft or loss")
    locked = _lock(discrepancy)
    if locked.theft_or_loss:
        raise ValidationError("This discrepancy is already reported as theft or loss.")
    if locked.difference_mg > 0:
        raise ValidationError("The count found more than the book: that is not a loss.")
    discovered = timezone.localdate(locked.discovered_at)
    locked.theft_or_loss = True
    locked.theft_or_loss_marked_by = by
    locked.notice_due_on = dea.loss_notice_due(discovered)
    locked.form_106_due_on = dea.form_106_due(discovered)
    locked.save()
    return locked


def _dea_date(value: date, discovered: date, what: str) -> date:
    if value < discovered:
        raise ValidationError(f"The {what} cannot be before the loss was discovered.")
    if value > timezone.localdate():
        raise ValidationError(f"The {what} cannot be in the future.")
    return value


@transaction.atomic
def discrepancy_record_notice(*, discrepancy: Discrepancy, sent_on: date, by: User) -> Discrepancy:
    _require_provider(by, "record the DEA notice")
    locked = _lock(discrepancy)
    if not locked.theft_or_loss:
        raise ValidationError("Only a theft or significant loss is reported to DEA.")
    if locked.notice_sent_on is not None:
        raise ValidationError("The written notice is already recorded.")
    locked.notice_sent_on = _dea_date(
        sent_on, timezone.localdate(locked.discovered_at), "notice date"
    )
    locked.save()
    return locked


@transaction.atomic
def discrepancy_record_form_106(
    *, discrepancy: Discrepancy, filed_on: date, reference: str, by: User
) -> Discrepancy:
    _require_provider(by, "record DEA Form 106")
    locked = _lock(discrepancy)
    if not locked.theft_or_loss:
        raise ValidationError("Only a theft or significant loss is reported to DEA.")
    if locked.form_106_filed_on is not None:
        raise ValidationError("DEA Form 106 is already recorded.")
    locked.form_106_filed_on = _dea_date(
        filed_on, timezone.localdate(locked.discovered_at), "Form 106 date"
    )
    locked.form_106_reference = reference.strip()
    locked.save()
    return locked


@transaction.atomic
def discrepancy_resolve(
    *,
    discrepancy: Discrepancy,
    explanation: str,
    adjust_book: bool,
    by: User,
    witness: User | None,
    witness_password: str,
) -> Discrepancy:
    """Resolve with an explanation and a witness. ``adjust_book`` brings the book to the count
    with a correction entry (a real loss); otherwise the explanation says why the book was right
    (a miscount, found stock)."""
    _require_provider(by, "resolve a discrepancy")
    locked = _lock(discrepancy)
    if locked.is_resolved:
        raise ValidationError("This discrepancy is already resolved.")
    explanation = explanation.strip()
    if not explanation:
        raise ValidationError("Explain the discrepancy: what was found and why.")
    _check_witness(
        witness=witness, password=witness_password, by=by, what="Resolving a discrepancy"
    )
    if adjust_book:
        locked.correction = _ledger_append(
            lot=locked.lot,
            kind=Kind.CORRECTION,
            change_mg=Decimal(locked.difference_mg),
            by=by,
            witness=witness,
            reason=f"Book brought to the count: {explanation}",
            corrects=locked.count,
        )
    locked.explanation = explanation
    locked.resolved_at = timezone.now()
    locked.resolved_by = by
    locked.resolution_witness = witness
    locked.save()
    return locked
