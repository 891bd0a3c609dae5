"""Publishing product definitions: whatever changed in a product's timeline becomes an event, and only that.

After any change, the timeline of the affected products (and of their exclusion-set peers, whose upgrade
paths may move) is computed from the stored history and compared with what was last published per date.
A date whose definition differs gets `ProductPublished` (the product's first) or `ProductChanged`; an
unchanged one gets nothing. So publishing is idempotent: a sync that changes nothing emits nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bss.events.contracts.catalog import (
    CommitmentAmount,
    NewPartnerRestriction,
    ProductChangedV1,
    ProductPublishedV1,
    UsageSku,
)
from bss.events.contracts.value_types import Aggregation
from bss.messaging.outbox import Outbox
from catalog.adapters.repository import load_records, load_skus_by_type
from catalog.domain.definitions import ProductDefinition, change_kinds, definition_on, definition_timeline
from catalog.domain.timeline import ProductRecord, UsageSkuSpec
from catalog.models import ProductPublicationRow

_KEYS = {"product_id", "effective_from"}


def published_event(product_id: str, on: date, definition: ProductDefinition) -> ProductPublishedV1:
    rule = definition.new_partner_restriction
    return ProductPublishedV1(
        product_id=product_id,
        effective_from=on,
        code=definition.code,
        name=definition.name,
        product_type=definition.product_type,
        tier=definition.tier,
        commitments=tuple(CommitmentAmount(currency=c, amount=a) for c, a in definition.commitments),
        usage_skus=tuple(
            UsageSku(sku=s.sku, name=s.name, unit=s.unit, aggregation=cast(Aggregation, s.aggregation))
            for s in definition.usage_skus
        ),
        upgrade_product_ids=definition.upgrade_product_ids,
        exclusion_set=definition.exclusion_set,
        orderable_before=definition.orderable_before,
        new_partner_restriction=(
            NewPartnerRestriction(countries=rule.countries, partners_since=rule.partners_since) if rule else None
        ),
    )


async def publish_definitions(
    session: AsyncSession,
    outbox: Outbox,
    product_ids: Collection[str],
    *,
    now: datetime,
    reason: str | None = None,
) -> int:
    """Emit the definition events the products (and their peers) now need; returns how many were written."""
    records = await load_records(session, product_ids)
    skus = await load_skus_by_type(session)
    ids = [r.id for r in records]
    rows = (await session.scalars(select(ProductPublicationRow).where(ProductPublicationRow.product_id.in_(ids)))).all()
    published: dict[str, dict[date, ProductPublicationRow]] = {}
    for row in rows:
        published.setdefault(row.product_id, {})[row.effective_from] = row
    written = 0
    for record in records:
        written += await _publish_one(
            session,
            outbox,
            record,
            records,
            skus.get(record.product_type, []),
            published.get(record.id, {}),
            now,
            reason,
        )
    return written


async def _publish_one(
    session: AsyncSession,
    outbox: Outbox,
    record: ProductRecord,
    peers: list[ProductRecord],
    skus: list[UsageSkuSpec],
    published: dict[date, ProductPublicationRow],
    now: datetime,
    reason: str | None,
) -> int:
    wanted = dict(definition_timeline(record, peers, skus))
    for stale in set(published) - set(wanted):  # a date published before that no longer starts a change
        definition = definition_on(record, peers, skus, stale)
        if definition is not None:
            wanted[stale] = definition
    written = 0
    previous: dict[str, Any] | None = None
    for on in sorted(wanted):
        event = published_event(record.id, on, wanted[on])
        body = event.model_dump(mode="json", exclude=_KEYS)
        row = published.get(on)
        before = row.definition if row is not None else previous
        previous = body
        if row is not None and row.definition == body:
            continue
        # A product's earliest definition is its publication; every later one (or a correction) is a change.
        await outbox.add(session, event if before is None else _changed(event, before, body, reason), now=now)
        if row is None:
            session.add(
                ProductPublicationRow(product_id=record.id, effective_from=on, definition=body, published_at=now)
            )
        else:
            row.definition, row.published_at = body, now
        written += 1
    return written


def _changed(
    event: ProductPublishedV1, before: dict[str, Any], after: dict[str, Any], reason: str | None
) -> ProductChangedV1:
    # Code and product type never change through the API, so a difference is always in a mapped field; the
    # fallback only keeps a hand-edited database from producing an event the contract would refuse.
    kinds = change_kinds(before, after) or ("upgrades_changed",)
    return ProductChangedV1(
        **event.model_dump(),
        changes=kinds,
        previous_name=before.get("name") if "renamed" in kinds else None,
        previous_tier=before.get("tier") if "tier_moved" in kinds else None,
        reason=reason,
    )
