"""Billing's settings as effective-dated data, through its admin API and into the invoices a close makes
(docs/domain.md, "Settings as data", "Tax")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import facturx
import pytest
import pytest_asyncio

from billing.domain.billing_terms import REVERSE_CHARGE_NOTE
from bss.embedded_broker import EmbeddedBroker
from tests.harness.databases import DatabaseFactory
from tests.harness.identity import ADMIN, SUPPORT_AGENT, headers_for, reseller
from tests.integration.billing.world import WORKSTATION, BillingWorld, billing_world, new_id, utc

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

FEB, MAR = date(2024, 2, 1), date(2024, 3, 1)
SELLER = {"legal_name": "Cloud Distribution GmbH", "country": "DE", "vat_id": "DE136695976", "address_lines": []}


@pytest_asyncio.fixture(loop_scope="session")
async def world(broker: EmbeddedBroker, databases: DatabaseFactory) -> AsyncIterator[BillingWorld]:
    async with billing_world(broker, databases, tax_rates={"US": "7.5"}) as instance:
        yield instance


async def _put(world: BillingWorld, path: str, value: dict[str, Any], effective_from: date) -> Any:
    return await world.client.put(
        f"/v1/settings/{path}",
        json={"value": value, "effective_from": effective_from.isoformat(), "reason": "test"},
        headers=headers_for(ADMIN),
    )


async def test_settings_a_change_is_listed_with_who_made_it_and_read_back_as_of_any_day(world: BillingWorld) -> None:
    seeded = await world.client.get("/v1/settings/tax-rates/US", headers=headers_for(SUPPORT_AGENT))
    assert seeded.status_code == 200, seeded.text
    assert (seeded.json()["value"], seeded.json()["recorded_by"]) == (
        {"rate_percent": "7.5", "note": None},
        "seed:environment",
    )

    changed = await _put(world, "tax-rates/us", {"rate_percent": "8"}, date(2025, 1, 1))
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["scope"], body["value"]["rate_percent"], body["previous"]["rate_percent"]) == ("US", "8", "7.5")
    assert body["recorded_by"] == ADMIN.subject

    before = await world.client.get(
        "/v1/settings/tax-rates/US", params={"as_of": "2024-12-31"}, headers=headers_for(ADMIN)
    )
    after = await world.client.get("/v1/settings/tax-rates", params={"as_of": "2025-01-01"}, headers=headers_for(ADMIN))
    assert before.json()["value"]["rate_percent"] == "7.5"
    assert [(i["scope"], i["value"]["rate_percent"]) for i in after.json()["items"]] == [("US", "8")]

    trail = await world.client.get(
        "/v1/settings/changes", params={"kind": "tax-rates", "scope": "US"}, headers=headers_for(ADMIN)
    )
    assert [(c["recorded_by"], c["value"]["rate_percent"]) for c in trail.json()["items"]] == [
        ("seed:environment", "7.5"),
        (ADMIN.subject, "8"),
    ]


async def test_settings_bad_changes_are_refused_with_a_problem_and_nothing_is_written(world: BillingWorld) -> None:
    async def trail_length() -> int:
        page = await world.client.get("/v1/settings/changes", params={"limit": 500}, headers=headers_for(ADMIN))
        return len(page.json()["items"])

    before = await trail_length()
    cases = [
        (await _put(world, "tax-rates/DEU", {"rate_percent": "19"}, MAR), 422, "scope"),
        (await _put(world, "tax-rates/DE", {"rate_percent": "119"}, MAR), 422, "rate_percent"),
        (await _put(world, "tax-rates/DE", {"rate_percent": "19", "rebate": 1}, MAR), 422, "rebate"),
        (await _put(world, "price-list-currencies/*", {"currency": "SEK"}, MAR), 422, "currency"),
        (await _put(world, "distributor-discounts/tier:nope", {"percent": "30"}, MAR), 422, "scope"),
        (await _put(world, "seller/distributor", {**SELLER, "vat_id": "DE136695977"}, MAR), 422, "vat_id"),
        (await _put(world, "seller/distributor", {**SELLER, "legal_name": "Cloud\u0000GmbH"}, MAR), 422, "legal_name"),
        (await _put(world, "seller/distributor", {**SELLER, "iban": "DE89370400440532013001"}, MAR), 422, "iban"),
        (await _put(world, "seller/distributor", {**SELLER, "bic": "COBA"}, MAR), 422, "bic"),
        (await _put(world, "tax-rates/DE", {"rate_percent": "19", "note": "a\nb"}, MAR), 422, "note"),
        (
            await world.client.put(
                "/v1/settings/tax-rates/DE",
                json={"value": {"rate_percent": "19"}, "effective_from": "2024-03-01", "reason": "x\u0000y"},
                headers=headers_for(ADMIN),
            ),
            422,
            "reason",
        ),
    ]
    for response, status, mentioned in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert mentioned in response.text
    as_reseller = await world.client.put(
        "/v1/settings/tax-rates/DE",
        json={"value": {"rate_percent": "0"}, "effective_from": "2024-03-01"},
        headers=headers_for(reseller(new_id())),
    )
    assert as_reseller.status_code == 403
    unknown = await world.client.get("/v1/settings/changes", params={"kind": "nope"}, headers=headers_for(ADMIN))
    assert unknown.status_code == 404
    removing_nothing = await world.client.delete(
        "/v1/settings/tax-rates/FR", params={"effective_from": "2024-03-01"}, headers=headers_for(ADMIN)
    )
    assert removing_nothing.status_code == 404
    assert await trail_length() == before


async def test_tax_each_invoice_carries_its_buyers_rate_or_the_reverse_charge_and_invoiced_months_stay_closed(
    world: BillingWorld,
) -> None:
    for path, value in (
        ("seller/distributor", SELLER),
        ("tax-rates/DE", {"rate_percent": "19"}),
        ("tax-rates/FR", {"rate_percent": "20"}),
        ("tax-rates/*", {"rate_percent": "0", "note": "Not subject to EU VAT: place of supply outside the EU."}),
    ):
        assert (await _put(world, path, value, date(2024, 1, 1))).status_code == 200
    german = await world.subscribe(country="DE", tax_id="DE136695976")
    french_business = await world.subscribe(country="FR", tax_id="FR40303265045")
    french_without_id = await world.subscribe(country="FR")
    japanese = await world.subscribe(country="JP")
    for ids in (german, french_business, french_without_id, japanese):
        await world.publish(world.usage(*ids, WORKSTATION, "400", utc(2024, 2, 10)))  # 1,000 USD
    await world.wait_counted(1, german[1], french_business[1], french_without_id[1], japanese[1])
    await world.close(FEB)

    def tax_of(invoice: dict[str, Any]) -> tuple[str, str, str, str | None]:
        document = invoice["document"]
        return document["tax_rate"], document["tax"], document["tax_treatment"], document["tax_note"]

    assert tax_of(await world.invoice(german[1], FEB)) == ("19", "190.00", "standard", None)
    assert tax_of(await world.invoice(french_business[1], FEB)) == ("0", "0.00", "reverse_charge", REVERSE_CHARGE_NOTE)
    assert tax_of(await world.invoice(french_without_id[1], FEB)) == ("20", "200.00", "standard", None)
    assert tax_of(await world.invoice(japanese[1], FEB))[2:] == (
        "standard",
        "Not subject to EU VAT: place of supply outside the EU.",
    )

    into_february = await _put(world, "tax-rates/DE", {"rate_percent": "16"}, date(2024, 2, 15))
    assert into_february.status_code == 409, into_february.text
    assert into_february.json()["earliest_effective_from"] == "2024-03-01"
    from_march = await _put(world, "tax-rates/DE", {"rate_percent": "16"}, MAR)
    assert from_march.status_code == 200, from_march.text
    await world.publish(world.usage(*german, WORKSTATION, "400", utc(2024, 3, 10)))
    await world.wait_counted(2, german[1])
    again = await world.close(FEB)
    assert again["invoiced"] == 0
    assert tax_of(await world.invoice(german[1], FEB))[:2] == ("19", "190.00")
    await world.close(MAR)
    assert tax_of(await world.invoice(german[1], MAR))[:2] == ("16", "160.00")


async def test_billing_profile_price_list_currency_rates_a_chf_reseller_from_the_jpy_list(world: BillingWorld) -> None:
    chf = await world.subscribe(currency="CHF", country="CH")
    other_chf = await world.subscribe(currency="CHF", country="CH")
    await world.set_profile(chf[0], date(2024, 1, 1), currency="CHF", country="CH", price_list_currency="JPY")
    for ids in (chf, other_chf):
        await world.publish(world.usage(*ids, WORKSTATION, "400", utc(2024, 2, 10)))
    await world.wait_counted(1, chf[1], other_chf[1])
    await world.close(FEB)
    mine = (await world.invoice(chf[1], FEB))["document"]
    default = (await world.invoice(other_chf[1], FEB))["document"]
    assert (mine["price_list_currency"], mine["currency"]) == ("JPY", "CHF")
    assert (default["price_list_currency"], default["currency"]) == ("USD", "CHF")
    # 400 x 370 JPY = 148,000 JPY x (0.8412 / 141.25) CHF per JPY; 400 x 2.50 USD = 1,000 USD x 0.8412
    assert mine["lines"][0]["amount"] != default["lines"][0]["amount"]
    assert default["lines"][0]["amount"] == "841.20"


async def test_billing_profile_in_force_on_the_periods_first_day_names_the_buyer_currency_and_due_date(
    world: BillingWorld,
) -> None:
    profiled = await world.subscribe(currency="USD", country="DE")
    registered_only = await world.subscribe(currency="USD", country="US")
    await world.set_profile(
        profiled[0],
        date(2024, 2, 1),
        currency="JPY",
        country="DE",
        vat_id="DE136695976",
        payment_terms_days=14,
        locale="de-DE",
        legal_name="Profiled GmbH",
    )
    bank = {"iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX", "bank_name": "Commerzbank"}
    assert (await _put(world, "seller/distributor", {**SELLER, **bank}, FEB)).status_code == 200
    # effective on the 15th: the February invoice keeps the profile of February 1st
    await world.set_profile(profiled[0], date(2024, 2, 15), currency="USD", country="DE", legal_name="Later GmbH")
    for ids in (profiled, registered_only):
        await world.publish(world.usage(*ids, WORKSTATION, "400", utc(2024, 2, 10)))
    await world.wait_counted(1, profiled[1], registered_only[1])
    await world.close(FEB)

    mine = (await world.invoice(profiled[1], FEB))["document"]
    assert (mine["currency"], mine["price_list_currency"], mine["fx"]) == ("JPY", "JPY", None)
    assert mine["buyer"]["legal_name"] == "Profiled GmbH"
    assert (mine["buyer"]["vat_id"], mine["buyer"]["billing_address"]["postal_code"]) == ("DE136695976", "12345")
    assert (mine["payment_terms_days"], mine["due_date"], mine["locale"]) == (14, "2024-03-15", "de-DE")
    assert (mine["seller"]["legal_name"], mine["seller"]["iban"]) == (
        "Cloud Distribution GmbH",
        "DE89370400440532013000",
    )
    assert (mine["billing_period"], mine["service_period_end"]) == ("2024-02-01", "2024-02-29")
    usage = [line for line in mine["lines"] if line["kind"] == "usage"]
    # in the price-list currency: the amount is the rated figure, no separate price-list amount
    assert [(line["unit"], line["price_list_amount"], line["amount"]) for line in usage] == [
        ("workload", None, "148000")
    ]
    plain = (await world.invoice(registered_only[1], FEB))["document"]
    assert plain["buyer"]["legal_name"] == "Reseller USD"
    assert plain["buyer"]["billing_address"] is None  # registered before profiles: no address on record
    assert (plain["payment_terms_days"], plain["due_date"], plain["locale"]) == (30, "2024-03-31", "en")
    xml = await world.client.get(f"/v1/invoices/{mine['invoice_id']}.xml", headers=headers_for(ADMIN))
    assert (xml.status_code, xml.headers["content-type"]) == (200, "application/xml"), xml.text
    assert facturx.xml_check_xsd(xml.content, flavor="factur-x", level="en16931")
    pdf = await world.client.get(f"/v1/invoices/{mine['invoice_id']}.pdf", headers=headers_for(ADMIN))
    assert pdf.status_code == 200
    embedded_name, embedded = facturx.get_xml_from_pdf(pdf.content, check_xsd=True)
    assert (embedded_name, embedded) == ("factur-x.xml", xml.content)
    plain_xml = await world.client.get(f"/v1/invoices/{plain['invoice_id']}.xml", headers=headers_for(ADMIN))
    assert plain_xml.status_code == 200  # the seller is in force for February: both invoices carry it

    url = f"/v1/invoices/{mine['invoice_id']}/credit-notes"
    credit = {"lines": [{"description": "Goodwill", "amount": "1000"}], "reason": "Goodwill for February."}
    created = await world.client.post(url, json=credit, headers=headers_for(ADMIN))
    assert created.status_code == 201, created.text
    note_id = created.json()["credit_note_id"]
    as_owner = headers_for(reseller(profiled[0]))
    note = await world.client.get(f"/v1/credit-notes/{note_id}", headers=as_owner)
    assert (note.status_code, note.json()["number"]) == (200, created.json()["number"])
    note_xml = await world.client.get(f"/v1/credit-notes/{note_id}.xml", headers=as_owner)
    assert note_xml.status_code == 200, note_xml.text
    assert facturx.xml_check_xsd(note_xml.content, flavor="factur-x", level="en16931")
    assert b"<ram:TypeCode>381</ram:TypeCode>" in note_xml.content
    note_pdf = await world.client.get(f"/v1/credit-notes/{note_id}.pdf", headers=as_owner)
    assert (note_pdf.status_code, note_pdf.headers["content-type"]) == (200, "application/pdf")
    assert facturx.get_xml_from_pdf(note_pdf.content, check_xsd=True)[1] == note_xml.content
    note_csv = await world.client.get(f"/v1/credit-notes/{note_id}.csv", headers=as_owner)
    assert note_csv.status_code == 200
    assert created.json()["number"] in note_csv.text
    stranger = headers_for(reseller(registered_only[0]))
    assert (await world.client.get(f"/v1/credit-notes/{note_id}.xml", headers=stranger)).status_code == 404


async def test_distributor_cost_per_tier_discount_and_a_tier_one_program_that_starts_and_ends_within_the_year(
    world: BillingWorld,
) -> None:
    ids = await world.subscribe()
    other = await world.subscribe()
    assert (await _put(world, "distributor-discounts/*", {"percent": "20"}, date(2024, 1, 1))).status_code == 200
    tier = f"distributor-discounts/tier:{world.product_id}"
    assert (await _put(world, tier, {"percent": "30"}, date(2024, 1, 1))).status_code == 200
    own = f"distributor-discounts/reseller:{other[0]}"
    assert (await _put(world, own, {"percent": "40"}, date(2024, 1, 1))).status_code == 200
    # The Tier 1 program for `ids`' reseller from 2024-02-01 to 2024-03-15: February whole, March not.
    program = f"tier-one-program/{ids[0]}"
    assert (await _put(world, program, {"discount_percent": "10"}, FEB)).status_code == 200
    for months, month in ((ids, FEB), (other, FEB)):
        await world.publish(world.usage(*months, WORKSTATION, "400", utc(2024, month.month, 10)))
    await world.wait_counted(1, ids[1], other[1])
    await world.close(date(2024, 1, 1))
    ended = await world.client.delete(
        f"/v1/settings/{program}", params={"effective_from": "2024-03-15"}, headers=headers_for(ADMIN)
    )
    assert ended.status_code == 200, ended.text
    await world.publish(world.usage(*ids, WORKSTATION, "400", utc(2024, 3, 10)))
    await world.wait_counted(2, ids[1])
    await world.close(FEB)
    await world.close(MAR)

    async def cost(period: date, reseller_id: str) -> str:
        response = await world.client.get(
            "/v1/distributor/margins", params={"period": period.isoformat()}, headers=headers_for(ADMIN)
        )
        [row] = [r for r in response.json()["per_reseller"] if r["reseller_id"] == reseller_id]
        return str(row["cost"])

    assert await cost(FEB, ids[0]) == "630.00"  # 1,000 x (1 - 30 %) x (1 - 10 %): the tier's discount, Tier 1
    assert await cost(FEB, other[0]) == "600.00"  # 1,000 x (1 - 40 %): its own discount, no program
    assert await cost(MAR, ids[0]) == "700.00"  # the program ended on the 15th: not active all month
