"""The catalog operations' examples, in the order they run (see runner.py).

First the services-definition sync seeds the catalog every other service's examples order from; then the reads
of the seeded catalog; then the admin adds a product line of its own (catalog/api/examples.py) and changes,
groups and finally deactivates it, so no example changes a seeded tier.
"""

from __future__ import annotations

from catalog.api.examples import GROUP_ID
from tests.e2e.openapi_examples.runner import Step

CATALOG = "/api/v1/catalog"
PRODUCT = f"{CATALOG}/products/{{product_id}}"

# Run in this order, after the services listed before this one in test_openapi_examples.STORY.
STEPS: list[Step] = [
    Step(f"POST {CATALOG}/admin/services-definition/sync"),
    # The seeded catalog, read.
    Step(f"GET {CATALOG}/product-types"),
    Step(f"GET {CATALOG}/products"),
    Step(f"GET {PRODUCT}"),
    Step(f"GET {PRODUCT}/history"),
    Step(f"GET {PRODUCT}/eligibility"),
    Step(f"GET {CATALOG}/exclusion-sets"),
    Step(f"GET {CATALOG}/skus"),
    Step(f"GET {CATALOG}/prices"),
    # FX rates first among the writes: resellers billed in CHF or SEK need them (subscriptions' examples).
    Step(f"POST {CATALOG}/fx-rates"),
    Step(f"GET {CATALOG}/fx-rates"),
    Step(f"GET {CATALOG}/fx-rates/convert"),
    # The example product line: its type, product, SKU and sell prices.
    Step(f"POST {CATALOG}/product-types"),
    Step(f"POST {CATALOG}/products"),
    Step(f"POST {CATALOG}/skus"),
    Step(f"POST {CATALOG}/price-books/vendor-sell/prices"),
    Step(f"PATCH {PRODUCT}"),
    Step(f"POST {PRODUCT}/versions"),
    Step(f"POST {PRODUCT}/commitments"),
    Step(f"PUT {CATALOG}/exclusion-sets/{{name}}"),
    # The second example reseller's own prices (a reseller id the subscriptions examples register later: the
    # catalog takes any id).
    Step(f"POST {CATALOG}/resellers/{{reseller_id}}/price-lists"),
    Step(f"GET {CATALOG}/resellers/{{reseller_id}}/prices"),
    # Its storefront group: made, listed, published, seen by an anonymous visitor, withdrawn.
    Step(f"POST {CATALOG}/groups", binds={GROUP_ID: "id"}),
    Step(f"GET {CATALOG}/groups"),
    Step(f"POST {CATALOG}/groups/{{group_id}}/publish"),
    Step(f"GET {CATALOG}/storefront/catalog", caller="anonymous"),
    Step(f"POST {CATALOG}/groups/{{group_id}}/unpublish"),
    Step(f"POST {PRODUCT}/deactivate"),
]
# Run at the very end, after every service's STEPS (examples that take away what others still use).
LAST_STEPS: list[Step] = []
