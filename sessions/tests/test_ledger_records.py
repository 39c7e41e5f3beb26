"""The records DEA expects of a Schedule III practitioner (issue 13): registrant, receipt, units,
balance as the sum of entries, witnessed counts and corrections, discrepancies and the theft or
loss deadlines, inventories, destruction, and the reports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD, client_for, make_user
from kap_clinic import demo as staff_demo
from kap_clinic import roles
from kap_clinic.models import AccessEvent
from sessions import demo, ledger_selectors, selectors, services
from sessions.admin import DestructionAdmin, DiscrepancyAdmin, InventoryAdmin, RegistrantAdmin
from sessions.models import (
    Destruction,
    Discrepancy,
    Inventory,
    InventoryLine,
    LedgerEntry,
    Lot,
    Registrant,
)
from sessions.tests.factories import (
    SUPPLIER_DEA_NUMBER,
    dose,
    ledger_witness,
    make_lot,
    make_registrant,
    make_session,
    prepare,
    witnessed,
)

D = Decimal
pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _receipt(**kw) -> dict:
    values = {
        "registrant": make_registrant(),
        "lot_number": "KET-R1",
        "ndc": "0143-9508-10",
        "supplier": "Hikma",
        "supplier_dea_number": SUPPLIER_DEA_NUMBER,
        "invoice_number": "INV-9",
        "concentration_mg_per_ml": D("100"),
        "vial_volume_ml": D("5"),
        "vial_count": 4,
        "expires_on": TODAY() + dt.timedelta(days=200),
        **witnessed(),
    }
    values.update(kw)
    return values


# --- registrant ------------------------------------------------------------------------------


def test_registrant_refuses_a_malformed_dea_number_in_the_admin_form() -> None:
    registrant = Registrant(name="Site", address="x", dea_number="fk1234564")
    with pytest.raises(ValidationError, match="check digit"):
        registrant.full_clean()
    registrant.dea_number = "fk1234563"
    registrant.full_clean()
    assert registrant.dea_number == "FK1234563"


def test_expired_registration_blocks_receipts_and_doses(provider, clinician) -> None:
    registrant = make_registrant()
    lot = make_lot(by=provider, registrant=registrant)
    Registrant.objects.filter(pk=registrant.pk).update(expires_on=TODAY() - dt.timedelta(days=1))
    registrant.refresh_from_db()
    with pytest.raises(ValidationError, match="expired"):
        services.lot_receive(by=provider, **_receipt(registrant=registrant, lot_number="KET-X"))
    assert not Lot.objects.filter(lot_number="KET-X").exists()
    session = prepare(make_session(by=clinician), by=clinician)
    with pytest.raises(ValidationError, match="DEA registration FK1234563 expired"):
        dose(session, by=clinician, lot=lot, provider=provider)
    assert not LedgerEntry.objects.filter(kind="administration").exists()
    assert selectors.usable_lots() == []


def test_registration_expiring_within_60_days_is_a_warning_not_a_block(provider) -> None:
    registrant = make_registrant(expires_on=TODAY() + dt.timedelta(days=60))
    lot = services.lot_receive(by=provider, **_receipt(registrant=registrant))
    status = ledger_selectors.registrant_statuses()[0]
    assert status.warning.endswith("renew it.") and not status.problem
    Registrant.objects.filter(pk=registrant.pk).update(expires_on=TODAY() + dt.timedelta(days=61))
    assert not ledger_selectors.registrant_statuses()[0].warning
    assert lot.registrant == registrant


def test_a_registrant_without_a_dea_number_cannot_receive(provider) -> None:
    registrant = Registrant.objects.create(name="Carried over", address="x")
    with pytest.raises(ValidationError, match="Record the DEA number"):
        services.lot_receive(by=provider, **_receipt(registrant=registrant))
    assert "not recorded" in ledger_selectors.registrant_statuses()[0].problem


def test_each_registrant_keeps_its_own_ledger_and_reports(provider) -> None:
    first = make_registrant()
    second = make_registrant(dea_number="BM1234563", name="Second site")
    make_lot(by=provider, number="A-1", registrant=first)
    make_lot(by=provider, number="B-1", registrant=second, vials=2)
    rows, totals = ledger_selectors.reconciliation(registrant=second, start=TODAY(), end=TODAY())
    assert [r.lot.lot_number for r in rows] == ["B-1"] and totals.closing == D("1000.0")
    assert [lot.lot_number for lot, _b in selectors.lot_balances(registrant=first)] == ["A-1"]


# --- receipt ---------------------------------------------------------------------------------


def test_receipt_records_what_1304_22_c_asks(provider) -> None:
    witness = ledger_witness()
    lot = services.lot_receive(by=provider, **_receipt())
    lot = Lot.objects.get(pk=lot.pk)
    assert (lot.ndc, lot.supplier_dea_number, lot.invoice_number) == (
        "0143-9508-10",
        SUPPLIER_DEA_NUMBER,
        "INV-9",
    )
    assert (lot.received_by, lot.witnessed_by) == (provider, witness)
    assert lot.received_mg == D("2000.0")  # 4 × 5 mL × 100 mg/mL
    receipt = LedgerEntry.objects.get(lot=lot)
    assert (receipt.kind, receipt.change_mg, receipt.change_ml, receipt.witness) == (
        "receipt",
        D("2000.0"),
        D("20.00"),
        witness,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ndc": "01439508"}, "NDC"),
        ({"supplier_dea_number": "RH1234564"}, "Supplier's DEA number"),
        ({"invoice_number": " "}, "invoice"),
        ({"expires_on": dt.date(2025, 6, 30)}, "an expired lot is refused"),
        ({"witness_password": "wrong"}, "password is not correct"),
    ],
)
def test_incomplete_or_expired_receipt_is_refused_and_writes_nothing(
    provider, change, message
) -> None:
    with pytest.raises(ValidationError, match=message):
        services.lot_receive(by=provider, **_receipt(**change))
    assert not Lot.objects.exists() and not LedgerEntry.objects.exists()


def test_lot_within_30_days_of_expiry_is_flagged_and_expired_stock_goes_to_the_worklist(
    provider,
) -> None:
    near = make_lot(by=provider, number="NEAR", expires_on=TODAY() + dt.timedelta(days=30))
    later = make_lot(by=provider, number="LATER", expires_on=TODAY() + dt.timedelta(days=31))
    assert near.expires_soon() and not later.expires_soon()
    worklist = ledger_selectors.ledger_worklist()
    assert [lot for lot, _b in worklist.near_expiry] == [near] and worklist.expired == []
    later_on = TODAY() + dt.timedelta(days=31)
    assert [lot for lot, _b in ledger_selectors.ledger_worklist(on=later_on).expired] == [near]


def test_provider_home_page_lists_expired_stock_for_destruction(as_provider, provider) -> None:
    lot = make_lot(by=provider, number="OLD-1", expires_on=TODAY() + dt.timedelta(days=2))
    with time_machine.travel(timezone.now() + dt.timedelta(days=4)):
        page = client_for(provider).get(reverse("home")).content.decode()
    assert 'data-testid="worklist-expired"' in page
    assert reverse("sessions:lot_destroy", args=[lot.pk]) in page


# --- units and balance -----------------------------------------------------------------------


def test_balances_in_mg_ml_and_vials(as_provider, provider) -> None:
    lot = make_lot(by=provider, vials=10)  # 50 mg/mL × 10 mL
    services.ledger_waste(lot=lot, quantity_mg=D("104.4"), reason="x", by=provider, **witnessed())
    page = as_provider.get(reverse("sessions:lot_detail", args=[lot.pk])).content.decode()
    assert 'data-testid="lot-balance">4895.6 mg<' in page
    assert 'data-testid="lot-balance-ml">97.91 mL<' in page
    assert 'data-testid="lot-balance-vials">9 + 7.91 mL vials<' in page


def test_balance_is_the_sum_of_entries_whatever_order_they_were_stamped(
    provider, clinician
) -> None:
    lot = make_lot(by=provider, vials=2, received_at=timezone.now() - dt.timedelta(days=1))
    services.ledger_waste(lot=lot, quantity_mg=D("35.0"), reason="x", by=provider, **witnessed())
    # A dose recorded after the waste but stamped two hours earlier (entered late at the chair).
    with time_machine.travel(timezone.now() - dt.timedelta(hours=3), tick=False):
        session = prepare(make_session(by=clinician), by=clinician)
    dose(
        session,
        by=clinician,
        lot=lot,
        provider=provider,
        started_at=timezone.now() - dt.timedelta(hours=2),
    )
    latest = LedgerEntry.objects.filter(lot=lot).order_by("-recorded_at").first()
    assert latest.kind == "waste" and latest.balance_after_mg == D("965.0")  # the old answer
    assert selectors.lot_balance(lot) == D("930.0")  # 1000 − 35 − 35
    assert selectors.lot_balances() == [(lot, D("930.0"))]
    running = ledger_selectors.lot_running_entries(lot)
    assert [r for _e, r in running] == [D("1000.0"), D("965.0"), D("930.0")]
    # Nor can an out-of-order entry take the sum below zero.
    with pytest.raises(ValidationError, match="below zero"):
        services.ledger_waste(
            lot=lot, quantity_mg=D("930.1"), reason="x", by=provider, **witnessed()
        )


# --- counts, discrepancies, theft or loss -----------------------------------------------------


def test_count_needs_a_witness(provider) -> None:
    lot = make_lot(by=provider)
    for bad in ({"witness": None, "witness_password": ""}, {"witness": provider}):
        with pytest.raises(ValidationError, match="witness"):
            services.ledger_count(lot=lot, counted_mg=D("1"), by=provider, **{**witnessed(), **bad})
    assert not LedgerEntry.objects.filter(kind="count").exists()


def test_a_matching_count_opens_nothing(provider) -> None:
    lot = make_lot(by=provider)
    services.ledger_count(lot=lot, counted_mg=D("5000"), by=provider, **witnessed())
    assert not Discrepancy.objects.exists()


def _short_count(provider, *, short: str = "50") -> Discrepancy:
    lot = make_lot(by=provider)
    entry = services.ledger_count(
        lot=lot, counted_mg=D("5000") - D(short), by=provider, **witnessed()
    )
    return entry.discrepancy


def test_a_short_count_is_on_the_provider_home_page_and_the_ledger_until_resolved(
    provider, as_provider
) -> None:
    found = _short_count(provider)
    assert found.difference_mg == D("-50.0") and found.difference_ml == D("-1.00")
    for url in (reverse("home"), reverse("sessions:ledger")):
        page = as_provider.get(url).content.decode()
        assert "count short by 50.0 mg (1.00 mL)" in page
    with pytest.raises(ValidationError, match="Explain"):
        services.discrepancy_resolve(
            discrepancy=found, explanation=" ", adjust_book=True, by=provider, **witnessed()
        )
    with pytest.raises(ValidationError, match="witness"):
        services.discrepancy_resolve(
            discrepancy=found,
            explanation="Spilled",
            adjust_book=True,
            by=provider,
            witness=provider,
            witness_password=PASSWORD,
        )
    resolved = services.discrepancy_resolve(
        discrepancy=found,
        explanation="Vial dropped and broke during the count; photographed.",
        adjust_book=True,
        by=provider,
        **witnessed(),
    )
    assert resolved.correction.change_mg == D("-50.0")
    assert resolved.correction.corrects == found.count
    assert selectors.lot_balance(found.lot) == D("4950.0")
    assert ledger_selectors.discrepancies_needing_action() == []
    assert "count short" not in as_provider.get(reverse("home")).content.decode()
    with pytest.raises(ValidationError, match="already resolved"):
        services.discrepancy_resolve(
            discrepancy=found, explanation="again", adjust_book=False, by=provider, **witnessed()
        )


def test_clinician_home_page_does_not_show_the_ledger_worklist(provider, as_clinician) -> None:
    _short_count(provider)
    assert "count short" not in as_clinician.get(reverse("home")).content.decode()


def test_theft_or_loss_puts_both_dea_deadlines_on_the_worklist_and_records_the_dates_done(
    provider, as_provider
) -> None:
    friday = timezone.make_aware(dt.datetime.combine(dt.date(2026, 12, 4), dt.time(16)))
    with time_machine.travel(friday, tick=False):
        found = _short_count(provider)
        found = services.discrepancy_report_loss(discrepancy=found, by=provider)
    # Written notice: one business day (Monday); Form 106: 45 days (21 CFR 1301.76(b)).
    assert (found.notice_due_on, found.form_106_due_on) == (
        dt.date(2026, 12, 7),
        dt.date(2027, 1, 18),
    )
    with time_machine.travel(friday + dt.timedelta(days=3), tick=False):
        page = client_for(provider).get(reverse("home")).content.decode()
        assert re.search(r'data-testid="notice-due">2026-12-07<', page)
        assert re.search(r'data-testid="form-106-due">2027-01-18<', page)
        with pytest.raises(ValidationError, match="before the loss was discovered"):
            services.discrepancy_record_notice(
                discrepancy=found, sent_on=dt.date(2026, 12, 3), by=provider
            )
        with pytest.raises(ValidationError, match="future"):
            services.discrepancy_record_notice(
                discrepancy=found, sent_on=dt.date(2026, 12, 8), by=provider
            )
        services.discrepancy_record_notice(
            discrepancy=found, sent_on=dt.date(2026, 12, 7), by=provider
        )
        with pytest.raises(ValidationError, match="already recorded"):
            services.discrepancy_record_notice(
                discrepancy=found, sent_on=dt.date(2026, 12, 7), by=provider
            )
        services.discrepancy_resolve(
            discrepancy=found,
            explanation="Theft from the locked cabinet; police report 26-1234.",
            adjust_book=True,
            by=provider,
            **witnessed(),
        )
        # Resolved, but Form 106 is still due: it stays on the worklist.
        assert ledger_selectors.discrepancies_needing_action() == [found]
        services.discrepancy_record_form_106(
            discrepancy=found, filed_on=dt.date(2026, 12, 7), reference="TLR-99", by=provider
        )
        assert ledger_selectors.discrepancies_needing_action() == []
    found.refresh_from_db()
    assert (found.notice_sent_on, found.form_106_filed_on, found.form_106_reference) == (
        dt.date(2026, 12, 7),
        dt.date(2026, 12, 7),
        "TLR-99",
    )


def test_a_count_over_the_book_is_not_a_loss(provider) -> None:
    lot = make_lot(by=provider)
    over = services.ledger_count(lot=lot, counted_mg=D("5010"), by=provider, **witnessed())
    with pytest.raises(ValidationError, match="not a loss"):
        services.discrepancy_report_loss(discrepancy=over.discrepancy, by=provider)


# --- corrections -----------------------------------------------------------------------------


def test_a_correction_needs_a_witness_and_a_reason(provider) -> None:
    lot = make_lot(by=provider)
    with pytest.raises(ValidationError, match="needs a witness"):
        services.ledger_correct(
            lot=lot,
            change_mg=D("405"),
            reason="found",
            by=provider,
            witness=None,
            witness_password="",
        )
    with pytest.raises(ValidationError, match="password is not correct"):
        services.ledger_correct(
            lot=lot,
            change_mg=D("405"),
            reason="found",
            by=provider,
            witness=ledger_witness(),
            witness_password="guess",
        )
    assert selectors.lot_balance(lot) == D("5000.0")
    fix = services.ledger_correct(
        lot=lot, change_mg=D("-5"), reason="recount", by=provider, **witnessed()
    )
    assert fix.witness == ledger_witness()


# --- inventories -----------------------------------------------------------------------------


def test_initial_then_biennial_inventory_with_the_next_date_on_the_worklist(provider) -> None:
    registrant = make_registrant()
    lot = make_lot(by=provider, received_at=timezone.now() - dt.timedelta(days=3))
    yesterday = TODAY() - dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="initial inventory first"):
        services.inventory_take(
            registrant=registrant,
            kind="biennial",
            taken_on=yesterday,
            as_of="close",
            counts={lot.pk: (D("5000"), False)},
            by=provider,
        )
    with pytest.raises(ValidationError, match="Count every lot on hand: KET-001"):
        services.inventory_take(
            registrant=registrant,
            kind="initial",
            taken_on=yesterday,
            as_of="close",
            counts={},
            by=provider,
        )
    initial = services.inventory_take(
        registrant=registrant,
        kind="initial",
        taken_on=yesterday,
        as_of="close",
        counts={lot.pk: (D("4987.5"), True)},  # an opened vial, estimated
        by=provider,
    )
    line = InventoryLine.objects.get(inventory=initial)
    assert (line.book_mg, line.on_hand_mg, line.estimated) == (D("5000.0"), D("4987.5"), True)
    status = ledger_selectors.registrant_statuses()[0]
    assert status.inventory_due == yesterday.replace(year=yesterday.year + 2)
    with pytest.raises(ValidationError, match="already has its initial"):
        services.inventory_take(
            registrant=registrant,
            kind="initial",
            taken_on=TODAY(),
            as_of="opening",
            counts={lot.pk: (D("5000"), False)},
            by=provider,
        )
    biennial = services.inventory_take(
        registrant=registrant,
        kind="biennial",
        taken_on=TODAY(),
        as_of="opening",
        counts={lot.pk: (D("5000"), False)},
        by=provider,
    )
    assert ledger_selectors.next_inventory(registrant) == (
        "biennial",
        TODAY().replace(year=TODAY().year + 2),
    )
    for attempt in (biennial.save, biennial.delete, line.save, line.delete):
        with pytest.raises(TypeError):
            attempt()


def test_only_a_provider_signs_an_inventory(clinician) -> None:
    with pytest.raises(ValidationError, match="Only a medical provider"):
        services.inventory_take(
            registrant=make_registrant(),
            kind="initial",
            taken_on=TODAY(),
            as_of="close",
            counts={},
            by=clinician,
        )


def test_inventory_taken_in_the_browser_prints_with_the_registrant(as_provider, provider) -> None:
    registrant = make_registrant()
    lot = make_lot(by=provider, received_at=timezone.now() - dt.timedelta(days=2))
    url = reverse("sessions:inventory_take")
    header = {
        "registrant": registrant.pk,
        "kind": "initial",
        "taken_on": TODAY().isoformat(),
        "as_of": "opening",
    }
    form = as_provider.get(url, header).content.decode()
    assert f'name="lot_{lot.pk}_mg"' in form and 'value="5000.0"' in form
    bad = as_provider.post(url, {**header, f"lot_{lot.pk}_mg": ""})
    assert bad.status_code == 400 and not Inventory.objects.exists()
    ok = as_provider.post(url, {**header, f"lot_{lot.pk}_mg": "4990.0"})
    inventory = Inventory.objects.get()
    assert ok.status_code == 302 and ok.url == reverse(
        "sessions:inventory_detail", args=[inventory.pk]
    )
    page = as_provider.get(ok.url).content.decode()
    assert "FK1234563" in page and "css/ledger_print.css" in page
    assert 'data-testid="line-KET-001">4990.0' in page


# --- destruction -----------------------------------------------------------------------------


def test_destruction_needs_two_different_witnesses_and_is_not_waste(provider) -> None:
    lot = make_lot(by=provider, vials=1)
    second = make_user("second_witness", roles.MEDICAL_PROVIDER)
    args = {
        "lot": lot,
        "quantity_mg": D("500"),
        "method": "Denaturing kit",
        "reason": "Expired",
        "by": provider,
        **witnessed(),
    }
    with pytest.raises(ValidationError, match="two different witnesses"):
        services.stock_destroy(
            **args, second_witness=ledger_witness(), second_witness_password=PASSWORD
        )
    with pytest.raises(ValidationError, match="password is not correct"):
        services.stock_destroy(**args, second_witness=second, second_witness_password="x")
    record = services.stock_destroy(**args, second_witness=second, second_witness_password=PASSWORD)
    assert record.entry.kind == "destruction" and record.entry.change_mg == D("-500.0")
    assert (record.entry.witness, record.second_witness) == (ledger_witness(), second)
    assert selectors.lot_balance(lot) == D("0.0")
    for attempt in (record.save, record.delete):
        with pytest.raises(TypeError):
            attempt()
    assert Destruction.objects.count() == 1


# --- reports ---------------------------------------------------------------------------------


def _page_rows(html: str) -> list[list[str]]:
    table = html[html.index('data-testid="reconciliation"') :]
    table = table[: table.index("</table>")]
    rows = []
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)[1:]:
        cells = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr, flags=re.S)
        ]
        rows.append(cells)
    return rows


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))[1:]


def _assert_csv_matches_page(client, query: dict) -> list[list[str]]:
    page = client.get(reverse("sessions:ledger_report"), query)
    assert page.status_code == 200
    rows = _page_rows(page.content.decode())
    sheet = _csv_rows(
        client.get(reverse("sessions:ledger_report_csv", args=["reconciliation"]), query).content
    )
    assert len(rows) == len(sheet) > 0
    for shown, written in zip(rows, sheet, strict=True):
        # lot, opening … closing, balances: the same figures in the same order
        assert shown[0] == written[0]
        assert shown[3:10] == written[3:10]
        assert shown[11] == written[11]
    return sheet


def test_reconciliation_adds_up_every_kind_of_entry_and_its_csv_matches_the_page(
    provider, clinician, as_provider
) -> None:
    registrant = make_registrant()
    lot = make_lot(by=provider, vials=4, received_at=timezone.now() - dt.timedelta(days=40))
    session = prepare(make_session(by=clinician), by=clinician)
    dose(session, by=clinician, lot=lot, provider=provider)  # 35.0 mg
    services.ledger_waste(lot=lot, quantity_mg=D("15"), reason="rest", by=provider, **witnessed())
    services.ledger_correct(lot=lot, change_mg=D("-2.5"), reason="x", by=provider, **witnessed())
    services.stock_destroy(
        lot=lot,
        quantity_mg=D("500"),
        method="kit",
        reason="vial cracked",
        by=provider,
        second_witness=make_user("w2", roles.MEDICAL_PROVIDER),
        second_witness_password=PASSWORD,
        **witnessed(),
    )
    start, end = TODAY() - dt.timedelta(days=7), TODAY()
    rows, totals = ledger_selectors.reconciliation(registrant=registrant, start=start, end=end)
    row = rows[0]
    assert (row.opening, row.received, row.administered, row.wasted) == (
        D("2000.0"),
        D("0.0"),
        D("35.0"),
        D("15.0"),
    )
    assert (row.destroyed, row.corrections, row.closing) == (D("500.0"), D("-2.5"), D("1447.5"))
    assert row.balances and totals.balances and totals.closing == selectors.lot_balance(lot)
    query = {"registrant": registrant.pk, "start": start.isoformat(), "end": end.isoformat()}
    _assert_csv_matches_page(as_provider, query)
    administrations = _csv_rows(
        as_provider.get(
            reverse("sessions:ledger_report_csv", args=["administrations"]), query
        ).content
    )
    patient = session.course.patient
    assert administrations == [
        [
            timezone.localtime(session.ledger_entry.recorded_at).strftime("%Y-%m-%d %H:%M"),
            patient.mrn,
            "1",
            "35.0",
            "0.70",
            "KET-001",
            clinician.get_full_name(),
            clinician.get_full_name(),
        ]
    ]


def test_reconciliation_on_the_demo_data_balances_to_a_tenth_and_its_csv_matches(
    as_provider,
) -> None:
    now = timezone.now()
    staff = staff_demo.seed_staff(password="demo-password-for-tests")
    demo.seed(staff=staff, now=now)
    registrant = Registrant.objects.get()
    start = TODAY() - dt.timedelta(days=400)
    rows, totals = ledger_selectors.reconciliation(registrant=registrant, start=start, end=TODAY())
    assert {r.lot.lot_number for r in rows} == {"DEMO-KET-0426", "DEMO-KET-0319"}
    for row in [*rows, totals]:
        assert abs(row.computed - row.closing) < D("0.1")
    for row in rows:
        assert row.closing == selectors.lot_balance(row.lot)
    near = next(r for r in rows if r.lot.lot_number == "DEMO-KET-0319")
    assert (near.received, near.corrections, near.closing) == (
        D("1000.0"),
        D("-2.5"),
        D("997.5"),
    )
    sheet = _assert_csv_matches_page(
        as_provider,
        {"registrant": registrant.pk, "start": start.isoformat(), "end": TODAY().isoformat()},
    )
    assert sheet[-1][0] == "Total" and sheet[-1][-1] == "yes"
    resolved = Discrepancy.objects.get()
    assert resolved.is_resolved and resolved.resolution_witness is not None


def test_administrations_report_is_audited_per_patient(provider, clinician, as_provider) -> None:
    lot = make_lot(by=provider)
    session = prepare(make_session(by=clinician), by=clinician)
    dose(session, by=clinician, lot=lot, provider=provider)
    before = AccessEvent.objects.count()
    as_provider.get(reverse("sessions:ledger_report"))
    event = AccessEvent.objects.order_by("-id").first()
    assert AccessEvent.objects.count() == before + 1
    assert (
        event.patient_id == session.course.patient_id
        and event.what == "controlled-substance report"
    )


@pytest.mark.parametrize("model_admin", [DiscrepancyAdmin, InventoryAdmin, DestructionAdmin])
def test_admin_shows_the_dea_records_read_only(rf, clinic_admin, model_admin) -> None:
    request = rf.get("/")
    request.user = clinic_admin
    instance = model_admin(model_admin.list_display and Discrepancy, admin.site)
    assert not instance.has_add_permission(request)
    assert not instance.has_change_permission(request)
    assert not instance.has_delete_permission(request)
    assert instance.get_actions(request) == {}


def test_admin_edits_a_registrant_but_never_deletes_one(rf, clinic_admin) -> None:
    request = rf.get("/")
    request.user = clinic_admin
    instance = RegistrantAdmin(Registrant, admin.site)
    assert instance.has_change_permission(request)
    assert not instance.has_delete_permission(request)


def test_ledger_worklist_costs_the_same_queries_for_one_lot_or_many(
    provider, django_assert_num_queries
) -> None:
    make_lot(by=provider, number="Q-0")
    services.ledger_count(lot=Lot.objects.get(), counted_mg=D("4990"), by=provider, **witnessed())
    with django_assert_num_queries(4) as one:
        ledger_selectors.ledger_worklist()
    for n in range(1, 6):
        make_lot(by=provider, number=f"Q-{n}", expires_on=TODAY() + dt.timedelta(days=10))
    with django_assert_num_queries(len(one.captured_queries)):
        ledger_selectors.ledger_worklist()
