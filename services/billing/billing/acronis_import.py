"""Importing an Acronis daily usage report: the command (`python -m billing.acronis_import REPORT.csv`) and
the use cases behind the admin endpoints. The usage goes through the same ingestion as `POST /v1/usage`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.domain.acronis_report import OfferingMapping, TenantMapping, parse_report, usage_from_report
from billing.models import AcronisOfferingMapRow, AcronisTenantMapRow, messaging
from billing.runtime import BillingRuntime
from billing.settings import BillingSettings, get_settings
from billing.usage_ingestion import ingest_usage
from bss.clock import SystemClock
from bss.db import create_engine, insert_for, session_factory
from bss.messaging.inbox import Inbox
from bss.messaging.outbox import Outbox


@dataclass
class ImportSummary:
    accepted: int = 0
    duplicate: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


async def save_mappings(session: AsyncSession, tenants: list[dict[str, str]], offerings: list[dict[str, str]]) -> None:
    """Upsert the tenant -> customer and offering item -> SKU mapping rows."""
    for values, model, key in [(t, AcronisTenantMapRow, "acronis_tenant_id") for t in tenants] + [
        (o, AcronisOfferingMapRow, "offering_item") for o in offerings
    ]:
        insert = insert_for(session)(model).values(**values)
        changes = {name: insert.excluded[name] for name in values if name != key}
        await session.execute(insert.on_conflict_do_update(index_elements=[key], set_=changes))


async def import_report(session: AsyncSession, runtime: BillingRuntime, report: str, *, now: datetime) -> ImportSummary:
    """Turn a report into usage events (deterministic ids: a re-import counts nothing twice, and once the first
    import is counted, answers every event 'duplicate')."""
    rows = parse_report(report)
    tenants = {
        row.acronis_tenant_id: TenantMapping(row.reseller_id, row.subscription_id, row.customer_id)
        for row in (await session.execute(select(AcronisTenantMapRow))).scalars()
    }
    offerings = {
        row.offering_item: OfferingMapping(row.sku, row.value_field)  # type: ignore[arg-type]
        for row in (await session.execute(select(AcronisOfferingMapRow))).scalars()
    }
    usage, skipped = usage_from_report(rows, tenants, offerings)
    outcomes = await ingest_usage(session, runtime, [(u.event_id, dict(u.data)) for u in usage], now=now)
    summary = ImportSummary(skipped=skipped)
    for outcome in outcomes:
        if outcome.status == "accepted":
            summary.accepted += 1
        elif outcome.status == "duplicate":
            summary.duplicate += 1
        else:
            summary.rejected.append({"event_id": outcome.event_id, "reason_code": outcome.reason_code})
    return summary


async def _run(text: str, settings: BillingSettings, mapping: dict[str, Any] | None = None) -> ImportSummary:
    engine = create_engine(settings.database_url)
    try:
        runtime = BillingRuntime(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            clock=SystemClock(),
            outbox=Outbox(messaging, source="/bss/billing"),
            inbox=Inbox(messaging),
        )
        async with runtime.sessions() as session, session.begin():
            if mapping is not None:
                await save_mappings(session, mapping.get("tenants", []), mapping.get("offering_items", []))
            return await import_report(session, runtime, text, now=runtime.clock.now())
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Import an Acronis daily usage report into billing.")
    parser.add_argument("report", help="The report CSV file.")
    parser.add_argument(
        "--mapping", help="A JSON mapping table to save first (see samples/acronis_mapping.json).", default=None
    )
    args = parser.parse_args(argv)
    with open(args.report, encoding="utf-8") as report:
        text = report.read()
    mapping = None
    if args.mapping:
        with open(args.mapping, encoding="utf-8") as document:
            mapping = json.load(document)
    summary = asyncio.run(_run(text, get_settings(), mapping))
    print(f"accepted {summary.accepted}, duplicate {summary.duplicate}, rejected {len(summary.rejected)}")  # noqa: T201
    for line in summary.skipped:
        print(f"skipped: {line}")  # noqa: T201
    return 0 if not summary.rejected else 1


if __name__ == "__main__":
    sys.exit(main())
