"""The product id in a route's path ("load or 404", `deps.existing_product`), documented with the product its
operation's example names: a seeded tier for the reads, the example product line's own product for the changes
(so no example changes a tier the other services' examples order)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path

from catalog.api.examples import FILES_PRODUCT_ID, TIER_1_PRODUCT_ID, TIER_3_PRODUCT_ID
from catalog.deps import RuntimeDep, existing_product


def _documented(product_id: str, summary: str) -> Any:
    return Path(
        description="Product id (uuid): derived from the product code, the same in every installation.",
        openapi_examples={"product": {"summary": summary, "value": product_id}},
    )


async def _seeded_tier(
    runtime: RuntimeDep, product_id: Annotated[str, _documented(TIER_3_PRODUCT_ID, "csp-commit-1000 (Tier 3)")]
) -> str:
    return await existing_product(runtime, product_id)


async def _region_rule_tier(
    runtime: RuntimeDep, product_id: Annotated[str, _documented(TIER_1_PRODUCT_ID, "csp-commit-250 (Tier 1)")]
) -> str:
    return await existing_product(runtime, product_id)


async def _example_product(
    runtime: RuntimeDep,
    product_id: Annotated[str, _documented(FILES_PRODUCT_ID, "files-cloud-commit-100, from the create example")],
) -> str:
    return await existing_product(runtime, product_id)


SeededProductId = Annotated[str, Depends(_seeded_tier)]
"""An existing product; the example reads the seeded csp-commit-1000."""
RegionRuleProductId = Annotated[str, Depends(_region_rule_tier)]
"""An existing product; the example asks about csp-commit-250, which the Tier 1 region rule restricts."""
ExampleProductId = Annotated[str, Depends(_example_product)]
"""An existing product; the example changes the product the create example made."""
