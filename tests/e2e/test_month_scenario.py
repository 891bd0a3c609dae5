"""`make demo`'s month through the real services, broker and gateway, with every invoice amount computed by hand.

The scenario (deploy/demo/scenario.py) runs once for the module in the calendar month before today; each test
checks one rule on its outcome. Unit prices are the seeded vendor sell prices (catalog seed, from 2024-01-01)
of the tier billed for the month; quantities are the month-end figures of deploy/demo/cast.py summed over each
reseller's customers. Lines are rounded half up to the currency's minor unit (JPY has none); an FX invoice
rates and rounds in USD first, then converts and rounds again (docs/domain.md, Billing conventions).
"""

from __future__ import annotations

import asyncio
import calendar
import io
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import facturx
import pytest
import pytest_asyncio
from pypdf import PdfReader

from deploy.demo.cast import CLOUD_STORAGE, DR_COMPUTE, SERVERS, WORKSTATIONS
from deploy.demo.distributor_settings import CALENDARS, NOT_SUBJECT_TO_GERMAN_VAT
from deploy.demo.scenario import Month, demo_period, month_end, run_month
from tests.e2e.conftest import Suite

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "demo-documents"
CENT = Decimal("0.01")
YEN = Decimal("1")


def rounded(amount: Decimal, unit: Decimal = CENT) -> Decimal:
    return amount.quantize(unit, rounding=ROUND_HALF_UP)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def month(suite: Suite) -> AsyncIterator[Month]:
    async with suite.admin() as admin:
        synced = await admin.post("/api/v1/catalog/admin/services-definition/sync", json={})
        assert synced.status_code == 200, synced.text
        yield await run_month(admin, demo_period(datetime.now(UTC).date()))


def invoice_of(month: Month, key: str) -> dict[str, Any]:
    invoice = month.resellers[key].invoice
    assert invoice is not None, f"no invoice for {key}"
    assert invoice["status"] == "issued", invoice
    assert invoice["number"], invoice
    return dict(invoice["document"])


def usage_lines(document: dict[str, Any]) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """SKU -> (quantity, unit price, amount) of the usage lines."""
    return {
        line["sku"]: (Decimal(line["quantity"]), Decimal(line["unit_price"]), Decimal(line["amount"]))
        for line in document["lines"]
        if line["kind"] == "usage"
    }


