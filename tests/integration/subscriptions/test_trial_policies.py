"""Trial policies as effective-dated data (docs/domain.md, "Trials"): a trial's length and auto-conversion are the
policy in force on its start day (the product's, else `*`), unless the order chose its own.

The module's service was seeded with the default environment: `*` is 30 days, expire at the end.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date
from typing import Any

import httpx
import pytest

from tests.harness.identity import ADMIN, SUPPORT_AGENT, headers_for
from tests.integration.subscriptions.catalog_events import Catalog
from tests.integration.subscriptions.harness import ADMIN_HEADERS, Service, count_rows, read_events, reseller_headers

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

POLICIES = "/v1/settings/trial-policies"


async def put_policy(
    service: Service,
    scope: str,
    value: dict[str, Any],
    effective_from: date,
    headers: dict[str, str] | None = None,
    reason: str = "test",
) -> httpx.Response:
    return await service.http.put(
        f"{POLICIES}/{scope}",
        json={"value": value, "effective_from": effective_from.isoformat(), "reason": reason},
        headers=headers or ADMIN_HEADERS,
    )


async def set_policy(service: Service, scope: str, days: int, auto_convert: bool, effective_from: date) -> None:
    response = await put_policy(service, scope, {"days": days, "auto_convert": auto_convert}, effective_from)
    assert response.status_code == 200, response.text


async def trial(service: Service, product_id: str, requested_at: str, **body: Any) -> dict[str, Any]:
    """A trial ordered by a new reseller (one live contract per reseller), backdated by an admin."""
    return await service.ordered(await service.register(), product_id, kind="trial", requested_at=requested_at, **body)


def terms(subscription: dict[str, Any]) -> tuple[int | None, bool, str | None]:
    return subscription["trial_days"], subscription["auto_convert"], subscription["trial_ends_at"]


async def read(service: Service, subscription_id: str) -> dict[str, Any]:
    response = await service.http.get(f"/v1/subscriptions/{subscription_id}", headers=ADMIN_HEADERS)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_trial_policy_default_from_star_applies_to_a_product_without_its_own(
    service: Service, catalog: Catalog
) -> None:
    ordered = await trial(service, catalog["t1000"], "2024-03-01T10:00:00Z")
    assert terms(ordered) == (30, False, "2024-03-31T00:00:00Z")
    assert terms(await read(service, ordered["id"])) == (30, False, "2024-03-31T00:00:00Z")
    paid = await service.ordered(await service.register(), catalog["t1000"], requested_at="2024-03-01T10:00:00Z")
    assert (paid["kind"], paid["trial_days"], paid["trial_ends_at"]) == ("paid", None, None)
    assert paid["auto_convert"] is False


async def test_trial_policy_of_the_ordered_product_wins_over_the_default(service: Service, catalog: Catalog) -> None:
    await set_policy(service, catalog["t2000"], 14, True, date(2024, 1, 1))
    own = await trial(service, catalog["t2000"], "2024-03-01T10:00:00Z")
    other = await trial(service, catalog["t4000"], "2024-03-01T10:00:00Z")
    assert terms(own) == (14, True, "2024-03-15T00:00:00Z")
    assert terms(other) == (30, False, "2024-03-31T00:00:00Z")
    events = await read_events(service.bootstrap_servers, {own["id"]}, expected=1)
    created = next(e.data for e in events if e.type == "bss.subscriptions.SubscriptionCreated.v1")
    assert (created["trial_ends_at"], created["auto_convert"]) == ("2024-03-15T00:00:00Z", True)


async def test_trial_terms_chosen_by_the_order_win_over_the_policy(service: Service, catalog: Catalog) -> None:
    await set_policy(service, catalog["tier0"], 10, False, date(2024, 1, 1))
    longer = await trial(service, catalog["tier0"], "2024-03-01T10:00:00Z", trial={"days": 45})
    converting = await trial(service, catalog["tier0"], "2024-03-01T10:00:00Z", trial={"auto_convert": True})
    both = await trial(service, catalog["t1000"], "2024-03-01T10:00:00Z", trial={"days": 1, "auto_convert": True})
    unchanged = await trial(service, catalog["tier0"], "2024-03-01T10:00:00Z", trial={})
    assert terms(longer) == (45, False, "2024-04-15T00:00:00Z")
    assert terms(converting) == (10, True, "2024-03-11T00:00:00Z")
    assert terms(both) == (1, True, "2024-03-02T00:00:00Z")
    assert terms(unchanged) == (10, False, "2024-03-11T00:00:00Z")
    assert terms(await read(service, longer["id"])) == (45, False, "2024-04-15T00:00:00Z")

    # A reseller may choose to convert automatically, but the length is the distributor's to set.
    reseller_id = await service.register()
    too_long = await service.http.post(
        "/v1/subscriptions",
        json={"product_id": catalog["tier0"], "kind": "trial", "trial": {"days": 365, "auto_convert": True}},
        headers=reseller_headers(reseller_id),
    )
    assert too_long.status_code == 403, too_long.text
    assert "trial.days" in too_long.json()["detail"]
    by_reseller = await service.http.post(
        "/v1/subscriptions",
        json={"product_id": catalog["tier0"], "kind": "trial", "trial": {"auto_convert": True}},
        headers=reseller_headers(reseller_id),
    )
    assert by_reseller.status_code == 201, by_reseller.text
    assert by_reseller.json()["trial_days"] == 10  # the policy's length
    assert by_reseller.json()["auto_convert"] is True


async def test_trial_policy_change_from_a_date_applies_to_trials_ordered_from_then_not_before(
    service: Service, catalog: Catalog
) -> None:
    earlier = await trial(service, catalog["t10000"], "2025-05-20T09:00:00Z")
    await set_policy(service, "*", 7, True, date(2025, 6, 1))
    day_before = await trial(service, catalog["t10000"], "2025-05-31T23:59:00Z")
    from_then = await trial(service, catalog["t10000"], "2025-06-01T00:00:00Z")
    assert terms(day_before) == (30, False, "2025-06-30T00:00:00Z")
    assert terms(from_then) == (7, True, "2025-06-08T00:00:00Z")
    assert terms(await read(service, earlier["id"])) == (30, False, "2025-06-19T00:00:00Z")  # kept its terms

    async def star(as_of: str) -> dict[str, Any]:
        response = await service.http.get(f"{POLICIES}/*", params={"as_of": as_of}, headers=ADMIN_HEADERS)
        assert response.status_code == 200, response.text
        value: dict[str, Any] = response.json()["value"]
        return value

    assert await star("2025-05-31") == {"days": 30, "auto_convert": False}
    assert await star("2025-06-01") == {"days": 7, "auto_convert": True}
    # a start date chosen with start_at (not a backdated request) reads the policy of that day as well
    reseller_id = await service.register()
    started = await service.ordered(
        reseller_id,
        catalog["t10000"],
        kind="trial",
        requested_at="2025-05-25T00:00:00Z",
        start_at="2025-06-02T12:00:00Z",
    )
    assert terms(started) == (7, True, "2025-06-09T00:00:00Z")


async def test_trial_auto_convert_chosen_per_order_is_honoured_by_the_sweep(service: Service, catalog: Catalog) -> None:
    await set_policy(service, catalog["tier1"], 3, True, date(2024, 1, 1))
    converts_by_choice = await trial(service, catalog["t4000"], "2024-04-01T08:00:00Z", trial={"auto_convert": True})
    expires_by_policy = await trial(service, catalog["t4000"], "2024-04-01T08:00:00Z")
    expires_by_choice = await trial(service, catalog["tier1"], "2024-04-01T08:00:00Z", trial={"auto_convert": False})
    converts_by_policy = await trial(service, catalog["tier1"], "2024-04-01T08:00:00Z")

    sweep = await service.http.post("/v1/trials/sweep", headers=ADMIN_HEADERS)
    assert sweep.status_code == 200, sweep.text

    async def outcome(subscription: dict[str, Any]) -> tuple[str, str | None, str | None]:
        now = await read(service, subscription["id"])
        return now["status"], now["paid_from"], now["ends_at"]

    assert await outcome(converts_by_choice) == ("active", "2024-05-01T00:00:00Z", None)
    assert await outcome(expires_by_policy) == ("expired", None, "2024-05-01T00:00:00Z")
    assert await outcome(expires_by_choice) == ("expired", None, "2024-04-04T00:00:00Z")
    assert await outcome(converts_by_policy) == ("active", "2024-04-04T00:00:00Z", None)
    events = await read_events(service.bootstrap_servers, {converts_by_choice["id"]}, expected=2)
    converted = next(e.data for e in events if e.type == "bss.subscriptions.TrialConverted.v1")
    assert converted["automatic"] is True


async def test_trial_bad_input_is_refused_with_a_problem_and_nothing_is_written(
    service: Service, catalog: Catalog
) -> None:
    reseller_id = await service.register()
    product = catalog["t1000"]
    unknown_product = "0190c3a0-dead-7000-8000-00000000beef"

    async def written() -> tuple[int, ...]:
        tables = ("subscriptions", "setting_versions", "outbox")
        return tuple([await count_rows(service.database_url, table) for table in tables])

    def order(**body: Any) -> Awaitable[httpx.Response]:
        return service.order(reseller_id, product, requested_at="2024-03-01T10:00:00Z", **body)

    valid = {"days": 10, "auto_convert": False}
    before = await written()
    cases: list[tuple[httpx.Response, int, str]] = [
        (await order(kind="trial", trial={"days": 0}), 422, "trial.days"),
        (await order(kind="trial", trial={"days": 400}), 422, "trial.days"),
        (await order(kind="trial", trial={"days": "10"}), 422, "trial.days"),
        (await order(kind="trial", trial={"days": 10, "grace_days": 2}), 422, "trial.grace_days"),
        (await order(kind="trial", trial={"auto_convert": "yes"}), 422, "trial.auto_convert"),
        (await order(kind="paid", trial={"auto_convert": True}), 422, "trial_terms_on_paid_order"),
        (await order(trial={}), 422, "trial_terms_on_paid_order"),
        (await put_policy(service, "*", {"days": 0, "auto_convert": False}, date(2024, 1, 1)), 422, "days"),
        (await put_policy(service, "*", {"days": 400, "auto_convert": False}, date(2024, 1, 1)), 422, "days"),
        (await put_policy(service, "*", {"days": 10}, date(2024, 1, 1)), 422, "auto_convert"),
        (await put_policy(service, "*", {"days": 10, "auto_convert": False, "x": 1}, date(2024, 1, 1)), 422, "x"),
        (await put_policy(service, unknown_product, valid, date(2024, 1, 1)), 422, "scope"),
        (await put_policy(service, "tier-3", valid, date(2024, 1, 1)), 422, "scope"),
    ]
    removal = await service.http.delete(f"{POLICIES}/*", params={"effective_from": "2024-01-01"}, headers=ADMIN_HEADERS)
    cases.append((removal, 409, "cannot be removed"))
    for response, status, mentioned in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json", response.text
        assert mentioned in response.text
    unknown = cases[11][0].json()
    assert unknown_product in unknown["detail"]
    assert unknown["errors"][0]["field"] == "scope"
    paid_with_trial = cases[5][0].json()
    assert paid_with_trial["rules"] == ["trial_terms_on_paid_order"]
    assert paid_with_trial["errors"][0]["field"] == "trial"
    assert await written() == before


async def test_trial_policy_changes_are_listed_in_the_audit_trail_with_who_made_them(
    service: Service, catalog: Catalog
) -> None:
    scope = catalog["tier7"]
    await set_policy(service, scope, 60, False, date(2024, 1, 1))
    corrected = await put_policy(service, scope, {"days": 90, "auto_convert": False}, date(2024, 1, 1), reason="typo")
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["previous"], corrected.json()["value"]) == (
        {"days": 60, "auto_convert": False},
        {"days": 90, "auto_convert": False},
    )
    removal = {"effective_from": "2024-06-01", "reason": "back to *"}
    ended = await service.http.delete(f"{POLICIES}/{scope.upper()}", params=removal, headers=ADMIN_HEADERS)
    assert ended.status_code == 200, ended.text

    trail = await service.http.get(
        "/v1/settings/changes",
        params={"kind": "trial-policies", "scope": scope},
        headers=headers_for(SUPPORT_AGENT),
    )
    assert trail.status_code == 200, trail.text
    assert [
        (c["recorded_by"], c["effective_from"], c["value"], c["previous"], c["reason"]) for c in trail.json()["items"]
    ] == [
        (ADMIN.subject, "2024-01-01", {"days": 60, "auto_convert": False}, None, "test"),
        (ADMIN.subject, "2024-01-01", {"days": 90, "auto_convert": False}, {"days": 60, "auto_convert": False}, "typo"),
        (ADMIN.subject, "2024-06-01", None, {"days": 90, "auto_convert": False}, "back to *"),
    ]
    assert terms(await trial(service, scope, "2024-05-31T10:00:00Z")) == (90, False, "2024-08-29T00:00:00Z")
    assert terms(await trial(service, scope, "2024-06-01T10:00:00Z")) == (30, False, "2024-07-01T00:00:00Z")

    default = await service.http.get(
        "/v1/settings/changes", params={"kind": "trial-policies", "scope": "*"}, headers=ADMIN_HEADERS
    )
    first = default.json()["items"][0]
    assert (first["recorded_by"], first["effective_from"], first["value"]) == (
        "seed:environment",
        "1970-01-01",
        {"days": 30, "auto_convert": False},
    )


async def test_trial_policy_settings_are_read_by_staff_and_changed_by_admins_only(
    service: Service, catalog: Catalog
) -> None:
    as_reseller = reseller_headers(await service.register())
    as_agent = headers_for(SUPPORT_AGENT)
    value = {"value": {"days": 5, "auto_convert": True}, "effective_from": "2024-01-01"}
    for headers in (as_reseller, as_agent):
        refused = await service.http.put(f"{POLICIES}/*", json=value, headers=headers)
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        removal = await service.http.delete(
            f"{POLICIES}/{catalog['t1000']}", params={"effective_from": "2024-01-01"}, headers=headers
        )
        assert removal.status_code == 403, removal.text
    for path in ("/v1/settings", POLICIES, f"{POLICIES}/*", "/v1/settings/changes"):
        assert (await service.http.get(path, headers=as_reseller)).status_code == 403, path
        assert (await service.http.get(path, headers=as_agent)).status_code == 200, path
    kinds = await service.http.get("/v1/settings", headers=ADMIN_HEADERS)
    assert [(k["name"], k["path"]) for k in kinds.json()] == [
        ("trial-policies", POLICIES),
        ("billing-profiles", "/v1/settings/billing-profiles"),
    ]
