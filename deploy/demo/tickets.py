"""The month's support tickets: opened for the resellers, answered and resolved by the distributor's Tier 1.

Each ticket is backdated into the demo month (`requested_at`, admin only), so its SLA clock runs as it did
then. One answer comes too late (severity B: first response within 4 h) and breaches its SLA; one ticket is
from a reseller that is not a certified service provider, which pays a ticket fee (seed 002).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx

from deploy.demo.gateway_calls import expect

PRODUCT = "Acronis Cyber Protect Cloud"
BUILD = "24.3.37719"


@dataclass(frozen=True, slots=True)
class TicketPlan:
    reseller: str  # the cast key
    subject: str
    description: str
    severity: str
    day: int
    opened_at: time
    reply_after: timedelta
    reply: str
    wait_on_reseller: bool = False
    resolved_after: timedelta | None = None
    resolution: str = "solved"


TICKETS: tuple[TicketPlan, ...] = (
    TicketPlan(
        reseller="de",
        subject="Recovery fails with 'Archive is corrupted'",
        description="All Hyper-V machines of one customer fail to recover since the weekend.",
        severity="B",
        day=6,
        opened_at=time(9, 0),
        reply_after=timedelta(hours=6, minutes=30),  # the first response is due within 4 h: breached
        reply="Sorry for the wait. A workaround: recover from the previous recovery point while we investigate.",
        resolved_after=timedelta(hours=26),
        resolution="workaround",
    ),
    TicketPlan(
        reseller="us",
        subject="How to keep Microsoft 365 backups for 7 years",
        description="A customer needs a 7-year retention for mailbox backups. Which plan setting is it?",
        severity="C",
        day=14,
        opened_at=time(10, 0),
        reply_after=timedelta(hours=2),
        reply="Set the retention rule of the Microsoft 365 protection plan to 'by backup age', 7 years.",
        resolved_after=timedelta(hours=30),
    ),
    TicketPlan(
        reseller="jp",
        subject="Typo in the Japanese console menu",
        description="The 'Disaster recovery' menu shows a wrong character in the Japanese UI.",
        severity="D",
        day=21,
        opened_at=time(2, 0),
        reply_after=timedelta(hours=3),
        reply="Thank you, reported to the vendor; it is fixed in the next release.",
        resolved_after=timedelta(hours=20),
        resolution="fixed_in_next_release",
    ),
    TicketPlan(
        reseller="ch",
        subject="Backup agent cannot reach the datacenter",
        description="Two file servers of one customer report 'connection timed out' since Tuesday.",
        severity="C",
        day=28,
        opened_at=time(13, 0),
        reply_after=timedelta(hours=2),
        reply="Please send the agent logs (Settings > Collect system information) of one affected server.",
        wait_on_reseller=True,  # still waiting on the reseller at the month's end: an open case
    ),
)


@dataclass(frozen=True, slots=True)
class TicketOutcome:
    plan: TicketPlan
    ticket: dict[str, Any]  # the ticket as support-sla reads it after the month's events

    def target(self, name: str) -> dict[str, Any]:
        return next(t for t in self.ticket["targets"] if t["target"] == name)


def _at(period: date, day: int, at: time) -> datetime:
    return datetime.combine(period.replace(day=day), at, tzinfo=UTC)


def _stamp(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


async def work_ticket(admin: httpx.AsyncClient, plan: TicketPlan, reseller_id: str, period: date) -> TicketOutcome:
    """Open the ticket as of its day, answer it, resolve it if the plan says so; the ticket as it stands."""
    opened = _at(period, plan.day, plan.opened_at)
    body = {
        "subject": plan.subject,
        "description": plan.description,
        "product": PRODUCT,
        "build_number": BUILD,
        "severity": plan.severity,
        "reseller_id": reseller_id,
        "requested_at": _stamp(opened),
    }
    ticket = expect(await admin.post("/api/v1/support/tickets", json=body), 201, f"open '{plan.subject}'")
    path = f"/api/v1/support/tickets/{ticket['id']}"
    reply = {
        "body": plan.reply,
        "wait_on_reseller": plan.wait_on_reseller,
        "requested_at": _stamp(opened + plan.reply_after),
    }
    expect(await admin.post(f"{path}/messages", json=reply), 201, f"answer '{plan.subject}'")
    if plan.resolved_after is not None:
        at = _stamp(opened + plan.resolved_after)
        resolve = {"state": "resolved", "resolution": plan.resolution, "requested_at": at}
        expect(await admin.post(f"{path}/state", json=resolve), 200, f"resolve '{plan.subject}'")
    return TicketOutcome(plan, expect(await admin.get(path), 200, "read the ticket"))
