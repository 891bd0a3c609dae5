"""Reading a ticket and its SLA as of an earlier instant (`?as_of=`): the history recorded up to that instant only
(docs/domain.md, "Ticket import and as-of reads"). The module's clock starts on Monday 2024-03-04 08:00 UTC
(09:00 in Berlin, the calendar's zone)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.harness.identity import ADMIN, SUPPORT_AGENT, reseller
from tests.integration.support_sla.conftest import START
from tests.integration.support_sla.harness import Service, utc

pytestmark = pytest.mark.asyncio(loop_scope="session")

HOUR = timedelta(hours=1)


async def read(
    service: Service, ticket_id: str, suffix: str = "", caller: Any = ADMIN, **params: Any
) -> dict[str, Any]:
    query = {name: value.isoformat() if hasattr(value, "isoformat") else value for name, value in params.items()}
    response = await service.call("GET", f"/v1/tickets/{ticket_id}{suffix}", caller, params=query)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def targets(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {target["target"]: target for target in answer["targets"]}


async def test_as_of_before_inside_and_after_a_pause(service: Service) -> None:
    rid = await service.new_reseller()
    ticket_id = (await service.open_ticket(rid, "B"))["id"]
    service.clock.set(START + HOUR)
    wait = {"body": "Which build?", "wait_on_reseller": True}
    assert (
        await service.call("POST", f"/v1/tickets/{ticket_id}/messages", SUPPORT_AGENT, json=wait)
    ).status_code == 201
    service.clock.set(START + 4 * HOUR)
    answer = {"body": "24.3"}
    assert (
        await service.call("POST", f"/v1/tickets/{ticket_id}/messages", reseller(rid), json=answer)
    ).status_code == 201
    service.clock.set(START + 6 * HOUR)

    before = await read(service, ticket_id, "/sla", as_of=START + HOUR / 2)
    assert (before["as_of"], before["severity"], before["paused"]) == ("2024-03-04T08:30:00Z", "B", False)
    first = targets(before)["first_response"]
    assert (first["state"], utc(first["due_at"]), first["remaining_seconds"]) == ("running", START + 4 * HOUR, 12600)
    assert targets(before)["temporary_solution"]["state"] == "running"
    assert (await read(service, ticket_id, as_of=START + HOUR / 2))["state"] == "new"

    inside = await read(service, ticket_id, "/sla", as_of=START + 2 * HOUR)
    assert inside["paused"] is True
    assert targets(inside)["first_response"]["state"] == "met"  # the reply that asked was the first response
    temporary = targets(inside)["temporary_solution"]
    # paused from +1 h; as of +2 h the hour waited so far has moved the due time
    assert (temporary["state"], utc(temporary["due_at"])) == ("paused", START + 48 * HOUR + HOUR)
    ticket_inside = await read(service, ticket_id, as_of=START + 2 * HOUR)
    assert ticket_inside["state"] == "waiting_on_reseller"
    assert utc(ticket_inside["first_response_at"]) == START + HOUR

    after = await read(service, ticket_id, "/sla", as_of=START + 5 * HOUR)
    temporary = targets(after)["temporary_solution"]
    assert (after["paused"], temporary["state"], utc(temporary["due_at"])) == (False, "running", START + 51 * HOUR)
    assert temporary["remaining_seconds"] == (51 - 5) * 3600
    now = await read(service, ticket_id, "/sla")
    assert utc(now["as_of"]) == START + 6 * HOUR
    assert targets(now)["temporary_solution"]["due_at"] == temporary["due_at"]


async def test_as_of_after_a_breach_ignores_what_came_later(service: Service) -> None:
    rid = await service.new_reseller()
    ticket_id = (await service.open_ticket(rid, "A"))["id"]
    service.clock.set(START + 6 * HOUR)  # answered two hours after the first response was due
    await service.call("POST", f"/v1/tickets/{ticket_id}/messages", SUPPORT_AGENT, json={"body": "Looking"})
    service.clock.set(START + 8 * HOUR)
    await service.call(
        "POST", f"/v1/tickets/{ticket_id}/severity", SUPPORT_AGENT, json={"severity": "C", "reason": "One machine"}
    )

    running = targets(await read(service, ticket_id, "/sla", as_of=START + 3 * HOUR))["first_response"]
    assert (running["state"], running["remaining_seconds"]) == ("running", 3600)
    at_five = await read(service, ticket_id, as_of=START + 5 * HOUR)
    first = targets(at_five)["first_response"]
    assert (first["state"], first["breached_under"], utc(first["due_at"])) == ("breached", "A", START + 4 * HOUR)
    assert (at_five["state"], at_five["first_response_at"], at_five["severity"]) == ("new", None, "A")
    at_seven = await read(service, ticket_id, as_of=START + 7 * HOUR)
    assert (at_seven["state"], at_seven["severity"]) == ("open", "A")
    assert targets(at_seven)["first_response"]["state"] == "breached"  # answered late: stays breached
    later = await read(service, ticket_id, as_of=START + 8 * HOUR)
    assert later["severity"] == "C"
    assert targets(later)["first_response"]["breached_under"] == "A"


async def test_as_of_after_resolution_shows_every_target_met(service: Service) -> None:
    rid = await service.new_reseller()
    ticket_id = (await service.open_ticket(rid, "C"))["id"]
    service.clock.set(START + HOUR)
    await service.call("POST", f"/v1/tickets/{ticket_id}/messages", SUPPORT_AGENT, json={"body": "Fixed"})
    service.clock.set(START + 2 * HOUR)
    resolve = {"state": "resolved", "resolution": "solved"}
    assert (
        await service.call("POST", f"/v1/tickets/{ticket_id}/state", SUPPORT_AGENT, json=resolve)
    ).status_code == 200
    service.clock.set(START + 3 * HOUR)
    assert (
        await service.call("POST", f"/v1/tickets/{ticket_id}/state", SUPPORT_AGENT, json={"state": "closed"})
    ).status_code == 200

    open_then = await read(service, ticket_id, as_of=START + HOUR + HOUR / 2)
    assert (open_then["state"], open_then["resolved_at"]) == ("open", None)
    assert [t["state"] for t in open_then["targets"]] == ["met", "running", "running"]
    resolved = await read(service, ticket_id, "/sla", as_of=START + 2 * HOUR + HOUR / 2)
    assert [t["state"] for t in resolved["targets"]] == ["met", "met", "met"]
    assert [utc(t["met_at"]) for t in resolved["targets"]] == [START + HOUR, START + 2 * HOUR, START + 2 * HOUR]
    assert (await read(service, ticket_id, as_of=START + 2 * HOUR + HOUR / 2))["state"] == "resolved"
    assert (await read(service, ticket_id, as_of=START + 3 * HOUR))["state"] == "closed"


async def test_as_of_is_refused_before_the_opening_in_the_future_and_without_an_offset(service: Service) -> None:
    rid = await service.new_reseller()
    ticket_id = (await service.open_ticket(rid, "D"))["id"]
    for suffix in ("", "/sla"):
        path = f"/v1/tickets/{ticket_id}{suffix}"
        early = await service.call("GET", path, ADMIN, params={"as_of": (START - HOUR).isoformat()})
        assert early.status_code == 422
        assert early.headers["content-type"] == "application/problem+json"
        problem = early.json()
        assert problem["type"].endswith("/ticket-not-opened-yet")
        assert "did not exist yet" in problem["detail"]
        assert [e["field"] for e in problem["errors"]] == ["as_of"]
        future = await service.call("GET", path, ADMIN, params={"as_of": (START + 2 * HOUR).isoformat()})
        assert (future.status_code, future.json()["errors"][0]["field"]) == (422, "as_of")
        naive = await service.call("GET", path, ADMIN, params={"as_of": "2024-03-04T08:00:00"})
        assert (naive.status_code, naive.json()["errors"][0]["field"]) == (422, "as_of")
        assert naive.headers["content-type"] == "application/problem+json"
    # the opening instant itself, in another offset, is fine; another tenant's ticket is still not found
    opened = await service.call(
        "GET", f"/v1/tickets/{ticket_id}", reseller(rid), params={"as_of": "2024-03-04T09:00:00+01:00"}
    )
    assert opened.status_code == 200
    assert opened.json()["as_of"] == "2024-03-04T08:00:00Z"
    other = await service.new_reseller()
    hidden = await service.call(
        "GET", f"/v1/tickets/{ticket_id}/sla", reseller(other), params={"as_of": START.isoformat()}
    )
    assert hidden.status_code == 404


async def test_reads_without_as_of_keep_their_shape_and_say_when_they_are_as_of(service: Service) -> None:
    rid = await service.new_reseller()
    ticket = await service.open_ticket(rid, "B")
    assert utc(ticket["as_of"]) == START
    assert (ticket["source"], ticket["source_id"]) == (None, None)
    listed = (await service.call("GET", "/v1/tickets", reseller(rid))).json()["items"]
    assert [utc(item["as_of"]) for item in listed] == [START]
    explained = await read(service, ticket["id"], "/sla")
    assert set(explained) == {
        "ticket_id",
        "policy",
        "calendar",
        "calendar_name",
        "severity",
        "as_of",
        "paused",
        "targets",
    }
