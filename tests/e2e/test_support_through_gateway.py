"""Through the gateway only: a reseller's ticket, the agent's answer, the SLA clock, and what each role may see."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import Suite
from tests.e2e.test_reseller_onboarding import reseller_body
from tests.harness.polling import eventually

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

TICKET = {
    "subject": "Recovery fails with 'Archive is corrupted'",
    "description": "All Hyper-V machines fail to recover since Monday.",
    "product": "Acronis Cyber Protect Cloud",
    "build_number": "24.3.37719",
    "severity": "B",
}


async def open_ticket(client: httpx.AsyncClient) -> httpx.Response | None:
    """The support service learns resellers from subscription events: retry until it knows this one."""
    response = await client.post("/api/v1/support/tickets", json=TICKET)
    return response if response.status_code == 201 else None


async def test_ticket_answered_by_an_agent_with_internal_notes_hidden_and_tenants_apart(suite: Suite) -> None:
    async with suite.admin() as admin:
        first = await admin.post("/api/v1/subscriptions/resellers", json=reseller_body("FR", "2021-03-01", "EUR"))
        second = await admin.post("/api/v1/subscriptions/resellers", json=reseller_body("IT", "2021-03-01", "EUR"))
        assert first.status_code == second.status_code == 201
    reseller_key = await suite.key_for("reseller", first.json()["id"])
    other_key = await suite.key_for("reseller", second.json()["id"])
    agent_key = await suite.key_for("support_agent")
    storefront_key = await suite.key_for("storefront")

    async with (
        suite.client(reseller_key) as reseller,
        suite.client(other_key) as other,
        suite.client(agent_key) as agent,
        suite.client(storefront_key) as storefront,
    ):
        opened = await eventually(lambda: open_ticket(reseller), what="the reseller known to support")
        ticket = opened.json()
        assert {t["target"] for t in ticket["targets"]} >= {"first_response", "permanent_resolution"}

        note = await agent.post(
            f"/api/v1/support/tickets/{ticket['id']}/messages", json={"body": "Looks like bug 123.", "internal": True}
        )
        reply = await agent.post(
            f"/api/v1/support/tickets/{ticket['id']}/messages",
            json={"body": "Please send the logs of the failed job.", "wait_on_reseller": True},
        )
        assert note.status_code == reply.status_code == 201, (note.text, reply.text)

        seen_by_reseller = (await reseller.get(f"/api/v1/support/tickets/{ticket['id']}/events")).json()
        bodies = [event["body"] for event in seen_by_reseller]
        assert "Please send the logs of the failed job." in bodies
        assert "Looks like bug 123." not in bodies
        seen_by_agent = (await agent.get(f"/api/v1/support/tickets/{ticket['id']}/events")).json()
        assert "Looks like bug 123." in [event["body"] for event in seen_by_agent]

        clock = await reseller.get(f"/api/v1/support/tickets/{ticket['id']}/sla")
        assert clock.status_code == 200, clock.text

        assert (await other.get(f"/api/v1/support/tickets/{ticket['id']}")).status_code == 404
        refused = await storefront.post("/api/v1/support/tickets", json=TICKET)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
