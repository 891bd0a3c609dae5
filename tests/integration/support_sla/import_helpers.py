"""What the ticket import tests share: request bodies, and counts of every row an import could write."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from support_sla.models import Incident, SlaAlert, SlaTarget, SupportCharge, Ticket, TicketEvent, messaging
from tests.harness.identity import ADMIN
from tests.integration.support_sla.harness import Service

IMPORTS = "/v1/imports/tickets"
OPENED = "2024-02-05T09:12:00+01:00"  # a Monday, 09:12 in Berlin (the module's calendar), a month before START


def step(kind: str, at: str, **values: Any) -> dict[str, Any]:
    return {"kind": kind, "at": at, **values}


def resolved_history() -> list[dict[str, Any]]:
    """Support waits on the reseller, who answers; severity raised; resolved, then closed."""
    return [
        step("message", "2024-02-05T10:02:00+01:00", by="support", body="Which build?", wait_on_reseller=True),
        step("message", "2024-02-05T13:40:00+01:00", by="reseller", body="24.3.37719"),
        step("message", "2024-02-05T13:45:00+01:00", by="support", body="VSS writer?", internal=True),
        step("severity_change", "2024-02-06T08:00:00+01:00", severity="A", reason="Data loss"),
        step("state_change", "2024-02-06T16:30:00+01:00", state="resolved", resolution="solved"),
        step("state_change", "2024-02-07T09:00:00+01:00", state="closed"),
    ]


def ticket(reseller_id: str, source_id: str, **values: Any) -> dict[str, Any]:
    return {
        "source": "zendesk",
        "source_id": source_id,
        "reseller_id": reseller_id,
        "subject": "Recovery fails with 'Archive is corrupted'",
        "severity": "B",
        "opened_at": OPENED,
        "history": resolved_history(),
    } | values


async def import_batch(
    service: Service, tickets: list[dict[str, Any]], *, dry_run: bool = False, expect: int = 200
) -> dict[str, Any]:
    response = await post_import(service, {"tickets": tickets}, dry_run=dry_run)
    assert response.status_code == expect, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def post_import(service: Service, body: Any, *, dry_run: bool = False, **kwargs: Any) -> httpx.Response:
    params = {"dry_run": "true"} if dry_run else {}
    return await service.call("POST", IMPORTS, kwargs.pop("caller", ADMIN), json=body, params=params, **kwargs)


async def row_counts(service: Service) -> dict[str, int]:
    """Rows of every table an import could write, and the outbox's last sequence number (events published)."""
    counted = {
        "tickets": Ticket,
        "ticket_events": TicketEvent,
        "sla_targets": SlaTarget,
        "sla_alerts": SlaAlert,
        "incidents": Incident,
        "support_charges": SupportCharge,
    }
    async with service.runtime.sessions() as session:
        counts = {
            name: int(await session.scalar(select(func.count()).select_from(model)) or 0)
            for name, model in counted.items()
        }
        outbox = messaging.outbox
        counts["outbox_last_seq"] = int(await session.scalar(select(func.max(outbox.c.seq))) or 0)
    return counts


def statuses(answer: dict[str, Any]) -> list[str]:
    return [line["status"] for line in answer["lines"]]
