"""The Acronis CSP contract catalog as catalog events, with fresh product ids per test module.

Fresh ids keep each module's read model its own even though every test reads the shared `bss.catalog` topic.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from bss.events.contracts.catalog import ProductChangedV1, ProductDeactivatedV1, ProductPublishedV1
from bss.events.envelope import CloudEvent, EventData, make_event
from bss.events.topics import CATALOG
from bss.kafka import new_producer

OLD = date(2019, 1, 1)
NEW = date(2024, 1, 1)
EXCLUSION_SET = "acronis-csp-contracts"
# key: (commitment in USD, tier before 2024 or None when new, tier from 2024)
TIERS: dict[str, tuple[int, str | None, str]] = {
    "tier0": (0, "Tier 0", "Tier 0"),
    "tier1": (250, "Tier 1", "Tier 1"),
    "tier2": (500, None, "Tier 2"),
    "t1000": (1000, "Tier 2", "Tier 3"),
    "t2000": (2000, "Tier 3", "Tier 4"),
    "t4000": (4000, "Tier 4", "Tier 5"),
    "t10000": (10000, "Tier 5", "Tier 6"),
    "tier7": (25000, None, "Tier 7"),
}


@dataclass
class Catalog:
    ids: dict[str, str] = field(default_factory=lambda: {k: str(uuid.uuid4()) for k in [*TIERS, "promo"]})

    def __getitem__(self, key: str) -> str:
        return self.ids[key]


def _name(tier: str) -> str:
    return f"Acronis Cyber Cloud for Service Providers - {tier}"


def _definition(catalog: Catalog, key: str, on: date, tier: str) -> dict[str, object]:
    usd = TIERS[key][0]
    upgrades = [catalog[k] for k, (c, old, _) in TIERS.items() if c > usd and (on >= NEW or old is not None)]
    data: dict[str, object] = {
        "product_id": catalog[key],
        "effective_from": on,
        "code": "ACC-CSP-" + tier.upper().replace(" ", "-"),
        "name": _name(tier),
        "tier": tier,
        "commitments": [{"currency": "USD", "amount": str(usd)}, {"currency": "EUR", "amount": str(usd * 92 // 100)}],
        "upgrade_product_ids": upgrades,
        "exclusion_set": EXCLUSION_SET,
    }
    if key == "tier1":
        data["new_partner_restriction"] = {"countries": ["US", "GB", "IE", "AU"], "partners_since": NEW}
    return data


def catalog_events(catalog: Catalog) -> list[EventData]:
    """What the catalog publishes for the contract products, including the January 2024 renumbering."""
    events: list[EventData] = []
    for key, (_, old, new) in TIERS.items():
        if old is None:
            events.append(ProductPublishedV1.model_validate(_definition(catalog, key, NEW, new)))
            continue
        events.append(ProductPublishedV1.model_validate(_definition(catalog, key, OLD, old)))
        changes = ["renamed", "tier_moved", "upgrades_changed"] if old != new else ["upgrades_changed"]
        extra = {"previous_name": _name(old), "previous_tier": old} if old != new else {}
        events.append(
            ProductChangedV1.model_validate({**_definition(catalog, key, NEW, new), "changes": changes, **extra})
        )
    promo = {
        "product_id": catalog["promo"],
        "effective_from": OLD,
        "code": "ACC-CSP-PROMO",
        "name": _name("Promo"),
        "tier": "Promo",
        "commitments": [{"currency": "USD", "amount": "99"}],
        "upgrade_product_ids": [catalog[k] for k in ("tier1", "t1000", "t2000", "t4000", "t10000")],
        "exclusion_set": EXCLUSION_SET,
        "orderable_before": date(2023, 11, 1),
    }
    events.append(ProductPublishedV1.model_validate(promo))
    return events


def deactivation(product_id: str, on: date) -> ProductDeactivatedV1:
    return ProductDeactivatedV1(product_id=product_id, effective_from=on, reason="Retired in a test.")


async def publish(bootstrap_servers: str, events: list[EventData], topic: str = CATALOG) -> None:
    """Produce catalog events as the catalog service's relay would (keyed by aggregate)."""
    now = datetime.now(UTC)
    await publish_envelopes(bootstrap_servers, [make_event(data, source="/bss/catalog", time=now) for data in events])


async def publish_envelopes(bootstrap_servers: str, envelopes: list[CloudEvent], topic: str = CATALOG) -> None:
    producer = new_producer(bootstrap_servers, idempotent=False, client_id="test-catalog")
    await producer.start()
    try:
        for envelope in envelopes:
            key = envelope.subject.encode() if envelope.subject else None
            await producer.send_and_wait(topic, value=envelope.to_json(), key=key)
    finally:
        await producer.stop()