def kinds(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [line for line in document["lines"] if line["kind"] == kind]


async def test_the_month_closes_with_one_invoice_per_paid_subscription_and_the_demo_fx_rates(month: Month) -> None:
    assert month.fx == {"CHF": "0.8412", "EUR": "0.9200"}  # a fresh suite has none: the demo published them
    assert month.close["invoiced"] == 4  # US, DE, JP, CH; the GB trial is never invoiced
    assert month.close["failed"] == []


async def test_upgrade_bills_the_whole_month_at_tier_3_topped_up_by_the_fee_plus_a_ticket_fee_from_eur(
    month: Month,
) -> None:
    change = month.resellers["us"].tier_change
    assert change is not None
    assert (change["direction"], change["effective_from"]) == ("upgrade", month.period.isoformat())
    doc = invoice_of(month, "us")
    assert (doc["tier"], doc["currency"], doc["fx"]) == ("Tier 3", "USD", None)
    # Tier 3, USD: 20 servers (6 + 4 + 3 + 7) x 23.80, 110 workstations (40 + 25 + 30 + 15) x 2.72,
    # 1,500.5 GB of cloud storage (350 + 500 + 250.5 + 400) x 0.051, 120 DR compute points x 0.2125.
    servers = rounded(Decimal(20) * Decimal("23.8"))  # 476.00
    workstations = rounded(Decimal(110) * Decimal("2.72"))  # 299.20
    storage = rounded(Decimal("1500.5") * Decimal("0.051"))  # 76.5255 -> 76.53
    compute = rounded(Decimal(120) * Decimal("0.2125"))  # 25.50
    assert usage_lines(doc) == {
        SERVERS: (Decimal(20), Decimal("23.8"), servers),
        WORKSTATIONS: (Decimal(110), Decimal("2.72"), workstations),
        CLOUD_STORAGE: (Decimal("1500.5"), Decimal("0.051"), storage),
        DR_COMPUTE: (Decimal(120), Decimal("0.2125"), compute),
    }
    usage_total = servers + workstations + storage + compute  # 877.23
    assert Decimal(doc["usage_total"]) == usage_total == Decimal("877.23")
    commitment = Decimal("1000.00")  # Tier 3's commitment applies to the whole month of the upgrade
    [fee] = kinds(doc, "commitment_fee")
    assert Decimal(fee["amount"]) == commitment - usage_total == Decimal("122.77")
    # The non-certified reseller's ticket fee: 45.00 EUR at 0.92 EUR per USD = 48.913... -> 48.91 USD.
    ticket_fee = rounded(Decimal("45.00") / Decimal("0.92"))
    [support] = kinds(doc, "support_charge")
    assert Decimal(support["amount"]) == ticket_fee == Decimal("48.91")
    assert Decimal(doc["subtotal"]) == commitment + ticket_fee == Decimal("1048.91")
    assert (Decimal(doc["tax"]), Decimal(doc["total"])) == (Decimal(0), Decimal("1048.91"))


async def test_ramp_up_month_bills_usage_only_below_the_commitment(month: Month) -> None:
    doc = invoice_of(month, "de")
    assert (doc["tier"], doc["currency"], doc["ramp_up_applied"]) == ("Tier 2", "EUR", True)
    # Tier 2, EUR: 9 servers (3 + 2 + 4) x 22.6688, 50 workstations (20 + 12 + 18) x 2.59072,
    # 670 GB (200 + 150 + 320) x 0.048576.
    servers = rounded(Decimal(9) * Decimal("22.6688"))  # 204.0192 -> 204.02
    workstations = rounded(Decimal(50) * Decimal("2.59072"))  # 129.536 -> 129.54
    storage = rounded(Decimal(670) * Decimal("0.048576"))  # 32.54592 -> 32.55
    assert {sku: amount for sku, (_, _, amount) in usage_lines(doc).items()} == {
        SERVERS: servers,
        WORKSTATIONS: workstations,
        CLOUD_STORAGE: storage,
    }
    usage_total = servers + workstations + storage  # 366.11, below the 460.00 EUR commitment
    assert Decimal(doc["commitment"]) == Decimal("460.00") > usage_total
    assert kinds(doc, "commitment_fee") == []  # the ramp-up waives the commitment: payable = usage
    assert Decimal(doc["usage_total"]) == Decimal(doc["subtotal"]) == Decimal("366.11")
    # A German buyer of a German seller: 19 % VAT (the demo's `tax-rates/DE` setting), round_half_up(69.5609)
    assert (doc["tax_treatment"], doc["tax_rate"], doc["tax_note"]) == ("standard", "19", None)
    assert (Decimal(doc["tax"]), Decimal(doc["total"])) == (Decimal("69.56"), Decimal("435.67"))


async def test_buyers_outside_germany_pay_no_german_vat_and_their_invoices_say_why(month: Month) -> None:
    for key in ("us", "jp", "ch"):
        doc = invoice_of(month, key)
        assert (doc["tax_treatment"], doc["tax_rate"], doc["tax"]) == ("standard", "0", "0" if key == "jp" else "0.00")
        assert doc["tax_note"] == NOT_SUBJECT_TO_GERMAN_VAT


async def test_yen_usage_above_the_commitment_is_billed_as_is_and_a_downgrade_waits_for_next_month(
    month: Month,
) -> None:
    change = month.resellers["jp"].tier_change
    assert change is not None
    assert change["direction"] == "downgrade"
    assert change["effective_from"] == month_end(month.period).date().isoformat()  # the 1st of the next month
    doc = invoice_of(month, "jp")
    assert (doc["tier"], doc["currency"]) == ("Tier 3", "JPY")  # the month stays at Tier 3
    # Tier 3, JPY (no minor unit): 25 servers (8 + 5 + 6 + 4 + 2) x 3,570, 130 workstations (40 + 30 + 20 + 15
    # + 25) x 408, 4,000.3 GB (700 + 900 + 600 + 800 + 1,000.3) x 7.65, 150 DR compute points x 31.875.
    servers = rounded(Decimal(25) * Decimal(3570), YEN)  # 89,250
    workstations = rounded(Decimal(130) * Decimal(408), YEN)  # 53,040
    storage = rounded(Decimal("4000.3") * Decimal("7.65"), YEN)  # 30,602.295 -> 30,602
    compute = rounded(Decimal(150) * Decimal("31.875"), YEN)  # 4,781.25 -> 4,781
    assert {sku: amount for sku, (_, _, amount) in usage_lines(doc).items()} == {
        SERVERS: servers,
        WORKSTATIONS: workstations,
        CLOUD_STORAGE: storage,
        DR_COMPUTE: compute,
    }
    usage_total = servers + workstations + storage + compute  # 177,673 >= the 150,000 JPY commitment
    assert usage_total == Decimal(177673) > Decimal(doc["commitment"]) == Decimal(150000)
    assert kinds(doc, "commitment_fee") == []
    assert kinds(doc, "support_charge") == []  # a certified service provider: its ticket is free
    assert doc["total"] == "177673"  # no decimals for yen


async def test_swiss_francs_are_billed_from_usd_prices_through_fx_with_the_commitment_converted(month: Month) -> None:
    doc = invoice_of(month, "ch")
    assert (doc["tier"], doc["currency"], doc["price_list_currency"]) == ("Tier 2", "CHF", "USD")
    rate = Decimal("0.8412")  # CHF per USD
    assert Decimal(doc["fx"]["rate"]) == rate
    # Tier 2, USD, each line rounded in USD then converted and rounded in CHF: 9 servers (4 + 3 + 2) x 24.64,
    # 55 workstations (25 + 18 + 12) x 2.816, 700 GB (300 + 180 + 220) x 0.0528.
    servers = rounded(rounded(Decimal(9) * Decimal("24.64")) * rate)  # 221.76 USD -> 186.544512 -> 186.54
    workstations = rounded(rounded(Decimal(55) * Decimal("2.816")) * rate)  # 154.88 USD -> 130.29
    storage = rounded(rounded(Decimal(700) * Decimal("0.0528")) * rate)  # 36.96 USD -> 31.09
    assert {sku: amount for sku, (_, _, amount) in usage_lines(doc).items()} == {
        SERVERS: servers,
        WORKSTATIONS: workstations,
        CLOUD_STORAGE: storage,
    }
    usage_total = servers + workstations + storage  # 347.92 CHF
    commitment = rounded(Decimal(500) * rate)  # 500 USD -> 420.60 CHF
    assert (Decimal(doc["usage_total"]), Decimal(doc["commitment"])) == (usage_total, commitment)
    [fee] = kinds(doc, "commitment_fee")
    assert Decimal(fee["amount"]) == commitment - usage_total == Decimal("72.68")
    assert Decimal(doc["total"]) == commitment == Decimal("420.60")


async def test_new_gb_partner_is_refused_tier_1_by_the_region_rule_and_its_trial_usage_is_never_invoiced(
    month: Month,
) -> None:
    gb = month.resellers["gb"]
    assert gb.refusal is not None
    assert gb.refusal["rules"] == ["region_rule"]
    assert gb.refusal["detail"] == (
        "Tier 1 is not orderable for partners in GB who joined on or after 2024-01-01; choose a higher tier."
    )
    assert gb.subscription is not None
    assert (gb.subscription["kind"], gb.subscription["status"]) == ("trial", "trial")
    assert gb.invoice is None
    # Readings every 6 hours from the trial's start on day 12: 2 customers x 3 SKUs, all refused.
    days = calendar.monthrange(month.period.year, month.period.month)[1] - 11
    assert month.usage is not None
    assert month.usage.rejected == days * 4 * 2 * 3
    assert month.usage.reasons == {
        "outside_subscription: measured while the subscription was in trial: never invoiced": days * 4 * 2 * 3
    }


async def test_a_late_first_response_breaches_the_sla_and_shows_in_report_d(month: Month) -> None:
    breached = next(t for t in month.tickets if t.plan.reseller == "de")
    assert breached.target("first_response")["state"] == "breached"  # severity B: due within 4 h, answered at 6.5 h
    assert all(t.target("first_response")["state"] == "met" for t in month.tickets if t is not breached)
    [initial_reply] = month.reports["d"]["rows"]
    # Four answered tickets, replies after 6.5, 2, 3 and 2 hours: mean 3.375 h; three of four on time.
    assert (initial_reply["cases"], initial_reply["count"]) == (4, 4)
    assert initial_reply["mean_seconds"] == (6.5 + 2 + 3 + 2) * 3600 / 4
    assert initial_reply["sla_attainment_percent"] == 75.0
    [open_cases] = month.reports["c"]["rows"]
    assert open_cases["open_cases"] == 1  # the Swiss ticket waits on the reseller
    per_severity = {row["severity"]: row["cases"] for row in month.reports["e"]["rows"]}
    assert per_severity == {"B": 1, "C": 1, "D": 1}
    assert {row["reseller_id"] for row in month.reports["a"]["rows"]} == {
        month.resellers[key].id for key in ("us", "de", "jp", "ch")
    }


async def test_only_the_non_certified_reseller_pays_a_ticket_fee(suite: Suite, month: Month) -> None:
    async with suite.admin() as admin:
        us = (await admin.get(f"/api/v1/support/resellers/{month.resellers['us'].id}")).json()
        de = (await admin.get(f"/api/v1/support/resellers/{month.resellers['de'].id}")).json()
    assert (us["certified"], us["certified_engineers"]) == (False, 1)  # one certified engineer is not enough
    assert (de["certified"], de["certified_engineers"]) == (True, 2)
    [fee] = kinds(invoice_of(month, "us"), "support_charge")
    assert fee["description"] == (
        "Support ticket fee (non-certified service provider): How to keep Microsoft 365 backups for 7 years"
    )
    assert fee["ticket_id"] == next(t.ticket["id"] for t in month.tickets if t.plan.reseller == "us")
    for certified in ("de", "jp", "ch"):  # each opened a ticket too, free of charge
        assert kinds(invoice_of(month, certified), "support_charge") == []


async def test_each_ticket_runs_on_the_calendar_the_demo_assigned_to_its_reseller(suite: Suite, month: Month) -> None:
    async with suite.admin() as admin:
        for outcome in month.tickets:
            explained = await admin.get(f"/api/v1/support/tickets/{outcome.ticket['id']}/sla")
            assert explained.status_code == 200, explained.text
            calendar = CALENDARS[outcome.plan.reseller]
            assert explained.json()["calendar_name"] == calendar["name"]
            assert calendar["time_zone"] in explained.json()["calendar"]


async def test_every_invoice_and_the_credit_note_render_complete_with_a_valid_e_invoice(
    suite: Suite, month: Month
) -> None:
    """The month's USD, EUR, JPY and CHF (FX) invoices and its credit note: the PDF names the seller (and, on an
    invoice, the IBAN to pay to) and embeds the same EN 16931 XML the .xml download answers, which validates and
    states the total. Page 1 of each is saved as an image next to the storefront's screenshots (with pdftoppm)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    documents: list[tuple[str, str, dict[str, Any], str]] = []
    for key, reseller in month.resellers.items():
        if reseller.invoice:
            invoice = reseller.invoice
            name = f"invoice-{key}-{invoice['currency']}"
            documents.append((name, f"invoices/{invoice['invoice_id']}", invoice, "DE89 3704 0044 0532 0130 00"))
    assert {read["currency"] for _, _, read, _ in documents} >= {"USD", "EUR", "JPY", "CHF"}
    assert month.credit_note is not None
    note = month.credit_note
    documents.append(("credit-note", f"credit-notes/{note['credit_note_id']}", note, note["number"]))
    async with suite.admin() as admin:
        for name, path, read, expected_text in documents:
            xml = await admin.get(f"/api/v1/billing/{path}.xml")
            assert xml.status_code == 200, (name, xml.text)
            assert facturx.xml_check_xsd(xml.content, flavor="factur-x", level="en16931"), name
            totals = re.findall(rb"<ram:GrandTotalAmount>([0-9.]+)</ram:GrandTotalAmount>", xml.content)
            assert totals == [read["total"].encode()], name
            pdf = await admin.get(f"/api/v1/billing/{path}.pdf")
            assert pdf.status_code == 200, name
            assert facturx.get_xml_from_pdf(pdf.content, check_xsd=False)[1] == xml.content, name
            text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
            assert "Cloud Distribution GmbH" in text, name
            assert expected_text in text, name
            target = ARTIFACTS / f"{name}.pdf"
            target.write_bytes(pdf.content)
            if shutil.which("pdftoppm"):
                page_one = ["-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile"]
                render = await asyncio.create_subprocess_exec(
                    "pdftoppm", *page_one, str(target), str(target.with_suffix(""))
                )
                assert await render.wait() == 0, name
