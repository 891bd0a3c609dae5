"""Support's SLA settings through the gateway (`/api/v1/support/settings/...`): admins change, staff read,
resellers are refused; a reseller's ticket opens on the calendar assigned to it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Suite
from tests.e2e.test_reseller_onboarding import reseller_body
from tests.e2e.test_support_through_gateway import open_ticket
from tests.harness.polling import eventually

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

TOKYO = {"time_zone": "Asia/Tokyo", "working_weekdays": [0, 1, 2, 3, 4, 5], "country": "JP"}


async def test_sla_settings_through_the_gateway_admins_change_staff_read_resellers_are_refused(suite: Suite) -> None:
    async with suite.admin() as admin:
        created = await admin.post("/api/v1/subscriptions/resellers", json=reseller_body("FR", "2021-03-01", "EUR"))
        assert created.status_code == 201, created.text
        reseller_id = created.json()["id"]
        calendar = await admin.put(
            "/api/v1/support/settings/sla-calendars/tokyo",
            json={"value": TOKYO, "effective_from": "2020-01-01", "reason": "Tokyo office"},
        )
        assigned = await admin.put(
            f"/api/v1/support/settings/sla-calendar-assignments/{reseller_id}",
            json={"value": {"calendar": "tokyo"}, "effective_from": "2020-01-01"},
        )
        assert calendar.status_code == assigned.status_code == 200, (calendar.text, assigned.text)
    reseller_key = await suite.key_for("reseller", reseller_id)
    agent_key = await suite.key_for("support_agent")

    async with suite.client(reseller_key) as reseller, suite.client(agent_key) as agent:
        listed = await agent.get("/api/v1/support/settings/sla-calendars")
        assert {item["scope"] for item in listed.json()["items"]} == {"default", "tokyo"}
        trail = await agent.get("/api/v1/support/settings/changes", params={"kind": "sla-calendars", "scope": "tokyo"})
        assert [c["reason"] for c in trail.json()["items"]] == ["Tokyo office"]
        refused = await agent.put(
            "/api/v1/support/settings/sla-calendars/tokyo", json={"value": TOKYO, "effective_from": "2021-01-01"}
        )
        assert refused.status_code == 403
        for response in (
            await reseller.get("/api/v1/support/settings/sla-calendars"),
            await reseller.put(
                f"/api/v1/support/settings/sla-calendar-assignments/{reseller_id}",
                json={"value": {"calendar": "default"}, "effective_from": "2021-01-01"},
            ),
        ):
            assert response.status_code == 403, response.text
            assert response.headers["content-type"] == "application/problem+json"

        opened = await eventually(lambda: open_ticket(reseller), what="the reseller known to support")
        explained = await reseller.get(f"/api/v1/support/tickets/{opened.json()['id']}/sla")
        assert explained.json()["calendar_name"] == "tokyo"
        assert "Asia/Tokyo" in explained.json()["calendar"]
