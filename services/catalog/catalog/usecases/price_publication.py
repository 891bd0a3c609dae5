"""Writing a price publication: its entries, and `PriceBookPublished` batches in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bss.events.contracts.catalog import PriceBookPublishedV1
from bss.messaging.outbox import Outbox
from catalog.domain.pricing import Adjustment
from catalog.domain.timeline import ProductRecord
from catalog.models import PriceBook, PriceEntryRow, PricePublication

BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class NewPrice:
    product_id: str
    sku: str
    currency: str
    unit_price: Decimal


async def publish_prices(
    session: AsyncSession,
    outbox: Outbox,
    book: PriceBook,
    effective_from: date,
    prices: Sequence[NewPrice],
    records: dict[str, ProductRecord],
    *,
    adjustment: Adjustment | None,
    effective_at: datetime,
    now: datetime,
) -> tuple[str, int]:
    """Store one publication and emit it in batches of `BATCH_SIZE`; returns its id and the batch count."""
    publication_id = str(uuid.uuid4())
    session.add(
        PricePublication(
            id=publication_id,
            price_book_id=book.id,
            effective_from=effective_from,
            adjustment_kind=adjustment.kind if adjustment else None,
            adjustment_percent=adjustment.percent if adjustment else None,
            effective_at=effective_at,
            recorded_at=now,
        )
    )
    await session.flush()
    if prices:  # executemany: one round trip for a large publication
        await session.execute(
            insert(PriceEntryRow),
            [
                {
                    "price_book_id": book.id,
                    "product_id": p.product_id,
                    "sku": p.sku,
                    "currency": p.currency,
                    "effective_from": effective_from,
                    "unit_price": p.unit_price,
                    "publication_id": publication_id,
                }
                for p in prices
            ],
        )
    batches = [prices[i : i + BATCH_SIZE] for i in range(0, len(prices), BATCH_SIZE)] or [[]]
    for number, batch in enumerate(batches, start=1):
        header = {"publication_id": publication_id, "batch_number": number, "batch_count": len(batches)}
        await outbox.add(session, _batch_event(book, effective_from, header, batch, records, adjustment), now=now)
    return publication_id, len(batches)


def _batch_event(
    book: PriceBook,
    effective_from: date,
    header: dict[str, object],
    batch: Sequence[NewPrice],
    records: dict[str, ProductRecord],
    adjustment: Adjustment | None,
) -> PriceBookPublishedV1:
    return PriceBookPublishedV1.model_validate(
        {
            **header,
            "price_book_id": book.id,
            "name": book.name,
            "kind": book.kind,
            "reseller_id": book.reseller_id,
            "effective_from": effective_from,
            "entries": [
                {
                    "product_id": p.product_id,
                    "tier": _tier(records, p.product_id, effective_from),
                    "sku": p.sku,
                    "currency": p.currency,
                    "unit_price": p.unit_price,
                }
                for p in batch
            ],
            "adjustment": {"kind": adjustment.kind, "percent": adjustment.percent} if adjustment else None,
        }
    )


def _tier(records: dict[str, ProductRecord], product_id: str, on: date) -> str:
    record = records[product_id]
    version = record.version_on(on) or (record.versions[0] if record.versions else None)
    return version.tier if version else record.code
