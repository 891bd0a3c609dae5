"""A product's published definition as of a date, its upgrade paths, and what changed between two versions.

Other services keep read models from these definitions (subscriptions: orderability and upgrade paths;
billing: commitments, tier names and usage SKUs), so the catalog publishes one whenever any of it changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from bss.availability import NewPartnerRule
from catalog.domain.timeline import ProductRecord, UsageSkuSpec

UPGRADE_CURRENCY = "USD"


@dataclass(frozen=True, slots=True)
class ProductDefinition:
    """Everything a consumer needs to know about a product from one date on."""

    code: str
    name: str
    product_type: str
    tier: str
    commitments: tuple[tuple[str, Decimal], ...]
    usage_skus: tuple[UsageSkuSpec, ...]
    upgrade_product_ids: tuple[str, ...]
    exclusion_set: str | None
    orderable_before: date | None
    new_partner_restriction: NewPartnerRule | None


# Which `ProductChanged.changes` kind each field of the definition maps to.
_CHANGE_KINDS: dict[str, str] = {
    "name": "renamed",
    "tier": "tier_moved",
    "commitments": "commitment_changed",
    "usage_skus": "usage_skus_changed",
    "upgrade_product_ids": "upgrades_changed",
    "orderable_before": "orderability_changed",
    "new_partner_restriction": "orderability_changed",
    "exclusion_set": "exclusion_set_changed",
}


def upgrade_ids(product: ProductRecord, peers: Sequence[ProductRecord], on: date) -> tuple[str, ...]:
    """A contract product's upgrades on a date are the other products of its exclusion set with a higher USD
    commitment then; promotional products (with a purchase end date) are never an upgrade target (seed 003)."""
    if product.exclusion_set is None:
        return ()
    own = product.commitments_on(on).get(UPGRADE_CURRENCY)
    if own is None:
        return ()
    found: list[tuple[Decimal, str]] = []
    for peer in peers:
        if peer.id == product.id or peer.exclusion_set != product.exclusion_set:
            continue
        version = peer.version_on(on)
        theirs = peer.commitments_on(on).get(UPGRADE_CURRENCY)
        if version is None or version.orderable_before is not None or theirs is None:
            continue
        if theirs > own:
            found.append((theirs, peer.id))
    return tuple(peer_id for _amount, peer_id in sorted(found))


def definition_on(
    product: ProductRecord, peers: Sequence[ProductRecord], skus: Sequence[UsageSkuSpec], on: date
) -> ProductDefinition | None:
    """The product's definition in force on `on` (None before it exists or while it has no commitment)."""
    version = product.version_on(on)
    commitments = product.commitments_on(on)
    if version is None or not commitments:
        return None
    return ProductDefinition(
        code=product.code,
        name=version.name,
        product_type=product.product_type,
        tier=version.tier,
        commitments=tuple(sorted(commitments.items())),
        usage_skus=tuple(sorted((s for s in skus if s.effective_from <= on), key=lambda s: s.sku)),
        upgrade_product_ids=upgrade_ids(product, peers, on),
        exclusion_set=product.exclusion_set,
        orderable_before=version.orderable_before,
        new_partner_restriction=version.new_partner_rule,
    )


def definition_timeline(
    product: ProductRecord, peers: Sequence[ProductRecord], skus: Sequence[UsageSkuSpec]
) -> list[tuple[date, ProductDefinition]]:
    """Every date the product's definition changes, with the definition from then; a date that changes nothing
    (the same definition as the day before) is left out, so re-stating a value never publishes anything."""
    start = product.available_from
    if start is None:
        return []
    dates = {start}
    dates.update(v.effective_from for v in product.versions)
    dates.update(c.effective_from for c in product.commitments)
    dates.update(s.effective_from for s in skus)
    for peer in peers:
        if peer.exclusion_set is not None and peer.exclusion_set == product.exclusion_set:
            dates.update(v.effective_from for v in peer.versions)
            dates.update(c.effective_from for c in peer.commitments)
    timeline: list[tuple[date, ProductDefinition]] = []
    for on in sorted(d for d in dates if d >= start):
        definition = definition_on(product, peers, skus, on)
        if definition is not None and (not timeline or timeline[-1][1] != definition):
            timeline.append((on, definition))
    return timeline


def changes_between(before: ProductDefinition, after: ProductDefinition) -> tuple[str, ...]:
    """The kinds of change from one definition to the next, in a stable order, each named once."""
    names = [field.name for field in fields(ProductDefinition)]
    return change_kinds({n: getattr(before, n) for n in names}, {n: getattr(after, n) for n in names})


def change_kinds(before: Mapping[str, object], after: Mapping[str, object]) -> tuple[str, ...]:
    """The same comparison on two published definitions (their wire form, keyed by the contract's fields)."""
    kinds: list[str] = []
    for name, kind in _CHANGE_KINDS.items():
        if kind not in kinds and before.get(name) != after.get(name):
            kinds.append(kind)
    return tuple(kinds)
