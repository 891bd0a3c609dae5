"""`GET /v1/usage/{event_id}`: what billing knows of a usage event id (a read: `usage_fate` opens its session).

The ledger's verdict if the event was decided (counted, refused with its reason, or dead-lettered); else an
accepted event still on its way to the usage consumer, found in a usage bundle of the outbox
(`Outbox.find_bundled`), answered "accepted, not counted yet". A counted event's ledger row keeps only its key,
fingerprint and time (ADR 0022): its subscription, SKU and quantity are answered for events refused, on their
way, or counted before migration 0013, and are null otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.usage_wire import USAGE_TYPE, decode_envelope, event_key
from billing.domain.usage_rules import fate_of
from billing.models import UsageEventRow
from billing.runtime import BillingRuntime
from billing.usecases.usage_checks import read_incoming
from bss.messaging.outbox import Outbox


@dataclass(frozen=True, slots=True)
class Fate:
    """What billing knows of a usage event id (`GET /v1/usage/{event_id}`)."""

    event_id: str
    status: str
    counted: bool
    reason_code: str | None
    detail: str | None
    conflicts: int
    subscription_id: str | None
    sku: str | None
    quantity: Decimal | None
    received_at: datetime


async def usage_fate(runtime: BillingRuntime, event_id: str) -> Fate | None:
    """The ledger's verdict; else an accepted event still on its way to the consumer (in an outbox bundle);
    None: the id was never received."""
    async with runtime.sessions() as session:
        return await find_fate(session, runtime.outbox, event_id)


async def find_fate(session: AsyncSession, outbox: Outbox, event_id: str) -> Fate | None:
    """`usage_fate` in the caller's session, in a transaction or not (it sees what that transaction wrote)."""
    row = await session.get(UsageEventRow, event_key(event_id))
    if row is not None:
        status = fate_of(row.reason_code)
        return Fate(
            event_id,
            status,
            status == "accepted",
            row.reason_code if status == "rejected" else None,
            row.detail,
            row.conflicts or 0,
            row.subscription_id,
            row.sku,
            row.quantity,
            row.received_at,
        )
    found = await outbox.find_bundled(session, USAGE_TYPE, event_id)
    if found is None:
        return None
    message, bundled_at = found
    usage = read_incoming(event_id, decode_envelope(message.value).data).usage
    assert usage is not None, "bundled events were valid when accepted"
    return Fate(
        event_id, "accepted", False, None, None, 0, usage.subscription_id, usage.sku, usage.quantity, bundled_at
    )
