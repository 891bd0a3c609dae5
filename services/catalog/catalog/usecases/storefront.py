"""The storefront read: published groups with the products a buyer can order today, cached per catalog version.

The storefront is the hot read. The answer depends only on the catalog's content and the day, so it is built
once per (catalog version, UTC day) and kept encoded (`bss.encoded_answer`: the JSON bytes, gzipped bytes and a
strong ETag for each). Any catalog write bumps the version (one row in `catalog_changes`, in the writing
transaction), so every replica sees a change on its next read; every dated attribute the storefront shows
(versions, commitments, purchase windows, deactivation) takes effect at the start of a UTC day, so a version
written ahead of its date is shown from that day's first read on. A cached read costs one `max(seq)` read on a
connection the version probe keeps of its own (`adapters/catalog_version.py`, docs/decisions/0021).
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bss.encoded_answer import EncodedAnswer
from bss.events.contracts.value_types import decimal_text
from catalog.adapters.catalog_version import VersionProbe, version_probe
from catalog.adapters.repository import catalog_version
from catalog.domain.timeline import Commitment, ProductVersion, commitments_on, in_force
from catalog.models import CommitmentRow, Product, ProductGroup, ProductGroupMember, ProductVersionRow
from catalog.runtime import CatalogRuntime


@dataclass(frozen=True, slots=True)
class StorefrontAnswer:
    version: int
    day: date
    encoded: EncodedAnswer


class StorefrontCache:
    """The last storefront answer, keyed by (catalog version, day), and the probe that reads the version."""

    def __init__(self) -> None:
        self._answer: StorefrontAnswer | None = None
        self._lock = asyncio.Lock()
        self._probe: VersionProbe | None = None
        self.builds = 0

    async def open(self, runtime: CatalogRuntime) -> None:
        """At start: the version probe for the runtime's database (its connection opens on the first read)."""
        self._probe = version_probe(runtime.engine)

    async def close(self, _runtime: CatalogRuntime) -> None:
        probe, self._probe = self._probe, None
        if probe is not None:
            await probe.close()

    async def get(self, runtime: CatalogRuntime, today: date) -> StorefrontAnswer:
        """The storefront on `today` (a read use case: it reads the version, and builds in a session of its own)."""
        if self._probe is None:
            self._probe = version_probe(runtime.engine)
        version = await self._probe.current()
        answer = self._answer
        if answer is not None and answer.version >= version and answer.day == today:
            return answer
        async with self._lock:
            answer = self._answer
            if answer is None or answer.version < version or answer.day != today:
                async with runtime.sessions() as session:
                    built_version = await catalog_version(session)
                    built = await build_storefront(session, built_version, today)
                body = json.dumps(built, separators=(",", ":")).encode()
                answer = StorefrontAnswer(built_version, today, EncodedAnswer.of(body))
                self._answer = answer
                self.builds += 1
        return answer


async def build_storefront(session: AsyncSession, version: int, today: date) -> dict[str, Any]:
    """Published groups with their products that exist, are active and on sale today (seed 003), in the
    `StorefrontCatalog` shape; built with plain column queries, as it reads the whole published catalog."""
    groups = (
        await session.execute(
            select(ProductGroup.id, ProductGroup.name, ProductGroup.category, ProductGroup.marketing_text)
            .where(ProductGroup.published.is_(True))
            .order_by(ProductGroup.name)
        )
    ).all()
    members = (
        await session.execute(
            select(
                ProductGroupMember.group_id,
                Product.id,
                Product.code,
                Product.description,
                Product.marketing_text,
                Product.deactivated_on,
            )
            .join(Product, Product.id == ProductGroupMember.product_id)
            .join(ProductGroup, ProductGroup.id == ProductGroupMember.group_id)
            .where(ProductGroup.published.is_(True))
            .order_by(ProductGroupMember.group_id, ProductGroupMember.position)
        )
    ).all()
    versions, commitments = await _histories(session)
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for group_id, product_id, code, description, marketing_text, deactivated_on in members:
        current = in_force(versions.get(product_id, ()), today)
        if current is not None and _on_sale(current, deactivated_on, today):
            amounts = commitments_on(commitments.get(product_id, []), today)
            by_group[group_id].append(
                {
                    "id": product_id,
                    "code": code,
                    "name": current.name,
                    "tier": current.tier,
                    "description": description,
                    "marketing_text": marketing_text,
                    "commitments": [{"currency": c, "amount": decimal_text(a)} for c, a in amounts.items()],
                }
            )
    return {
        "catalog_version": version,
        "as_of": today.isoformat(),
        "groups": [
            {"id": gid, "name": name, "category": category, "marketing_text": text, "products": by_group[gid]}
            for gid, name, category, text in groups
        ],
    }


def _on_sale(current: ProductVersion, deactivated_on: date | None, today: date) -> bool:
    """The storefront shows what can be bought today: active, and within its purchase window (seed 003)."""
    if deactivated_on is not None and today >= deactivated_on:
        return False
    return current.orderable_before is None or today < current.orderable_before


async def _histories(
    session: AsyncSession,
) -> tuple[dict[str, list[ProductVersion]], dict[str, list[Commitment]]]:
    published = (
        select(ProductGroupMember.product_id)
        .join(ProductGroup, ProductGroup.id == ProductGroupMember.group_id)
        .where(ProductGroup.published.is_(True))
    )
    versions: dict[str, list[ProductVersion]] = defaultdict(list)
    version_rows = await session.execute(
        select(
            ProductVersionRow.product_id,
            ProductVersionRow.effective_from,
            ProductVersionRow.name,
            ProductVersionRow.tier,
            ProductVersionRow.orderable_before,
        ).where(ProductVersionRow.product_id.in_(published))
    )
    for product_id, effective_from, name, tier, orderable_before in version_rows.all():
        # The region rule does not change what the storefront shows (it depends on the buyer), so it is not read.
        versions[product_id].append(ProductVersion(effective_from, name, tier, orderable_before))
    commitments: dict[str, list[Commitment]] = defaultdict(list)
    rows = await session.execute(
        select(
            CommitmentRow.product_id, CommitmentRow.currency, CommitmentRow.effective_from, CommitmentRow.amount
        ).where(CommitmentRow.product_id.in_(published))
    )
    for product_id, currency, effective_from, amount in rows.all():
        commitments[product_id].append(Commitment(currency, effective_from, amount))
    return versions, commitments
