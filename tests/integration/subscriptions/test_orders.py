"""Orders through the API: every refusal names its rule and writes nothing; one live contract per reseller."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from bss.db import create_engine, session_factory
from bss.events.contracts.catalog import FxRatesPublishedV1
from subscriptions.models import Subscription
from tests.harness.polling import eventually
from tests.integration.subscriptions.catalog_events import Catalog, publish
from tests.integration.subscriptions.harness import (
    ADMIN_HEADERS,
    Service,
    count_rows,
    read_events,
    reseller_headers,
)

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]


async def assert_refused_without_writes(service: Service, response_coro: object, rule: str, field: str) -> None:
    before = (await count_rows(service.database_url, "subscriptions"), await count_rows(service.database_url, "outbox"))
    response = await response_coro  # type: ignore[misc]
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert rule in body["rules"]
    assert any(e["field"] == field and e["rule"] == rule for e in body["errors"]), body
    after = (await count_rows(service.database_url, "subscriptions"), await count_rows(service.database_url, "outbox"))
    assert after == before


async def test_two_concurrent_orders_of_different_tiers_by_one_reseller_exactly_one_wins(
    service: Service, catalog: Catalog
) -> None:
    for _ in range(3):
        reseller_id = await service.register()
        first, second = await asyncio.gather(
            service.order(reseller_id, catalog["t1000"]), service.order(reseller_id, catalog["t2000"])
        )
        statuses = sorted([first.status_code, second.status_code])
        assert statuses[0] == 201, (first.text, second.text)
        loser = second if first.status_code == 201 else first
        assert loser.status_code in (409, 422), loser.text
        assert loser.json()["rules"] == ["exclusion_set"]
        listed = await service.http.get("/v1/subscriptions", params={"reseller_id": reseller_id}, headers=ADMIN_HEADERS)
        assert len(listed.json()["items"]) == 1


async def test_the_database_refuses_a_second_live_contract_subscription_whatever_the_code_does(
    service: Service, catalog: Catalog
) -> None:
    reseller_id = await service.register()
    await service.ordered(reseller_id, catalog["t1000"])
    engine = create_engine(service.database_url)
    try:
        async with session_factory(engine)() as session:
            now = datetime.now(UTC)
            session.add(
                Subscription(
                    id=str(uuid.uuid4()),
                    reseller_id=reseller_id,
                    product_id=catalog["t2000"],
                    exclusion_set="acronis-csp-contracts",
                    status="trial",
                    kind="trial",
                    billing_currency="EUR",
                    started_at=now,
                    auto_convert=False,
                    created_at=now,
                    recorded_at=now,
                )
            )
            with pytest.raises(IntegrityError):
                await session.commit()
    finally:
        await engine.dispose()


async def test_same_idempotency_key_returns_the_same_subscription_and_another_body_conflicts(
    service: Service, catalog: Catalog
) -> None:
    reseller_id = await service.register()
    headers = {**reseller_headers(reseller_id), "Idempotency-Key": "order-1"}
    body = {"product_id": catalog["t1000"], "kind": "trial"}
    first = await service.http.post("/v1/subscriptions", json=body, headers=headers)
    again = await service.http.post("/v1/subscriptions", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    clash = await service.http.post("/v1/subscriptions", json={**body, "kind": "paid"}, headers=headers)
    assert clash.status_code == 409
    listed = await service.http.get("/v1/subscriptions", headers=reseller_headers(reseller_id))
    assert [s["id"] for s in listed.json()["items"]] == [first.json()["id"]]


async def test_registration_honours_the_idempotency_key(service: Service) -> None:
    body = {
        "legal_name": "Idempotent Ltd",
        "billing_email": "a@b.example",
        "billing_address": {"lines": ["x"], "city": "y", "country": "FR"},
        "country": "FR",
        "partner_since": "2020-01-01",
        "billing_currency": "EUR",
        "contract_signed_on": "2020-01-02",
    }
    headers = {**ADMIN_HEADERS, "Idempotency-Key": f"reg-{uuid.uuid4()}"}
    first = await service.http.post("/v1/resellers", json=body, headers=headers)
    again = await service.http.post("/v1/resellers", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    events = await read_events(service.bootstrap_servers, {first.json()["id"]}, expected=2)
    assert [e.type for e in events] == [
        "bss.subscriptions.ResellerRegistered.v1",
        "bss.subscriptions.ResellerBillingProfileChanged.v1",
    ]
    assert events[0].data["partner_since"] == "2020-01-01"
    as_reseller = await service.http.post("/v1/resellers", json=body, headers=reseller_headers(first.json()["id"]))
    assert as_reseller.status_code == 403


async def test_a_reseller_orders_for_itself_only_and_never_backdates(service: Service, catalog: Catalog) -> None:
    mine, other = await service.register(), await service.register()
    headers = reseller_headers(mine)
    foreign = await service.http.post(
        "/v1/subscriptions", json={"reseller_id": other, "product_id": catalog["t1000"]}, headers=headers
    )
    assert foreign.status_code == 404
    backdated = await service.http.post(
        "/v1/subscriptions",
        json={"product_id": catalog["t1000"], "requested_at": "2024-01-01T00:00:00Z"},
        headers=headers,
    )
    assert backdated.status_code == 403
    assert await count_rows(service.database_url, "subscriptions") >= 0
    own = await service.http.post("/v1/subscriptions", json={"product_id": catalog["t1000"]}, headers=headers)
    assert own.status_code == 201
    peek = await service.http.get(f"/v1/subscriptions/{own.json()['id']}", headers=reseller_headers(other))
    assert peek.status_code == 404


async def test_a_reseller_start_date_beyond_the_grace_is_refused(service: Service, catalog: Catalog) -> None:
    reseller_id = await service.register()
    start = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    call = service.http.post(
        "/v1/subscriptions",
        json={"product_id": catalog["t1000"], "start_at": start},
        headers=reseller_headers(reseller_id),
    )
    await assert_refused_without_writes(service, call, "start_in_the_past", "start_at")


async def test_unknown_product_and_unknown_reseller_are_refused_by_rule(service: Service, catalog: Catalog) -> None:
    reseller_id = await service.register()
    await assert_refused_without_writes(
        service, service.order(reseller_id, str(uuid.uuid4())), "product_unknown", "product_id"
    )
    await assert_refused_without_writes(
        service, service.order(str(uuid.uuid4()), catalog["t1000"]), "reseller_unknown", "reseller_id"
    )


async def test_a_second_contract_product_is_refused(service: Service, catalog: Catalog) -> None:
    reseller_id = await service.register()
    await service.ordered(reseller_id, catalog["t1000"], kind="trial")
    await assert_refused_without_writes(
        service, service.order(reseller_id, catalog["tier0"]), "exclusion_set", "product_id"
    )


async def test_promo_not_orderable_from_2023_11_01(service: Service, catalog: Catalog) -> None:
    reseller_id = await service.register()
    call = service.order(reseller_id, catalog["promo"], start_at="2023-11-01T00:00:00Z")
    await assert_refused_without_writes(service, call, "product_not_orderable", "product_id")
    await service.ordered(reseller_id, catalog["promo"], start_at="2023-10-31T12:00:00Z")


async def test_tier_1_refused_to_a_new_gb_partner_and_allowed_to_a_2019_gb_partner(
    service: Service, catalog: Catalog
) -> None:
    new_partner = await service.register(country="GB", since="2024-01-01", currency="GBP")
    await assert_refused_without_writes(
        service, service.order(new_partner, catalog["tier1"]), "region_rule", "product_id"
    )
    old_partner = await service.register(country="GB", since="2019-03-01", currency="GBP")
    await service.ordered(old_partner, catalog["tier1"])


async def test_a_suspended_reseller_cannot_order_until_reactivated(service: Service, catalog: Catalog) -> None:
    reseller_id = await service.register()
    assert (
        await service.http.post(f"/v1/resellers/{reseller_id}/suspension", headers=ADMIN_HEADERS)
    ).status_code == 200
    await assert_refused_without_writes(
        service, service.order(reseller_id, catalog["t1000"]), "reseller_suspended", "reseller_id"
    )
    await service.http.post(f"/v1/resellers/{reseller_id}/reactivation", headers=ADMIN_HEADERS)
    await service.ordered(reseller_id, catalog["t1000"])


async def test_reseller_suspension_and_reactivation_each_publish_one_event(service: Service) -> None:
    reseller_id = await service.register()
    for path in ("suspension", "suspension", "reactivation"):  # the second suspension changes nothing
        response = await service.http.post(f"/v1/resellers/{reseller_id}/{path}", headers=ADMIN_HEADERS)
        assert response.status_code == 200
    events = await read_events(service.bootstrap_servers, {reseller_id}, expected=3)
    changes = [e.data["status"] for e in events if e.type == "bss.subscriptions.ResellerStatusChanged.v1"]
    assert changes == ["suspended", "active"]


async def test_a_currency_becomes_priceable_once_an_fx_rate_for_it_is_published(
    service: Service, catalog: Catalog
) -> None:
    reseller_id = await service.register(currency="MNT")
    await assert_refused_without_writes(
        service, service.order(reseller_id, catalog["t1000"]), "currency_not_priceable", "billing_currency"
    )
    rates = FxRatesPublishedV1.model_validate(
        {
            "rate_table_id": str(uuid.uuid4()),
            "effective_from": date(2024, 1, 1),
            "rates": [{"currency": "MNT", "units_per_usd": "3400.5"}],
        }
    )
    await publish(service.bootstrap_servers, [rates])

    async def accepted() -> bool:
        response = await service.order(reseller_id, catalog["t1000"])
        return response.status_code == 201

    await eventually(accepted, what="the FX rate to make MNT priceable")


async def test_a_currency_becomes_priceable_once_an_fx_pair_links_it_to_a_price_list_currency(
    service: Service, catalog: Catalog
) -> None:
    """SEK has no rate per USD here; an EUR->SEK pair effective by the first invoice date makes it priceable.

    The order is backdated (an admin may) to 2019 so that SEK quotes other tests publish on the shared topic,
    all effective later, cannot make SEK priceable before this pair.
    """
    reseller_id = await service.register(currency="SEK", since="2018-01-01")
    start_at = "2019-03-10T10:00:00Z"  # first invoice date 2019-04-01
    await assert_refused_without_writes(
        service,
        service.order(reseller_id, catalog["t1000"], start_at=start_at),
        "currency_not_priceable",
        "billing_currency",
    )
    # One event, consumed in one go: the EUR->SEK pair from the day after the first invoice date, and a USD->TTD
    # rate that shows when the event has been read.
    too_late = FxRatesPublishedV1.model_validate(
        {
            "rate_table_id": str(uuid.uuid4()),
            "effective_from": date(2019, 4, 2),
            "rates": [{"currency": "TTD", "units_per_usd": "6.8"}],
            "pairs": [{"base": "EUR", "quote": "SEK", "rate": "10.4"}],
        }
    )
    in_time = FxRatesPublishedV1.model_validate(
        {
            "rate_table_id": str(uuid.uuid4()),
            "effective_from": date(2019, 4, 1),
            "rates": [],
            "pairs": [{"base": "EUR", "quote": "SEK", "rate": "10.5"}],
        }
    )
    await publish(service.bootstrap_servers, [too_late])
    ttd_reseller = await service.register(currency="TTD", since="2018-01-01")

    async def ttd_accepted() -> bool:
        response = await service.order(ttd_reseller, catalog["t1000"], start_at="2019-04-10T10:00:00Z")
        return response.status_code == 201

    await eventually(ttd_accepted, what="the EUR->SEK pair effective after the first invoice date to be consumed")
    await assert_refused_without_writes(
        service,
        service.order(reseller_id, catalog["t1000"], start_at=start_at),
        "currency_not_priceable",
        "billing_currency",
    )
    await publish(service.bootstrap_servers, [in_time])

    async def accepted() -> bool:
        response = await service.order(reseller_id, catalog["t1000"], start_at=start_at)
        return response.status_code == 201

    await eventually(accepted, what="the EUR->SEK pair to make SEK priceable")


async def test_ramp_up_of_4_cycles_is_refused_and_caps_change_on_2023_11_01(service: Service, catalog: Catalog) -> None:
    reseller_id = await service.register()
    october, november = "2023-10-31T10:00:00Z", "2023-11-01T10:00:00Z"
    four = service.order(reseller_id, catalog["t1000"], start_at=october, ramp_up_cycles=4)
    await assert_refused_without_writes(service, four, "ramp_up_cap", "ramp_up_cycles")
    two_in_november = service.order(reseller_id, catalog["t1000"], start_at=november, ramp_up_cycles=2)
    await assert_refused_without_writes(service, two_in_november, "ramp_up_cap", "ramp_up_cycles")
    granted = await service.ordered(reseller_id, catalog["t1000"], start_at=october, ramp_up_cycles=3)
    assert (granted["ramp_up_cycles"], granted["ramp_up_first_period"]) == (3, "2023-10-01")
    grant = await service.http.put(f"/v1/resellers/{reseller_id}/ramp-up", json={"cycles": 4}, headers=ADMIN_HEADERS)
    assert grant.status_code == 422
    assert grant.json()["rules"] == ["ramp_up_cap"]


async def test_a_paid_order_with_a_ramp_up_publishes_the_window_of_waived_periods(
    service: Service, catalog: Catalog
) -> None:
    reseller_id = await service.register()
    sub = await service.ordered(reseller_id, catalog["t1000"], start_at="2023-10-15T09:00:00Z", ramp_up_cycles=3)
    events = await read_events(service.bootstrap_servers, {sub["id"]}, expected=2)
    [granted] = [e.data for e in events if e.type == "bss.subscriptions.RampUpGranted.v1"]
    # The partial first month is cycle 1: October to December, decided here and carried to billing.
    assert (granted["cycles"], granted["first_period"], granted["last_period"]) == (3, "2023-10-01", "2023-12-01")


async def test_a_standing_grant_applies_at_creation_capped_by_the_start_date(
    service: Service, catalog: Catalog
) -> None:
    reseller_id = await service.register()
    await service.http.put(f"/v1/resellers/{reseller_id}/ramp-up", json={"cycles": 3}, headers=ADMIN_HEADERS)
    created = await service.ordered(reseller_id, catalog["t1000"], start_at="2024-02-10T00:00:00Z")
    assert created["ramp_up_cycles"] == 1


async def test_a_cancelled_subscription_frees_the_exclusion_set_from_its_end(
    service: Service, catalog: Catalog
) -> None:
    reseller_id = await service.register()
    first = await service.ordered(reseller_id, catalog["t1000"], start_at="2024-03-05T00:00:00Z")
    cancelled = await service.action(first["id"], "cancellation", {"requested_at": "2024-04-10T00:00:00Z"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["ends_at"] == "2024-05-01T00:00:00Z"
    overlapping = service.order(reseller_id, catalog["t2000"], start_at="2024-04-20T00:00:00Z")
    await assert_refused_without_writes(service, overlapping, "exclusion_set", "product_id")
    await service.ordered(reseller_id, catalog["t2000"], start_at="2024-05-01T00:00:00Z")


async def test_malformed_input_is_a_problem_naming_the_field(service: Service, catalog: Catalog) -> None:
    before = await count_rows(service.database_url, "resellers"), await count_rows(service.database_url, "outbox")
    response = await service.http.post(
        "/v1/resellers",
        json={
            "legal_name": "X",
            "billing_email": "not-an-email",
            "billing_address": {"lines": ["x"], "city": "y", "country": "GB"},
            "country": "UK",
            "partner_since": "2020-01-01",
            "billing_currency": "EUR",
            "contract_signed_on": "2020-01-01",
        },
        headers=ADMIN_HEADERS,
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"billing_email", "country"} <= fields
    assert "'GB'" in next(e["message"] for e in response.json()["errors"] if e["field"] == "country")
    assert (
        await count_rows(service.database_url, "resellers"),
        await count_rows(service.database_url, "outbox"),
    ) == before
    unknown = await service.http.post(
        "/v1/subscriptions", json={"product_id": catalog["t1000"], "oops": 1}, headers=ADMIN_HEADERS
    )
    assert unknown.status_code == 422
