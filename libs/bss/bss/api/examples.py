"""The example world: the ids that operation examples in the OpenAPI documents use for objects made by other
examples.

Every operation documents one working example. An example that names an object another example creates uses
that object's id from here: `RESELLER_ID` is the reseller the `POST /v1/resellers` example registers, and
`GET /v1/resellers/{reseller_id}` shows it in its example. A suite assigns its own ids, so a reader replaces
these with the ids their own calls answered; the end-to-end test does exactly that (tests/e2e/openapi_examples)
while it runs every example in order against a freshly seeded suite and expects each documented status.

Ids an API client chooses itself (usage event ids, customer tenant ids, import source ids) are plain example
values and need no entry here. A service keeps ids only it makes beside its own API (its `api/examples.py`).
"""

from __future__ import annotations

from typing import Final

# The reseller the registration example makes, and the subscription its order example makes.
RESELLER_ID: Final = "8a5d1a0e-2f4b-4c5e-9a7d-1b3c5d7e9f01"
SUBSCRIPTION_ID: Final = "5c2e4a6b-8d0f-4e1a-b3c5-d7e9f1a3b5c7"
# A second reseller and subscription, for the examples that end a contract (suspend, cancel) without taking the
# first one away from the examples that still need it.
SECOND_RESELLER_ID: Final = "2b4d6f80-a1c3-4e5f-8791-b3d5f7092b4d"
SECOND_SUBSCRIPTION_ID: Final = "9e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
# A customer (an end tenant of the reseller in Acronis): its id is the Acronis tenant id, chosen by the caller.
CUSTOMER_ID: Final = "c0ffee00-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
