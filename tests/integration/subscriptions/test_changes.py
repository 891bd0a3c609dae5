"""Tier changes, previews, suspension, resumption, cancellation and the timeline, with their events once each."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.integration.subscriptions.catalog_events import Catalog
from tests.integration.subscriptions.harness import ADMIN_HEADERS, Service, count_rows, read_events, reseller_headers

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]
CHANGED = "bss.subscriptions.SubscriptionTierChanged.v1"


async def periods(service: Service, subscription_id: str, first: str, last: str) -> list[dict[str, object]]:
    response = await service.http.get(
        f"/v1/subscriptions/{subscription_id}/periods", params={"from": first, "to": last}, headers=ADMIN_HEADERS
    )
    assert response.status_code == 200, response.text
    result: list[dict[str, object]] = response.json()
    return result


async def test_upgrade_on_the_31st_applies_to_that_month_and_downgrade_on_the_1st_to_the_next(
    service: Service, catalog: Catalog
) -> None:
    reseller_id = await service.register()
    sub = await service.ordered(reseller_id, catalog["t1000"], start_at="2023-11-15T00:00:00Z", ramp_up_cycles=1)
    up = await service.action(
        sub["id"], "tier-change", {"product_id": catalog["t2000"], "requested_at": "2024-01-31T23:00:00Z"}
    )
    assert up.status_code == 200, up.text
    assert (up.json()["direction"], up.json()["effective_from"]) == ("upgrade", "2024-01-01")
    down = await service.action(
        sub["id"], "tier-change", {"product_id": catalog["t1000"], "requested_at": "2024-02-01T00:00:00Z"}
    )
    assert (down.json()["direction"], down.json()["effective_from"]) == ("downgrade", "2024-03-01")
    lines = await periods(service, sub["id"], "2023-11-01", "2024-03-31")
    assert [(p["period"], p["tier"], p["ramp_up"]) for p in lines] == [
        ("2023-11-01", "Tier 2", True),
        ("2023-12-01", "Tier 2", False),
        ("2024-01-01", "Tier 4", False),
        ("2024-02-01", "Tier 4", False),
        ("2024-03-01", "Tier 3", False),
    ]
    assert lines[0]["product_id"] == lines[4]["product_id"] == catalog["t1000"]
    assert lines[2]["commitment"] == {"amount": "1840", "currency": "EUR"}


async def test_a_second_change_replaces_the_pending_one_and_an_upgrade_cancels_a_pending_downgrade(
    service: Service, catalog: Catalog
) -> None:
    reseller_id = await service.register()
    sub = await service.ordered(reseller_id, catalog["t2000"], start_at="2024-01-05T00:00:00Z")
    first = await service.action(
        sub["id"], "tier-change", {"product_id": catalog["t1000"], "requested_at": "2024-02-03T00:00:00Z"}
    )
    assert first.json()["effective_from"] == "2024-03-01"
    second = await service.action(
        sub["id"], "tier-change", {"product_id": catalog["tier0"], "requested_at": "2024-02-10T00:00:00Z"}
    )
    assert [r["to_product_id"] for r in second.json()["replaces"]] == [catalog["t1000"]]
    lines = await periods(service, sub["id"], "2024-02-01", "2024-03-01")
    assert [p["tier"] for p in lines] == ["Tier 4", "Tier 0"]
    upgrade = await service.action(
        sub["id"], "tier-change", {"product_id": catalog["t4000"], "requested_at": "2024-02-20T00:00:00Z"}
    )
    assert upgrade.json()["effective_from"] == "2024-02-01"
    assert [r["to_product_id"] for r in upgrade.json()["replaces"]] == [catalog["tier0"]]
    lines = await periods(service, sub["id"], "2024-02-01", "2024-03-01")
    assert [p["tier"] for p in lines] == ["Tier 5", "Tier 5"]


async def test_refused_tier_changes_name_their_rule_and_write_nothing(service: Service, catalog: Catalog) -> None:
    new_gb = await service.register(country="GB", since="2024-02-01", currency="GBP")
    sub = await service.ordered(new_gb, catalog["t1000"])
    before = await count_rows(service.database_url, "tier_changes"), await count_rows(service.database_url, "outbox")
    for target, rule in ((catalog["t1000"], "same_tier"), (catalog["tier1"], "region_rule")):
        refused = await service.action(sub["id"], "tier-change", {"product_id": target})
        assert refused.status_code == 422, refused.text
        assert refused.json()["rules"] == [rule]
    after = await count_rows(service.database_url, "tier_changes"), await count_rows(service.database_url, "outbox")
    assert after == before


async def test_the_preview_answers_period_commitments_and_refusals_without_writing(
    service: Service, catalog: Catalog
) -> None:
    reseller_id = await service.register(currency="USD")
    sub = await service.ordered(reseller_id, catalog["t1000"])
    before = await count_rows(service.database_url, "tier_changes"), await count_rows(service.database_url, "outbox")
    preview = await service.action(
        sub["id"], "tier-change-preview", {"product_id": catalog["t2000"]}, reseller_headers(reseller_id)
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert (body["allowed"], body["direction"]) == (True, "upgrade")
    assert (body["from_commitment"], body["to_commitment"]) == (
        {"amount": "1000", "currency": "USD"},
        {"amount": "2000", "currency": "USD"},
    )
    refused = await service.action(sub["id"], "tier-change-preview", {"product_id": catalog["t1000"]})
    assert (refused.json()["allowed"], [r["rule"] for r in refused.json()["refusals"]]) == (False, ["same_tier"])
    after = await count_rows(service.database_url, "tier_changes"), await count_rows(service.database_url, "outbox")
    assert after == before


async def test_suspension_resumption_and_cancellation_each_publish_their_event_exactly_once(
    service: Service, catalog: Catalog
) -> None:
    reseller_id = await service.register()
    sub = await service.ordered(reseller_id, catalog["t1000"], start_at="2024-04-02T00:00:00Z", ramp_up_cycles=1)
    steps = [
        ("tier-change", {"product_id": catalog["t2000"], "requested_at": "2024-04-20T00:00:00Z"}),
        ("suspension", {"reason": "non_payment", "requested_at": "2024-05-15T00:00:00Z"}),
        ("resumption", {"requested_at": "2024-05-20T00:00:00Z"}),
        ("cancellation", {"reason": "Moving on.", "requested_at": "2024-09-12T16:20:00Z"}),
    ]
    for action, body in steps:
        response = await service.action(sub["id"], action, body)
        assert response.status_code == 200, (action, response.text)
    assert (await service.action(sub["id"], "resumption")).status_code == 409
    events = await read_events(service.bootstrap_servers, {sub["id"]}, expected=6)
    assert Counter(e.type.split(".")[2] for e in events) == Counter(
        {
            "SubscriptionCreated": 1,
            "RampUpGranted": 1,
            "SubscriptionTierChanged": 1,
            "SubscriptionSuspended": 1,
            "SubscriptionResumed": 1,
            "SubscriptionCancelled": 1,
        }
    )
    assert len({e.id for e in events}) == 6
    cancelled = next(e for e in events if e.type.endswith("SubscriptionCancelled.v1"))
    assert (cancelled.data["effective_at"], cancelled.data["last_billed_period"]) == (
        "2024-10-01T00:00:00Z",
        "2024-09-01",
    )
    assert cancelled.data["product_id"] == catalog["t2000"]
    lines = await periods(service, sub["id"], "2024-04-01", "2024-12-01")
    assert [(str(p["period"])[:7], p["state"], p["ramp_up"], p["commitment_applies"]) for p in lines] == [
        ("2024-04", "active", True, False),
        ("2024-05", "active", False, True),
        ("2024-06", "active", False, True),
        ("2024-07", "active", False, True),
        ("2024-08", "active", False, True),
        ("2024-09", "cancelled", False, True),
    ]


async def test_a_timeline_window_ending_before_it_starts_is_a_problem_naming_to(
    service: Service, catalog: Catalog
) -> None:
    reseller_id = await service.register()
    sub = await service.ordered(reseller_id, catalog["t1000"])
    response = await service.http.get(
        f"/v1/subscriptions/{sub['id']}/periods",
        params={"from": "2024-05-01", "to": "2024-04-01"},
        headers=ADMIN_HEADERS,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "to"
    other = await service.register()
    foreign = await service.http.get(f"/v1/subscriptions/{sub['id']}/periods", headers=reseller_headers(other))
    assert foreign.status_code == 404


async def test_an_admin_may_cancel_immediately_and_a_trial_cancellation_is_immediate(
    service: Service, catalog: Catalog
) -> None:
    paid = await service.ordered(await service.register(), catalog["t1000"], start_at="2024-03-01T00:00:00Z")
    now = await service.action(
        paid["id"], "cancellation", {"at_period_end": False, "requested_at": "2024-03-10T00:00:00Z"}
    )
    assert now.json()["ends_at"] == "2024-03-10T00:00:00Z"
    owner = await service.register()
    trial = await service.ordered(owner, catalog["t1000"], kind="trial")
    refused = await service.action(trial["id"], "cancellation", {"at_period_end": True}, reseller_headers(owner))
    assert refused.status_code == 403
    ended = await service.action(trial["id"], "cancellation", {}, reseller_headers(owner))
    assert ended.status_code == 200
    assert ended.json()["status"] == "cancelled"
    events = await read_events(service.bootstrap_servers, {trial["id"]}, expected=2)
    cancelled = next(e for e in events if e.type.endswith("SubscriptionCancelled.v1"))
    assert (cancelled.data["status_before"], cancelled.data["last_billed_period"]) == ("trial", None)
