"""The subscriptions operations' examples, in the order they run (see runner.py)."""

from __future__ import annotations

from bss.api import examples
from tests.e2e.openapi_examples.runner import Step

SUBSCRIPTIONS = "/api/v1/subscriptions"
SETTINGS = f"{SUBSCRIPTIONS}/settings"

# Run in this order, after the services listed before this one in test_openapi_examples.STORY.
STEPS: list[Step] = [
    # The shared story: the example reseller, and its paid csp-commit-1000 from 2025-01-01 (backdated).
    Step(f"POST {SUBSCRIPTIONS}/resellers", example="northwind", binds={examples.RESELLER_ID: "id"}),
    # The order waits for the seeded catalog (the catalog's events) to reach subscriptions.
    Step(
        f"POST {SUBSCRIPTIONS}/subscriptions",
        example="paid",
        binds={examples.SUBSCRIPTION_ID: "id"},
        eventually=True,
        expect={"status": "active", "started_at": "2025-01-01T00:00:00Z"},
    ),
    # The second reseller and its trial: what the examples that change, suspend or end a contract act on.
    Step(f"POST {SUBSCRIPTIONS}/resellers", example="fabrikam", binds={examples.SECOND_RESELLER_ID: "id"}),
    Step(
        f"POST {SUBSCRIPTIONS}/subscriptions",
        example="trial",
        binds={examples.SECOND_SUBSCRIPTION_ID: "id"},
        expect={"status": "trial", "trial_days": 14},
    ),
    Step(f"GET {SUBSCRIPTIONS}/resellers"),
    Step(f"GET {SUBSCRIPTIONS}/resellers/{{reseller_id}}"),
    Step(f"GET {SUBSCRIPTIONS}/resellers/{{reseller_id}}/billing-profile"),
    Step(f"PUT {SUBSCRIPTIONS}/resellers/{{reseller_id}}/ramp-up"),
    Step(f"POST {SUBSCRIPTIONS}/resellers/{{reseller_id}}/suspension"),
    Step(f"POST {SUBSCRIPTIONS}/resellers/{{reseller_id}}/reactivation"),
    Step(f"GET {SUBSCRIPTIONS}/catalog/products"),
    Step(f"GET {SUBSCRIPTIONS}/subscriptions"),
    Step(f"GET {SUBSCRIPTIONS}/subscriptions/{{subscription_id}}"),
    Step(f"POST {SUBSCRIPTIONS}/subscriptions/{{subscription_id}}/conversion", expect={"status": "active"}),
    Step(f"POST {SUBSCRIPTIONS}/trials/sweep"),
    # The preview answers 200 whether the change is allowed or not.
    Step(
        f"POST {SUBSCRIPTIONS}/subscriptions/{{subscription_id}}/tier-change-preview",
        expect={"allowed": True, "direction": "upgrade"},
    ),
    Step(f"POST {SUBSCRIPTIONS}/subscriptions/{{subscription_id}}/tier-change", expect={"direction": "upgrade"}),
    Step(f"GET {SUBSCRIPTIONS}/subscriptions/{{subscription_id}}/periods"),
    Step(f"POST {SUBSCRIPTIONS}/subscriptions/{{subscription_id}}/suspension"),
    Step(f"POST {SUBSCRIPTIONS}/subscriptions/{{subscription_id}}/resumption"),
    # Settings: the examples change values from a day far ahead, which no other example reads.
    Step(f"GET {SETTINGS}"),
    Step(f"PUT {SETTINGS}/trial-policies/{{scope}}"),
    Step(f"GET {SETTINGS}/trial-policies"),
    Step(f"GET {SETTINGS}/trial-policies/{{scope}}"),
    Step(f"DELETE {SETTINGS}/trial-policies/{{scope}}"),
    Step(f"PUT {SETTINGS}/billing-profiles/{{scope}}"),
    Step(f"GET {SETTINGS}/billing-profiles"),
    Step(f"GET {SETTINGS}/billing-profiles/{{scope}}"),
    Step(f"GET {SETTINGS}/changes"),
]
# Run at the very end, after every service's STEPS (examples that take away what others still use).
LAST_STEPS: list[Step] = [
    Step(f"POST {SUBSCRIPTIONS}/subscriptions/{{subscription_id}}/cancellation"),
    # A ramp-up for every new subscription from now on: no other example orders after this one.
    Step(f"PUT {SUBSCRIPTIONS}/ramp-up-policy"),
    # Another reseller and its subscription from another system; last, so that no month close of the other
    # examples sees them.
    # The import answers 200 whatever becomes of its lines.
    Step(f"POST {SUBSCRIPTIONS}/imports/book", expect={"created": 2, "refused": 0, "conflict": 0}),
]
