from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD, make_user
from kap_clinic import roles
from sessions import selectors, services
from sessions.admin import LedgerEntryAdmin, LotAdmin
from sessions.models import LedgerEntry, Lot
from sessions.tests.factories import (
    SUPPLIER_DEA_NUMBER,
    dose,
    make_lot,
    make_registrant,
    make_session,
    prepare,
    witnessed,
)

D = Decimal
pytestmark = pytest.mark.django_db


def test_receive_three_doses_and_witnessed_waste_balance_to_a_tenth(clinician, provider) -> None:
    lot = make_lot(by=provider, vials=10)  # 10 × 500 mg/10 mL
    assert selectors.lot_balance(lot) == D("5000.0")
    totals = []
    for weight, rate in (("70", "0.5"), ("81.7", "0.75"), ("56.3", "0.5")):
        session = prepare(make_session(by=clinician), by=clinician)
        totals.append(
            dose(
                session,
                by=clinician,
                lot=lot,
                provider=provider,
                weight=weight,
                rate=rate,
                weight_confirmed=True,
            ).total_mg
        )
    assert totals == [D("35.0"), D("61.3"), D("28.2")]  # 61.275 and 28.15 round half up
    remainder = D("500.0") - sum(totals)  # the rest of the first vial
    services.ledger_waste(
        lot=lot,
        quantity_mg=remainder,
        reason="Remainder of vial 1",
        witness=clinician,
        witness_password=PASSWORD,
        by=provider,
    )
    entries = list(LedgerEntry.objects.filter(lot=lot))
    assert [e.kind for e in entries] == [
        "receipt",
        "administration",
        "administration",
        "administration",
        "waste",
    ]
    assert selectors.lot_balance(lot) == D("4500.0")  # nine full vials left
    assert sum(e.change_mg for e in entries) == D("4500.0")
    assert entries[1].session.total_mg == D("35.0")


@pytest.mark.parametrize("witness", ["none", "self"])
def test_waste_without_another_witness_is_refused(provider, witness) -> None:
    lot = make_lot(by=provider)
    chosen = None if witness == "none" else provider
    with pytest.raises(ValidationError, match="witness"):
        services.ledger_waste(
            lot=lot,
            quantity_mg=D("10"),
            reason="spill",
            witness=chosen,
            witness_password=PASSWORD,
            by=provider,
        )
    assert selectors.lot_balance(lot) == D("5000.0")


def test_waste_witness_must_confirm_with_their_own_password(provider, clinician) -> None:
    lot = make_lot(by=provider)
    with pytest.raises(ValidationError, match="password is not correct"):
        services.ledger_waste(
            lot=lot,
            quantity_mg=D("10"),
            reason="spill",
            witness=clinician,
            witness_password="wrong",
            by=provider,
        )


def test_database_refuses_waste_witnessed_by_the_recorder(provider) -> None:
    lot = make_lot(by=provider)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            lot=lot,
            kind="waste",
            change_mg=D("-1"),
            balance_after_mg=D("4999"),
            witness=provider,
            recorded_by=provider,
        )


def test_only_providers_write_the_ledger(clinician) -> None:
    with pytest.raises(ValidationError, match="Only a medical provider"):
        make_lot(by=clinician)


def test_balance_can_never_go_below_zero(provider) -> None:
    lot = make_lot(by=provider, vials=1)
    with pytest.raises(ValidationError, match="below zero"):
        services.ledger_correct(
            lot=lot, change_mg=D("-500.1"), reason="recount", by=provider, **witnessed()
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            lot=lot,
            kind="correction",
            change_mg=D("-600"),
            balance_after_mg=D("-100"),
            reason="x",
            recorded_by=provider,
        )


def test_count_records_a_discrepancy_and_a_correction_resolves_it(provider) -> None:
    lot = make_lot(by=provider, vials=1)
    count = services.ledger_count(lot=lot, counted_mg=D("495.0"), by=provider, **witnessed())
    assert count.discrepancy_mg == D("-5.0")
    assert selectors.lot_balance(lot) == D("500.0")  # a count does not move the balance
    with pytest.raises(ValidationError, match="needs a reason"):
        services.ledger_correct(lot=lot, change_mg=D("-5"), reason=" ", by=provider, **witnessed())
    fix = services.ledger_correct(
        lot=lot,
        change_mg=D("-5"),
        reason="Vial overfill loss",
        by=provider,
        corrects=count,
        **witnessed(),
    )
    assert fix.balance_after_mg == D("495.0") and fix.corrects == count


def test_entries_and_lots_cannot_be_edited_or_deleted(provider) -> None:
    lot = make_lot(by=provider)
    entry = LedgerEntry.objects.get(lot=lot)
    entry.change_mg = D("1")
    for attempt in (
        entry.save,
        entry.delete,
        lambda: LedgerEntry.objects.filter(pk=entry.pk).update(change_mg=D("1")),
        lambda: LedgerEntry.objects.filter(pk=entry.pk).delete(),
        lot.save,
        lot.delete,
        lambda: Lot.objects.all().update(vial_count=1),
        lambda: Lot.objects.all().delete(),
    ):
        with pytest.raises(TypeError, match="append-only|cannot be changed"):
            attempt()
    assert LedgerEntry.objects.get(pk=entry.pk).change_mg == D("5000.0")


