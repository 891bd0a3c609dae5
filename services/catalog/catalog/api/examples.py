"""Ids and names only the catalog examples use (the shared ones, the example resellers, are in `bss.api.examples`).

The catalog story of the examples: the admin loads the Acronis services definition (the seeded catalog every other
service's examples order from), then adds a product line of its own, Acronis Cyber Files Cloud: a product type, a
product, its usage SKU and sell prices, an exclusion set and a storefront group; renames it from a date, raises its
commitment and finally deactivates it. The examples that change or deactivate a product use this product, never the
seeded tiers others order. Product ids are derived from the product code (`product_id_for`), so they are the same
in every installation; the group's id is assigned by the server, so the examples name it by `GROUP_ID` and a
reader replaces it with the id their own call answered (the end-to-end test binds it:
tests/e2e/openapi_examples/catalog.py).
"""

from __future__ import annotations

from typing import Final

from catalog.domain.product_identity import product_id_for

# The seeded contract tier the read examples show: csp-commit-1000, "Tier 3" since the January 2024 renames.
TIER_3_CODE: Final = "csp-commit-1000"
TIER_3_PRODUCT_ID: Final = product_id_for(TIER_3_CODE)  # 4eb10481-47c3-5ffd-83bd-7dfcdf4d0638
# The seeded tier under the Tier 1 region rule (new partners in AU, GB, IE, US may not order it since 2024).
TIER_1_PRODUCT_ID: Final = product_id_for("csp-commit-250")  # 9f7b84a1-6b8c-51f5-b100-3fa5254570e7

# The product line the write examples add: the product type example creates the type, the SKU example its SKU.
FILES_TYPE_CODE: Final = "acronis-cyber-files"
FILES_SKU: Final = "FILES-CLOUD-USERS"
# The product the product example creates; the update, version, commitment and deactivation examples change it.
FILES_PRODUCT_CODE: Final = "files-cloud-commit-100"
FILES_PRODUCT_ID: Final = product_id_for(FILES_PRODUCT_CODE)  # a011231f-82d1-522f-adb0-a4fe6cad39be
# The exclusion set the exclusion-set example creates with that product.
FILES_EXCLUSION_SET: Final = "acronis-files-contracts"
# The storefront group the group example creates; the publish and unpublish examples show and withdraw it.
GROUP_ID: Final = "7d3f9b21-5c8e-4a60-b2d4-e6f8a0c2e4b6"
