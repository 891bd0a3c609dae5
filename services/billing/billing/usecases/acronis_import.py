"""Importing an Acronis daily usage report: the use cases behind the admin endpoints and the command
(`python -m billing.acronis_import`). The usage goes through the same ingestion as `POST /v1/usage`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters import customers
from billing.adapters.usage_store import UsageStore
from billing.domain.acronis_report import OfferingMapping, ReportRow, TenantMapping, parse_report, usage_from_report
from billing.domain.customer_names import ACRONIS
from billing.models import AcronisOfferingMapRow, AcronisTenantMapRow
from billing.runtime import BillingUseCase
from billing.usecases.usage_intake import record_batch
from bss.db import insert_for


@dataclass
class ImportSummary:
    accepted: int = 0
    duplicate: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


Mappings = tuple[list[dict[str, str]], list[dict[str, str]]]
"""(tenants, offering items), as `PUT /v1/acronis/mappings` and the command's mapping file give them."""


async def save_mappings(ctx: BillingUseCase, tenants: list[dict[str, str]], offerings: list[dict[str, str]]) -> None:
    """Upsert the tenant -> customer and offering item -> SKU mapping rows, in one transaction."""
    async with ctx.transaction() as session:
        await _save_mappings(session, tenants, offerings)


async def _save_mappings(session: AsyncSession, tenants: list[dict[str, str]], offerings: list[dict[str, str]]) -> None:
    for values, model, key in [(t, AcronisTenantMapRow, "acronis_tenant_id") for t in tenants] + [
        (o, AcronisOfferingMapRow, "offering_item") for o in offerings
    ]:
        insert = insert_for(session)(model).values(**values)
        changes = {name: insert.excluded[name] for name in values if name != key}
        await session.execute(insert.on_conflict_do_update(index_elements=[key], set_=changes))


async def import_report(
    ctx: BillingUseCase, store: UsageStore, report: str, *, mappings: Mappings | None = None
) -> ImportSummary:
    """Turn a report into usage events (deterministic ids: a re-import counts nothing twice, and once the first
    import is counted, answers every event 'duplicate'), received at `ctx.now`, in one transaction; `mappings`
    are saved first."""
    rows = parse_report(report)  # a report that cannot be read opens no transaction
    async with ctx.transaction() as session:
        if mappings is not None:
            await _save_mappings(session, *mappings)
        return await _import_rows(session, ctx, store, rows)


async def _import_rows(
    session: AsyncSession, ctx: BillingUseCase, store: UsageStore, rows: list[ReportRow]
) -> ImportSummary:
    tenants = {
        row.acronis_tenant_id: TenantMapping(row.reseller_id, row.subscription_id, row.customer_id)
        for row in (await session.execute(select(AcronisTenantMapRow))).scalars()
    }
    offerings = {
        row.offering_item: OfferingMapping(row.sku, row.value_field)  # type: ignore[arg-type]
        for row in (await session.execute(select(AcronisOfferingMapRow))).scalars()
    }
    usage, skipped = usage_from_report(rows, tenants, offerings)
    named = {row.tenant_id: row.tenant_name for row in rows if row.tenant_name and row.tenant_id in tenants}
    for tenant_id, name in named.items():  # the report's tenant names fill the customer registry
        mapping = tenants[tenant_id]
        await customers.name_customer(
            session, mapping.reseller_id, mapping.customer_id, name, source=ACRONIS, now=ctx.now
        )
    outcomes = await record_batch(session, ctx, store, [(u.event_id, dict(u.data)) for u in usage])
    summary = ImportSummary(skipped=skipped)
    for outcome in outcomes:
        if outcome.status == "accepted":
            summary.accepted += 1
        elif outcome.status == "duplicate":
            summary.duplicate += 1
        else:
            summary.rejected.append({"event_id": outcome.event_id, "reason_code": outcome.reason_code})
    return summary
