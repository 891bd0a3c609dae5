"""SLA calendars, their assignment to resellers and the SLA targets as effective-dated data, through the support
service's admin API and into the tickets that open under them (docs/domain.md, "Support severities and SLA
clocks"). The module's service is seeded from a Berlin/DE environment; its clock starts on Monday 2024-03-04."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from bss.clock import FixedClock
from bss.embedded_broker import EmbeddedBroker
from bss.identity import Caller
from support_sla.main import create_app
from tests.harness.databases import DatabaseFactory
from tests.harness.identity import ADMIN, SUPPORT_AGENT, reseller
from tests.harness.services import running, service_settings, wait_ready
from tests.integration.support_sla.conftest import START
from tests.integration.support_sla.harness import Service, utc

pytestmark = pytest.mark.asyncio(loop_scope="session")

JANUARY = date(2024, 1, 1)
TOKYO = {"time_zone": "Asia/Tokyo", "working_weekdays": [0, 1, 2, 3, 4, 5], "country": "JP"}
BERLIN = {"time_zone": "Europe/Berlin", "working_weekdays": [0, 1, 2, 3, 4], "country": "DE"}
SEVERITY_A = {
    "first_response": {"unit": "hours", "amount": 4},
    "temporary_solution": {"unit": "days", "amount": 1},
    "permanent_resolution": {"unit": "business_days", "amount": 15},
}


async def put(
    service: Service, path: str, value: dict[str, Any], effective_from: date, caller: Caller = ADMIN
) -> httpx.Response:
    body = {"value": value, "effective_from": effective_from.isoformat(), "reason": "test"}
    return await service.call("PUT", f"/v1/settings/{path}", caller, json=body)


async def put_ok(service: Service, path: str, value: dict[str, Any], effective_from: date) -> dict[str, Any]:
    response = await put(service, path, value, effective_from)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def due(ticket: dict[str, Any], target: str) -> datetime:
    return utc({t["target"]: t for t in ticket["targets"]}[target]["due_at"])


async def sla(service: Service, ticket_id: str) -> dict[str, Any]:
    response = await service.call("GET", f"/v1/tickets/{ticket_id}/sla", ADMIN)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def reapply(service: Service, ticket_id: str, **body: Any) -> dict[str, Any]:
    response = await service.call("POST", f"/v1/tickets/{ticket_id}/policy", ADMIN, json={"reason": "test"} | body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def trail_length(service: Service) -> int:
    page = await service.call("GET", "/v1/settings/changes", ADMIN, params={"limit": 500})
    assert page.status_code == 200, page.text
    return len(page.json()["items"])


async def test_sla_settings_a_fresh_database_is_seeded_from_the_environment_and_the_acronis_table(
    service: Service,
) -> None:
    calendar = await service.call("GET", "/v1/settings/sla-calendars/default", SUPPORT_AGENT)
    assert calendar.status_code == 200, calendar.text
    assert calendar.json()["recorded_by"] == "seed:environment"
    assert calendar.json()["effective_from"] == "1970-01-01"
    assert calendar.json()["value"] == {
        "time_zone": "Europe/Berlin",
        "working_weekdays": [0, 1, 2, 3, 4],
        "country": "DE",
        "subdivision": None,
        "working_hours": None,
        "closure_days": [],
        "always_open": False,
    }
    everyone = await service.call("GET", "/v1/settings/sla-calendar-assignments/*", SUPPORT_AGENT)
    assert everyone.json()["value"] == {"calendar": "default"}
    targets = await service.call("GET", "/v1/settings/sla-targets", SUPPORT_AGENT, params={"as_of": "2024-03-04"})
    by_severity = {item["scope"]: item["value"] for item in targets.json()["items"]}
    assert sorted(by_severity) == ["A", "B", "C", "D"]
    assert by_severity["A"] == SEVERITY_A
    assert by_severity["D"]["temporary_solution"] == {"unit": "none", "amount": 0}

    rid = await service.new_reseller()
    ticket = await service.open_ticket(rid, "A")
    explained = await sla(service, ticket["id"])
    assert (explained["calendar_name"], explained["policy"]) == ("default", "sla-targets as of 2024-03-04")
    assert due(ticket, "permanent_resolution") == datetime(2024, 3, 25, 8, 0, tzinfo=UTC)


async def test_sla_calendar_per_reseller_jp_and_de_resellers_opening_at_the_same_instant_get_different_due_times(
    service: Service,
) -> None:
    japanese, german = await service.new_reseller(country="JP"), await service.new_reseller(country="DE")
    await put_ok(service, "sla-calendars/tokyo", TOKYO, JANUARY)
    await put_ok(service, "sla-calendars/berlin", BERLIN, JANUARY)
    await put_ok(service, f"sla-calendar-assignments/{japanese}", {"calendar": "Tokyo"}, JANUARY)
    await put_ok(service, f"sla-calendar-assignments/{german}", {"calendar": "berlin"}, JANUARY)

    in_tokyo = await service.open_ticket(japanese, "A")
    in_berlin = await service.open_ticket(german, "A")

    # Monday 17:00 in Tokyo, 09:00 in Berlin. Tokyo counts Saturdays and skips 2024-03-20 (Vernal Equinox Day):
    # the 15th business day is Friday 22nd; Berlin counts Monday to Friday: Monday 25th.
    assert due(in_tokyo, "permanent_resolution") == datetime(2024, 3, 22, 8, 0, tzinfo=UTC)
    assert due(in_berlin, "permanent_resolution") == datetime(2024, 3, 25, 8, 0, tzinfo=UTC)
    assert due(in_tokyo, "first_response") == due(in_berlin, "first_response") == START + timedelta(hours=4)
    tokyo_sla, berlin_sla = await sla(service, in_tokyo["id"]), await sla(service, in_berlin["id"])
    assert tokyo_sla["calendar_name"] == "tokyo"
    assert "business days Mon,Tue,Wed,Thu,Fri,Sat in Asia/Tokyo, public holidays of JP" in tokyo_sla["calendar"]
    assert berlin_sla["calendar_name"] == "berlin"
    assert "business days Mon,Tue,Wed,Thu,Fri in Europe/Berlin" in berlin_sla["calendar"]


async def test_sla_targets_a_change_from_a_date_applies_to_tickets_opened_from_that_date_not_to_older_ones(
    service: Service,
) -> None:
    rid = await service.new_reseller()
    older = await service.open_ticket(rid, "C")
    faster = {
        "first_response": {"unit": "hours", "amount": 2},
        "temporary_solution": {"unit": "days", "amount": 2},
        "permanent_resolution": {"unit": "days", "amount": 20},
    }
    changed = await put_ok(service, "sla-targets/c", faster, date(2024, 6, 1))
    assert changed["scope"] == "C"
    assert changed["previous"]["first_response"] == {"unit": "hours", "amount": 8}

    june = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
    service.clock.set(june)
    newer = await service.open_ticket(rid, "C")
    backdated = await service.call(
        "POST",
        "/v1/tickets",
        ADMIN,
        json={
            "subject": "Imported",
            "description": "Opened by phone on Friday.",
            "product": "Cyber Protect",
            "severity": "C",
            "reseller_id": rid,
            "requested_at": "2024-05-31T12:00:00Z",
        },
    )
    assert backdated.status_code == 201, backdated.text

    assert due(newer, "first_response") == june + timedelta(hours=2)
    assert due(newer, "permanent_resolution") == june + timedelta(days=20)
    assert due(backdated.json(), "first_response") == datetime(2024, 5, 31, 20, 0, tzinfo=UTC)  # opened before
    current_older = (await service.call("GET", f"/v1/tickets/{older['id']}", ADMIN)).json()
    assert due(current_older, "first_response") == START + timedelta(hours=8)
    # re-applying the policy of its opening day changes nothing for the older ticket
    reapplied = await reapply(service, older["id"])
    assert due(reapplied, "first_response") == START + timedelta(hours=8)


async def test_sla_calendar_assignment_effective_later_does_not_move_a_ticket_opened_before(
    service: Service,
) -> None:
    rid = await service.new_reseller()
    ticket = await service.open_ticket(rid, "A")  # on `*`: the default calendar, Monday to Friday
    await put_ok(service, "sla-calendars/berlin-saturdays", BERLIN | {"working_weekdays": [0, 1, 2, 3, 4, 5]}, JANUARY)
    await put_ok(service, f"sla-calendar-assignments/{rid}", {"calendar": "berlin-saturdays"}, date(2024, 3, 5))
    service.clock.set(datetime(2024, 3, 6, 8, 0, tzinfo=UTC))

    unchanged = (await service.call("GET", f"/v1/tickets/{ticket['id']}", ADMIN)).json()
    assert due(unchanged, "permanent_resolution") == datetime(2024, 3, 25, 8, 0, tzinfo=UTC)
    as_of_opening = await reapply(service, ticket["id"])  # the assignment in force when it opened: `*`
    assert due(as_of_opening, "permanent_resolution") == datetime(2024, 3, 25, 8, 0, tzinfo=UTC)
    assert as_of_opening["calendar_name"] == "default"
    as_of_today = await reapply(service, ticket["id"], as_of="now")  # explicit: today's assignment
    assert due(as_of_today, "permanent_resolution") == datetime(2024, 3, 21, 8, 0, tzinfo=UTC)
    assert as_of_today["calendar_name"] == "berlin-saturdays"


async def test_reapply_after_a_retroactive_calendar_correction_applies_the_corrected_calendar(
    service: Service,
) -> None:
    rid = await service.new_reseller(country="JP")
    osaka = {"time_zone": "Asia/Tokyo", "working_weekdays": [0, 1, 2, 3, 4]}
    await put_ok(service, "sla-calendars/osaka-office", osaka, JANUARY)
    await put_ok(service, f"sla-calendar-assignments/{rid}", {"calendar": "osaka-office"}, JANUARY)
    ticket = await service.open_ticket(rid, "A")
    assert due(ticket, "permanent_resolution") == datetime(2024, 3, 25, 8, 0, tzinfo=UTC)

    service.clock.set(START + timedelta(days=2))
    corrected = await put_ok(service, "sla-calendars/osaka-office", osaka | {"closure_days": ["2024-03-12"]}, JANUARY)
    assert corrected["previous"]["closure_days"] == []
    unchanged = (await service.call("GET", f"/v1/tickets/{ticket['id']}", ADMIN)).json()
    assert due(unchanged, "permanent_resolution") == datetime(2024, 3, 25, 8, 0, tzinfo=UTC)  # only explicitly

    reapplied = await reapply(service, ticket["id"], reason="Office closed on 2024-03-12, recorded late")
    assert due(reapplied, "permanent_resolution") == datetime(2024, 3, 26, 8, 0, tzinfo=UTC)
    assert reapplied["calendar_name"] == "osaka-office"
    assert "closed on 2024-03-12" in reapplied["calendar"]
    history = (await service.call("GET", f"/v1/tickets/{ticket['id']}/events", ADMIN)).json()
    assert [(e["kind"], e["internal"]) for e in history] == [("policy_reapplied", True)]
    assert (await service.call("GET", f"/v1/tickets/{ticket['id']}/events", reseller(rid))).json() == []


async def test_reapply_with_an_explicit_calendar_still_replaces_the_assigned_one(service: Service) -> None:
    rid = await service.new_reseller()
    ticket = await service.open_ticket(rid, "A")
    calendar = {"time_zone": "Europe/Berlin", "country": "DE", "closure_days": ["2024-03-05"]}
    reapplied = await reapply(service, ticket["id"], calendar=calendar)
    assert due(reapplied, "permanent_resolution") == datetime(2024, 3, 26, 8, 0, tzinfo=UTC)
    assert reapplied["calendar_name"] is None
    bad = await service.call(
        "POST", f"/v1/tickets/{ticket['id']}/policy", ADMIN, json={"reason": "x", "as_of": "yesterday"}
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["as_of"]


async def test_sla_settings_bad_values_are_refused_with_a_problem_and_nothing_is_written(service: Service) -> None:
    rid = await service.new_reseller()
    await put_ok(service, "sla-calendars/from-2025", BERLIN, date(2025, 1, 1))
    await put_ok(service, "sla-calendars/short-lived", BERLIN, JANUARY)
    removed = await service.call(
        "DELETE", "/v1/settings/sla-calendars/short-lived", ADMIN, params={"effective_from": "2024-09-01"}
    )
    assert removed.status_code == 200, removed.text
    before = await trail_length(service)
    june = date(2024, 6, 1)

    async def delete(path: str) -> httpx.Response:
        return await service.call("DELETE", f"/v1/settings/{path}", ADMIN, params={"effective_from": "2024-06-01"})

    utc_base = {"time_zone": "UTC"}
    cases = [
        (await put(service, "sla-calendars/mars", {"time_zone": "Mars/Olympus"}, june), 422, "value.time_zone"),
        (
            await put(service, "sla-calendars/mars", utc_base | {"working_weekdays": [0, 7]}, june),
            422,
            "value.working_weekdays",
        ),
        (await put(service, "sla-calendars/mars", utc_base | {"working_weekdays": []}, june), 422, "working_weekdays"),
        (await put(service, "sla-calendars/mars", utc_base | {"country": "XX"}, june), 422, "value.country"),
        (
            await put(service, "sla-calendars/mars", utc_base | {"country": "DE", "subdivision": "XX"}, june),
            422,
            "value.subdivision",
        ),
        (
            await put(service, "sla-calendars/mars", utc_base | {"working_hours": "17:00-09:00"}, june),
            422,
            "value.working_hours",
        ),
        (
            await put(
                service, "sla-calendars/mars", utc_base | {"always_open": True, "closure_days": ["2024-12-24"]}, june
            ),
            422,
            "value.closure_days",
        ),
        (await put(service, "sla-calendars/Mars_Base", utc_base, june), 422, "scope"),
        (await put(service, f"sla-calendar-assignments/{rid}", {"calendar": "nowhere"}, june), 422, "value.calendar"),
        (await put(service, f"sla-calendar-assignments/{rid}", {"calendar": "from-2025"}, june), 422, "value.calendar"),
        (await put(service, f"sla-calendar-assignments/{rid}", {"calendar": "short-lived"}, june), 422, "2024-09-01"),
        (await put(service, "sla-calendar-assignments/reseller-1", {"calendar": "default"}, june), 422, "scope"),
        (await put(service, "sla-targets/E", SEVERITY_A, june), 422, "scope"),
        (
            await put(
                service,
                "sla-targets/A",
                SEVERITY_A | {"first_response": {"unit": "none", "amount": 3}},
                june,
            ),
            422,
            "value.first_response",
        ),
        (await delete("sla-targets/A"), 409, "unit to none"),
        (await delete("sla-calendar-assignments/*"), 409, "another calendar"),
        (await delete("sla-calendars/default"), 409, "assigned"),
    ]
    for response, status, mentioned in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert mentioned in response.text, response.text
    assert await trail_length(service) == before
    still = await service.call("GET", "/v1/settings/sla-calendars/default", ADMIN, params={"as_of": "2024-07-01"})
    assert still.status_code == 200


async def test_sla_settings_the_audit_trail_lists_each_change_with_who_made_it(service: Service) -> None:
    rid = await service.new_reseller()
    await put_ok(service, "sla-calendars/audited", TOKYO, JANUARY)
    await put_ok(service, "sla-calendars/audited", TOKYO | {"closure_days": ["2024-05-03"]}, date(2024, 5, 1))
    await put_ok(service, f"sla-calendar-assignments/{rid}", {"calendar": "audited"}, JANUARY)

    trail = await service.call(
        "GET", "/v1/settings/changes", SUPPORT_AGENT, params={"kind": "sla-calendars", "scope": "audited"}
    )
    assert trail.status_code == 200, trail.text
    assert [
        (c["recorded_by"], c["effective_from"], c["value"]["closure_days"], c["reason"]) for c in trail.json()["items"]
    ] == [
        (ADMIN.subject, "2024-01-01", [], "test"),
        (ADMIN.subject, "2024-05-01", ["2024-05-03"], "test"),
    ]
    assignments = await service.call(
        "GET", "/v1/settings/changes", SUPPORT_AGENT, params={"kind": "sla-calendar-assignments"}
    )
    by_scope = {c["scope"]: c["recorded_by"] for c in assignments.json()["items"]}
    assert (by_scope["*"], by_scope[rid]) == ("seed:environment", ADMIN.subject)
    may = await service.call("GET", "/v1/settings/sla-calendars/audited", ADMIN, params={"as_of": "2024-05-02"})
    april = await service.call("GET", "/v1/settings/sla-calendars/audited", ADMIN, params={"as_of": "2024-04-30"})
    assert (may.json()["value"]["closure_days"], april.json()["value"]["closure_days"]) == (["2024-05-03"], [])


async def test_sla_settings_a_reseller_key_gets_403_and_an_agent_reads_but_does_not_change(service: Service) -> None:
    rid = str(uuid.uuid4())
    as_reseller = reseller(rid)
    for method, path in (
        ("GET", "/v1/settings"),
        ("GET", "/v1/settings/sla-calendars"),
        ("GET", "/v1/settings/sla-calendars/default"),
        ("GET", "/v1/settings/changes"),
    ):
        assert (await service.call(method, path, as_reseller)).status_code == 403, path
    assert (
        await put(service, f"sla-calendar-assignments/{rid}", {"calendar": "default"}, JANUARY, as_reseller)
    ).status_code == 403
    assert (await put(service, "sla-calendars/mine", BERLIN, JANUARY, SUPPORT_AGENT)).status_code == 403
    kinds = await service.call("GET", "/v1/settings", SUPPORT_AGENT)
    assert [k["name"] for k in kinds.json()] == ["sla-calendars", "sla-calendar-assignments", "sla-targets"]


async def test_sla_calendar_once_seeded_the_data_decides_not_the_environment(
    service: Service, databases: DatabaseFactory, broker: EmbeddedBroker
) -> None:
    # the data decides: `default` moved to Tokyo from July on, while the environment still says Berlin
    await put_ok(service, "sla-calendars/default", TOKYO, date(2024, 7, 1))
    rid = await service.new_reseller()
    service.clock.set(datetime(2024, 7, 1, 8, 0, tzinfo=UTC))
    ticket = await service.open_ticket(rid, "A")
    assert "Asia/Tokyo" in (await sla(service, ticket["id"]))["calendar"]

    # a service started again on a seeded database with another environment seeds nothing
    settings = await service_settings(
        "support-sla",
        databases,
        broker,
        scheduler_enabled=False,
        sla_time_zone="Europe/Berlin",
        sla_country="DE",
        reseller_consumer_group=f"support-sla-seed-{uuid.uuid4().hex[:8]}",
    )
    clock = FixedClock(START)
    async with running(create_app(settings, clock=clock)) as first:  # type: ignore[arg-type]
        await wait_ready(first.base_url)
    tokyo_environment = settings.model_copy(update={"sla_time_zone": "Asia/Tokyo", "sla_country": "JP"})
    second_app = create_app(tokyo_environment, clock=clock)  # type: ignore[arg-type]
    async with running(second_app) as second:
        await wait_ready(second.base_url)
        again = Service(second_app, second.base_url, clock, broker)
        seeded = await again.call("GET", "/v1/settings/changes", ADMIN, params={"limit": 500})
        default = await again.call("GET", "/v1/settings/sla-calendars/default", ADMIN)
    assert len(seeded.json()["items"]) == 6  # one calendar, one assignment, four severities: seeded once
    assert {c["recorded_by"] for c in seeded.json()["items"]} == {"seed:environment"}
    assert (default.json()["value"]["time_zone"], default.json()["value"]["country"]) == ("Europe/Berlin", "DE")
