"""Ids only the subscriptions examples use (the shared ones are in `bss.api.examples`).

Product ids are deterministic (uuid5 of the product code, `catalog.domain.product_identity`), so the examples
name the seeded Acronis catalog's products by their real ids.
"""

from __future__ import annotations

from typing import Final

# The seeded catalog's contract tiers the order and tier-change examples use.
CSP_COMMIT_250: Final = "9f7b84a1-6b8c-51f5-b100-3fa5254570e7"
CSP_COMMIT_1000: Final = "4eb10481-47c3-5ffd-83bd-7dfcdf4d0638"
CSP_COMMIT_2000: Final = "dc6c0dfa-e8ec-567f-8396-a1bb347a1f71"

# The reseller the book import example brings from another system, keeping its tenant id there.
IMPORTED_RESELLER_ID: Final = "6f1e3d5b-7a9c-4b2d-8e0f-a1c3e5b7d9f2"
