"""The controlled-substance records DEA expects (issue 13), as a medical provider keeps them:
receive a lot with its NDC and the supplier's DEA number, dose from it at the chair, waste the
rest with a witness, find a count 50 mg short — which lands on the home page with the DEA
deadlines — and print the biennial inventory."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from sessions import dea, services
from sessions.models import Discrepancy, Inventory, LedgerEntry, Lot
from sessions.tests.factories import make_registrant, make_session, prepare


def test_provider_keeps_the_dea_records_from_receipt_to_biennial_inventory(
    page, sign_in, provider, clinician, clinic_clock
) -> None:
    registrant = make_registrant()
    today = timezone.localdate()
    services.inventory_take(
        registrant=registrant,
        kind="initial",
        taken_on=today - timedelta(days=3),
        as_of="close",
        counts={},
        by=provider,
    )
    session = prepare(make_session(by=clinician), by=clinician)

    sign_in(provider)
    page.get_by_test_id("home-area").get_by_role("link", name="Controlled substances").click()

    # Receive: from the invoice and the vials, witnessed by a clinician with her own password.
    receive = page.get_by_test_id("lot-receive-form")
    receive.get_by_label("Lot number").fill("HK-24017")
    receive.get_by_label("NDC").fill("0143-9510-01")
    receive.locator("#id_supplier").fill("Hikma Pharmaceuticals")
    receive.get_by_label("Supplier's DEA number").fill("RH1234563")
    receive.get_by_label("Invoice number").fill("INV-55821")
    receive.get_by_label("Concentration (mg/mL)").fill("10")
    receive.get_by_label("Volume per vial (mL)").fill("20")
    receive.get_by_label("Number of vials").fill("5")
    receive.get_by_label("Expires on").fill((today + timedelta(days=300)).isoformat())
    receive.get_by_role("combobox", name="Witness").select_option(label=clinician.get_full_name())
    receive.get_by_label("Witness's password").fill(PASSWORD)
    receive.get_by_role("button", name="Receive lot").click()
    expect(page.get_by_role("alert").filter(has_text="Lot HK-24017 received.")).to_be_visible()
    expect(page.get_by_test_id("lot-ndc")).to_have_text("0143-9510-01")
    expect(page.get_by_test_id("lot-supplier-dea")).to_have_text("RH1234563")
    expect(page.get_by_test_id("lot-balance")).to_have_text("1000.0 mg")
    expect(page.get_by_test_id("lot-balance-vials")).to_have_text("5 vials")
    lot = Lot.objects.get(lot_number="HK-24017")
    assert (lot.witnessed_by, lot.invoice_number) == (clinician, "INV-55821")

    # Dose from it at the chair: 70 kg × 0.5 mg/kg = 35.0 mg, 3.50 mL at 10 mg/mL.
    page.goto(reverse("sessions:session_detail", args=[session.pk]))
    dose = page.get_by_test_id("dose-form")
    dose.get_by_label("Weight today").fill("70")
    expect(page.locator("#dose-preview").get_by_test_id("dose-total")).to_have_text("35.0 mg")
    # Let the preview (htmx) finish before posting: the tests' SQLite locks on two writers.
    expect(dose.locator(".htmx-request")).to_have_count(0)
    dose.get_by_label("Lot / vial drawn from").select_option(value=str(lot.pk))
    dose.get_by_label("Administered by").select_option(label=clinician.get_full_name())
    dose.get_by_label("Supervising provider").select_option(label=provider.get_full_name())
    dose.get_by_role("button", name="Record dose").click()
    expect(page.get_by_role("alert").filter(has_text="Dose recorded.")).to_be_visible()

    # The lot page: the administration in mg and mL, linked to its session; waste with a witness.
    page.goto(reverse("sessions:lot_detail", args=[lot.pk]))
    expect(page.get_by_test_id("lot-balance")).to_have_text("965.0 mg")
    administration = page.get_by_test_id("ledger-entries").locator("tbody tr").nth(1)
    expect(administration).to_contain_text("-35.0")
    expect(administration).to_contain_text("-3.50")
    expect(administration.get_by_role("link")).to_have_attribute(
        "href", reverse("sessions:session_detail", args=[session.pk])
    )
    waste = page.get_by_test_id("waste-form")
    waste.get_by_label("Amount wasted (mg)").fill("5")
    waste.get_by_label("Reason").fill("Remainder drawn up for the session, not given.")
    waste.get_by_role("combobox", name="Witness").select_option(label=clinician.get_full_name())
    waste.get_by_label("Witness's password").fill(PASSWORD)
    waste.get_by_role("button", name="Record waste").click()
    expect(page.get_by_test_id("lot-balance")).to_have_text("960.0 mg")
    assert LedgerEntry.objects.get(lot=lot, kind="waste").witness == clinician

    # The end-of-day count finds 50 mg missing.
    count = page.get_by_test_id("count-form")
    count.get_by_label("Counted on hand (mg)").fill("910")
    count.get_by_role("combobox", name="Witness").select_option(label=clinician.get_full_name())
    count.get_by_label("Witness's password").fill(PASSWORD)
    count.get_by_role("button", name="Record count").click()
    expect(page.get_by_test_id("discrepancy")).to_have_text("discrepancy -50.0 mg")
    page.get_by_test_id("lot-discrepancies").get_by_role("link").click()
    page.get_by_role("button", name="Report as theft or significant loss").click()
    notice_due, form_106_due = dea.loss_notice_due(today), dea.form_106_due(today)
    expect(page.get_by_test_id("notice-due")).to_have_text(f"{notice_due:%Y-%m-%d}")

    # It is on the provider's home page, with both DEA dates, until it is dealt with.
    page.get_by_role("link", name=settings.CLINIC_NAME).first.click()
    item = page.get_by_test_id("ledger-worklist").get_by_test_id("worklist-discrepancy")
    expect(item).to_contain_text("Lot HK-24017: count short by 50.0 mg (5.00 mL)")
    expect(item.get_by_test_id("notice-due")).to_have_text(f"{notice_due:%Y-%m-%d}")
    expect(item.get_by_test_id("form-106-due")).to_have_text(f"{form_106_due:%Y-%m-%d}")
    assert notice_due > today and form_106_due == today + timedelta(days=45)
    assert Discrepancy.objects.get().theft_or_loss

    # The biennial inventory: every lot on hand, as of close of business, signed, printed.
    page.get_by_test_id("ledger-worklist").get_by_test_id("worklist-inventory").get_by_role(
        "link"
    ).click()
    page.get_by_role("link", name="Take the biennial inventory").click()
    counting = page.get_by_test_id("inventory-count-form")
    on_hand = counting.get_by_label("Lot HK-24017 on hand (mg)")
    expect(on_hand).to_have_value("960.0")  # the book; the count found less
    on_hand.fill("910.0")
    counting.get_by_label("Opened container, estimated").check()
    counting.get_by_role("button", name="Sign the inventory").click()
    expect(page.get_by_role("alert").filter(has_text="Inventory signed.")).to_be_visible()
    expect(page.get_by_test_id("inventory-title")).to_contain_text("Biennial inventory")
    expect(page.get_by_test_id("registrant-dea")).to_have_text("FK1234563")
    expect(page.get_by_test_id("line-HK-24017")).to_contain_text("910.0")
    inventory = Inventory.objects.get(kind="biennial")
    assert inventory.signed_by == provider and inventory.lines.get().estimated

    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.get_by_test_id("inventory-lines")).to_be_visible()
    expect(page.get_by_test_id("inventory-signature")).to_contain_text("Signature:")
    shot = Path(settings.BASE_DIR) / "var" / "ledger_biennial_inventory_print.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
