"""Through the gateway only: an admin imports a ticket's history from another system (a dry run first), the reseller
reads it as of an instant inside it, a second import changes nothing, and only admins import."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Suite
from tests.e2e.test_reseller_onboarding import reseller_body
from tests.harness.polling import eventually

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

IMPORTS = "/api/v1/support/imports/tickets"


def batch(reseller_id: str, opened: datetime) -> dict[str, Any]:
    def at(hours: float) -> str:
        return (opened + timedelta(hours=hours)).isoformat()

    return {
        "tickets": [
            {
                "source": "legacy-desk",
                "source_id": f"LD-{reseller_id[:8]}",
                "reseller_id": reseller_id,
                "subject": "Backups of the file server fail",
                "severity": "B",
                "opened_at": opened.isoformat(),
                "history": [
                    {"kind": "message", "at": at(1), "by": "support", "body": "Logs?", "wait_on_reseller": True},
                    {"kind": "message", "at": at(5), "by": "reseller", "body": "Attached."},
                    {"kind": "state_change", "at": at(30), "state": "resolved", "resolution": "workaround"},
                ],
            }
        ]
    }


async def test_ticket_import_through_the_gateway_then_read_as_of_by_the_reseller(suite: Suite) -> None:
    async with suite.admin() as admin:
        created = await admin.post("/api/v1/subscriptions/resellers", json=reseller_body("DE", "2021-03-01", "EUR"))
        assert created.status_code == 201, created.text
    reseller_id = created.json()["id"]
    opened = (datetime.now(UTC) - timedelta(days=10)).replace(microsecond=0)
    body = batch(reseller_id, opened)

    async def dry_run_created(admin: httpx.AsyncClient) -> dict[str, Any] | None:
        """Support learns resellers from subscription events: a dry run answers `created` once it knows this one."""
        response = await admin.post(IMPORTS, json=body, params={"dry_run": "true"})
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer if answer["lines"][0]["status"] == "created" else None

    async with suite.admin() as admin:
        dry = await eventually(lambda: dry_run_created(admin), what="the reseller known to support")
        assert dry["lines"][0]["ticket_id"] is None
        first = await admin.post(IMPORTS, json=body)
        again = await admin.post(IMPORTS, json=body)
        assert [r.json()["lines"][0]["status"] for r in (first, again)] == ["created", "unchanged"]
        documented = (await admin.get("/openapi.json")).json()["paths"]
        assert "post" in documented[IMPORTS]
    ticket_id = first.json()["lines"][0]["ticket_id"]

    reseller_key = await suite.key_for("reseller", reseller_id)
    async with suite.client(reseller_key) as reseller:
        inside = await reseller.get(
            f"/api/v1/support/tickets/{ticket_id}/sla", params={"as_of": (opened + timedelta(hours=2)).isoformat()}
        )
        assert inside.status_code == 200, inside.text
        assert inside.json()["paused"] is True
        now = await reseller.get(f"/api/v1/support/tickets/{ticket_id}")
        assert (now.json()["state"], now.json()["source"]) == ("resolved", "legacy-desk")
        refused = await reseller.post(IMPORTS, json=body)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
