"""Tickets through the real service: roles, replies and pauses, severity, states, escalation, bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from bss.events.contracts.subscriptions import ResellerRegisteredV1, SubscriptionCreatedV1
from tests.harness.identity import ADMIN, SUPPORT_AGENT, reseller
from tests.integration.support_sla.conftest import START
from tests.integration.support_sla.harness import Service, eventually, utc

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def ticket_count(service: Service) -> int:
    return len((await service.call("GET", "/v1/tickets?limit=200", ADMIN)).json()["items"])


async def test_reseller_opens_ticket_with_severity_meaning_and_due_times(service: Service) -> None:
    rid = await service.new_reseller()
    ticket = await service.open_ticket(rid, "A", build_number="24.3.37719")
    assert ticket["state"] == "new"
    assert ticket["severity_meaning"].startswith("Critical")
    targets = {t["target"]: t for t in ticket["targets"]}
    assert utc(targets["first_response"]["due_at"]) == START + timedelta(hours=4)
    assert targets["first_response"]["remaining_seconds"] == 4 * 3600
    assert targets["permanent_resolution"]["rule"] == "15 business days"
    assert ticket["unsupported_version"] is False


async def test_unknown_severity_is_problem_json_naming_severity_and_nothing_is_written(service: Service) -> None:
    rid = await service.new_reseller()
    before = await ticket_count(service)
    body = {"subject": "s", "description": "d", "product": "p", "severity": "Z"}
    response = await service.call("POST", "/v1/tickets", reseller(rid), json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["severity"]
    assert await ticket_count(service) == before


async def test_reseller_sees_only_its_own_tickets_and_never_internal_notes(service: Service) -> None:
    mine, other = await service.new_reseller(), await service.new_reseller()
    ticket = await service.open_ticket(mine)
    await service.call(
        "POST", f"/v1/tickets/{ticket['id']}/messages", SUPPORT_AGENT, json={"body": "looks like VSS", "internal": True}
    )
    await service.call("POST", f"/v1/tickets/{ticket['id']}/messages", SUPPORT_AGENT, json={"body": "Please send logs"})
    assert (await service.call("GET", f"/v1/tickets/{ticket['id']}", reseller(other))).status_code == 404
    listed = (await service.call("GET", "/v1/tickets", reseller(other))).json()["items"]
    assert ticket["id"] not in [t["id"] for t in listed]
    history = (await service.call("GET", f"/v1/tickets/{ticket['id']}/events", reseller(mine))).json()
    assert [e["body"] for e in history] == ["Please send logs"]
    staff_view = (await service.call("GET", f"/v1/tickets/{ticket['id']}/events", SUPPORT_AGENT)).json()
    assert len(staff_view) == 2


async def test_reseller_cannot_write_internal_notes(service: Service) -> None:
    rid = await service.new_reseller()
    ticket = await service.open_ticket(rid)
    response = await service.call(
        "POST", f"/v1/tickets/{ticket['id']}/messages", reseller(rid), json={"body": "x", "internal": True}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "internal"


async def test_waiting_on_reseller_pauses_every_target_and_the_reply_resumes(service: Service) -> None:
    rid = await service.new_reseller()
    ticket = await service.open_ticket(rid, "B")
    path = f"/v1/tickets/{ticket['id']}"
    service.clock.set(START + timedelta(hours=1))
    reply = await service.call(
        "POST", f"{path}/messages", SUPPORT_AGENT, json={"body": "Which build?", "wait_on_reseller": True}
    )
    assert reply.status_code == 201
    paused = (await service.call("GET", path, reseller(rid))).json()
    assert paused["state"] == "waiting_on_reseller"
    assert {t["target"]: t["state"] for t in paused["targets"]}["temporary_solution"] == "paused"
    service.clock.set(START + timedelta(hours=4))
    assert (await service.call("POST", f"{path}/messages", reseller(rid), json={"body": "24.3"})).status_code == 201
    resumed = (await service.call("GET", f"{path}/sla", SUPPORT_AGENT)).json()
    targets = {t["target"]: t for t in resumed["targets"]}
    assert targets["first_response"]["state"] == "met"
    assert utc(targets["temporary_solution"]["due_at"]) == START + timedelta(hours=48 + 3)
    assert utc(targets["permanent_resolution"]["due_at"]) == datetime(
        2024, 4, 3, 10, 0, tzinfo=UTC
    )  # 20 bd (Easter) 09:00 CEST + 3 h
    assert "pause" in [s["kind"] for s in targets["temporary_solution"]["steps"]]
    assert "Europe/Berlin" in resumed["calendar"]


async def test_agent_changes_severity_with_a_reason_and_the_reseller_sees_it(service: Service) -> None:
    rid = await service.new_reseller()
    ticket = await service.open_ticket(rid, "C")
    path = f"/v1/tickets/{ticket['id']}"
    assert (
        await service.call("POST", f"{path}/severity", reseller(rid), json={"severity": "A", "reason": "x"})
    ).status_code == 403
    missing_reason = await service.call("POST", f"{path}/severity", SUPPORT_AGENT, json={"severity": "A"})
    assert missing_reason.status_code == 422
    changed = await service.call(
        "POST", f"{path}/severity", SUPPORT_AGENT, json={"severity": "A", "reason": "Data loss"}
    )
    assert changed.status_code == 200
    seen = (await service.call("GET", path, reseller(rid))).json()
    assert seen["severity"] == "A"
    assert utc({t["target"]: t for t in seen["targets"]}["first_response"]["due_at"]) == START + timedelta(hours=4)
    history = (await service.call("GET", f"{path}/events", reseller(rid))).json()
    assert [(e["from_severity"], e["to_severity"], e["body"]) for e in history] == [("C", "A", "Data loss")]


async def test_reply_to_a_closed_ticket_is_a_conflict(service: Service) -> None:
    rid = await service.new_reseller()
    path = f"/v1/tickets/{(await service.open_ticket(rid))['id']}"
    await service.call("POST", f"{path}/messages", SUPPORT_AGENT, json={"body": "Fixed in build 24.3.2"})
    assert (await service.call("POST", f"{path}/state", SUPPORT_AGENT, json={"state": "closed"})).status_code == 409
    resolved = await service.call(
        "POST", f"{path}/state", SUPPORT_AGENT, json={"state": "resolved", "resolution": "solved"}
    )
    assert resolved.json()["state"] == "resolved"
    assert (await service.call("POST", f"{path}/state", SUPPORT_AGENT, json={"state": "closed"})).json()[
        "state"
    ] == "closed"
    late = await service.call("POST", f"{path}/messages", reseller(rid), json={"body": "thanks"})
    assert late.status_code == 409
    assert late.headers["content-type"] == "application/problem+json"


async def test_escalation_with_missing_template_fields_lists_all_of_them_and_changes_nothing(service: Service) -> None:
    rid = await service.new_reseller()
    path = f"/v1/tickets/{(await service.open_ticket(rid))['id']}"
    response = await service.call(
        "POST", f"{path}/escalation", SUPPORT_AGENT, json={"symptoms": "crash", "contact": " "}
    )
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == [
        "error_messages", "steps_to_reproduce", "expected_outcome", "build_number", "business_impact",
        "first_occurrence", "recent_changes", "contact",
    ]  # fmt: skip
    assert (await service.call("GET", path, SUPPORT_AGENT)).json()["state"] == "new"
    full = dict.fromkeys(["symptoms", "error_messages", "steps_to_reproduce", "expected_outcome", "build_number",
                          "business_impact", "first_occurrence", "recent_changes", "contact"], "given")  # fmt: skip
    assert (await service.call("POST", f"{path}/escalation", SUPPORT_AGENT, json=full)).json()[
        "state"
    ] == "escalated_to_vendor"


async def test_build_older_than_two_prior_releases_is_flagged_update_first(service: Service) -> None:
    rid = await service.new_reseller()
    ticket = await service.open_ticket(rid, build_number="23.12.1")
    assert ticket["unsupported_version"] is True
    assert "update first" in ticket["eol_notice"]


async def test_only_admins_backdate_ticket_events(service: Service) -> None:
    rid = await service.new_reseller()
    earlier = (START - timedelta(days=2)).isoformat()
    refused = await service.call(
        "POST",
        "/v1/tickets",
        reseller(rid),
        json={"subject": "s", "description": "d", "product": "p", "severity": "D", "requested_at": earlier},
    )
    assert refused.status_code == 403
    body = {"subject": "s", "description": "d", "product": "p", "severity": "D"}
    imported = await service.call(
        "POST", "/v1/tickets", ADMIN, json=body | {"reseller_id": rid, "requested_at": earlier}
    )
    assert imported.status_code == 201
    assert utc(imported.json()["opened_at"]) == START - timedelta(days=2)
    assert {t["target"]: t["state"] for t in imported.json()["targets"]}["first_response"] == "breached"


async def test_ticket_for_an_unknown_reseller_is_not_found(service: Service) -> None:
    response = await service.call(
        "POST",
        "/v1/tickets",
        reseller("5d0f6c36-0000-4000-8000-000000000000"),
        json={"subject": "s", "description": "d", "product": "p", "severity": "D"},
    )
    assert response.status_code == 404


async def test_reseller_read_model_learns_country_and_signature_in_either_event_order(service: Service) -> None:
    rid, subscription_id = str(uuid.uuid4()), str(uuid.uuid4())
    created = SubscriptionCreatedV1.example().model_copy(
        update={"reseller_id": rid, "subscription_id": subscription_id}
    )
    await service.publish(created)  # the subscription first: the reseller is not known yet
    registered = ResellerRegisteredV1.example().model_copy(
        update={
            "reseller_id": rid,
            "country": "PL",
            "partner_since": date(2021, 1, 4),
            "contract_signed_on": date(2023, 5, 2),  # the contract date, not the partnership's, starts the quota
        }
    )
    await service.publish(registered, times=2)

    async def known() -> bool:
        response = await service.call("GET", f"/v1/resellers/{rid}", SUPPORT_AGENT)
        return response.status_code == 200 and response.json()["subscription_id"] is not None

    await eventually(known, "reseller read model")
    seen = (await service.call("GET", f"/v1/resellers/{rid}", SUPPORT_AGENT)).json()
    assert (seen["country"], seen["contract_signed_on"], seen["subscription_id"]) == (
        "PL",
        "2023-05-02",
        subscription_id,
    )


async def test_policy_is_reapplied_only_explicitly_and_an_unknown_holiday_country_is_refused(service: Service) -> None:
    rid = await service.new_reseller()
    ticket = await service.open_ticket(rid, "A")
    path = f"/v1/tickets/{ticket['id']}"
    before = (await service.call("GET", f"{path}/sla", ADMIN)).json()
    bad = await service.call("POST", f"{path}/policy", ADMIN, json={"reason": "fix", "calendar": {"country": "XX"}})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "calendar.country"
    assert (await service.call("GET", f"{path}/sla", ADMIN)).json()["targets"] == before["targets"]
    agent = await service.call("POST", f"{path}/policy", SUPPORT_AGENT, json={"reason": "fix"})
    assert agent.status_code == 403
    calendar = {"time_zone": "Europe/Berlin", "country": "DE", "working_weekdays": [0, 1, 2, 3, 4, 5]}
    reapplied = await service.call(
        "POST", f"{path}/policy", ADMIN, json={"reason": "Saturdays count", "calendar": calendar}
    )
    assert reapplied.status_code == 200
    targets = {t["target"]: t for t in reapplied.json()["targets"]}
    assert utc(targets["permanent_resolution"]["due_at"]) == datetime(2024, 3, 21, 8, 0, tzinfo=UTC)  # Mon-Sat days


async def test_opening_twice_with_the_same_idempotency_key_opens_one_ticket(service: Service) -> None:
    rid = await service.new_reseller()
    body = {"subject": "Once", "description": "d", "product": "p", "severity": "C"}
    headers = {"Idempotency-Key": f"open-{rid}"}
    first = await service.call("POST", "/v1/tickets", reseller(rid), json=body, headers=headers)
    again = await service.call("POST", "/v1/tickets", reseller(rid), json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    other = await service.call("POST", "/v1/tickets", reseller(rid), json=body | {"severity": "D"}, headers=headers)
    assert other.status_code == 409
    assert len((await service.call("GET", "/v1/tickets", reseller(rid))).json()["items"]) == 1