@pytest.mark.parametrize("model_admin", [LedgerEntryAdmin, LotAdmin])
def test_admin_cannot_add_change_delete_or_run_actions_on_the_ledger(
    rf, clinic_admin, model_admin
) -> None:
    request = rf.get("/")
    request.user = clinic_admin
    instance = model_admin(model_admin.list_display and LedgerEntry, admin.site)
    assert not instance.has_add_permission(request)
    assert not instance.has_change_permission(request)
    assert not instance.has_delete_permission(request)
    assert instance.get_actions(request) == {}


def test_admin_pages_refuse_edits_and_deletes_of_an_entry(provider) -> None:
    from django.contrib.auth.models import User

    from conftest import client_for

    superuser = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    lot = make_lot(by=provider)
    entry = LedgerEntry.objects.get(lot=lot)
    client = client_for(superuser)
    change = reverse("admin:clinic_sessions_ledgerentry_change", args=[entry.pk])
    delete = reverse("admin:clinic_sessions_ledgerentry_delete", args=[entry.pk])
    assert client.post(change, {"change_mg": "1"}).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:clinic_sessions_ledgerentry_changelist")
    response = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [entry.pk]}
    )
    assert response.status_code in (200, 302)
    assert LedgerEntry.objects.filter(pk=entry.pk, change_mg=D("5000.0")).exists()


def test_views_have_no_edit_or_delete_for_entries(as_provider, provider) -> None:
    lot = make_lot(by=provider)
    entry = LedgerEntry.objects.get(lot=lot)
    url = reverse("sessions:lot_detail", args=[lot.pk])
    # Unknown actions do nothing; there is no edit/delete action at all.
    for action in ("edit", "delete"):
        response = as_provider.post(url, {"action": action, "pk": entry.pk, "change_mg": "1"})
        assert response.status_code == 400
    assert list(LedgerEntry.objects.values_list("change_mg", flat=True)) == [D("5000.0")]
    from sessions import urls

    names = {p.name for p in urls.urlpatterns}
    assert not any("delete" in n or "edit" in n for n in names)


def test_inventory_for_a_date_shows_balances_as_they_stood(as_provider, provider) -> None:
    lot = make_lot(by=provider, vials=2, received_at=timezone.now() - dt.timedelta(days=3))
    witness = make_user("witness2", roles.CLINICIAN)
    services.ledger_waste(
        lot=lot,
        quantity_mg=D("100"),
        reason="broken vial",
        witness=witness,
        witness_password=PASSWORD,
        by=provider,
    )
    two_days_ago = timezone.localdate() - dt.timedelta(days=2)
    _at, rows = selectors.inventory_on(two_days_ago)
    assert rows == [(lot, D("1000.0"))]
    response = as_provider.get(reverse("sessions:inventory"), {"on": two_days_ago.isoformat()})
    assert response.status_code == 200
    assert 'data-testid="inventory-KET-001">1000.0<' in response.content.decode()
    response = as_provider.get(reverse("sessions:inventory"))
    assert 'data-testid="inventory-total">900.0<' in response.content.decode()


def test_clinicians_see_balances_but_not_entries(as_clinician, provider) -> None:
    lot = make_lot(by=provider)
    response = as_clinician.get(reverse("sessions:ledger"))
    assert response.status_code == 200
    assert 'data-testid="balance-KET-001">5000.0<' in response.content.decode()
    assert reverse("sessions:lot_detail", args=[lot.pk]) not in response.content.decode()
    assert as_clinician.get(reverse("sessions:lot_detail", args=[lot.pk])).status_code == 403
    assert as_clinician.get(reverse("sessions:inventory")).status_code == 403
    assert as_clinician.post(reverse("sessions:ledger"), {}).status_code == 403


def test_provider_receives_a_lot_and_wastes_with_a_witness_in_the_browser(
    as_provider, provider, clinician
) -> None:
    response = as_provider.post(
        reverse("sessions:ledger"),
        {
            "registrant": make_registrant().pk,
            "lot_number": "KET-9",
            "ndc": "0143-9508-10",
            "supplier": "Hikma",
            "supplier_dea_number": SUPPLIER_DEA_NUMBER,
            "invoice_number": "INV-77",
            "witness": clinician.pk,
            "witness_password": PASSWORD,
            "concentration_mg_per_ml": "50",
            "vial_volume_ml": "10",
            "vial_count": "10",
            "expires_on": (timezone.localdate() + dt.timedelta(days=200)).isoformat(),
        },
    )
    lot = Lot.objects.get(lot_number="KET-9")
    assert response.status_code == 302
    url = reverse("sessions:lot_detail", args=[lot.pk])
    bad = as_provider.post(
        url,
        {
            "action": "waste",
            "quantity_mg": "5",
            "reason": "x",
            "witness": clinician.pk,
            "witness_password": "nope",
        },
    )
    assert bad.status_code == 400 and "password is not correct" in bad.content.decode()
    ok = as_provider.post(
        url,
        {
            "action": "waste",
            "quantity_mg": "5",
            "reason": "x",
            "witness": clinician.pk,
            "witness_password": PASSWORD,
        },
    )
    assert ok.status_code == 302
    page = as_provider.get(url).content.decode()
    assert 'data-testid="lot-balance">4995.0 mg<' in page
