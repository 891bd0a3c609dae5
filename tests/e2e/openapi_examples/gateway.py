"""The gateway's own operations' examples, in the order they run (see runner.py).

They run after the services' examples: the key example makes a key for the example reseller, which subscriptions'
examples registered; the read and revoke examples then show and revoke that key (the runner's own keys stay).
"""

from __future__ import annotations

from gateway.examples import KEY_ID
from tests.e2e.openapi_examples.runner import Step

KEYS = "/gateway/v1/keys"

# Run in this order, after the services listed before this one in test_openapi_examples.STORY.
STEPS: list[Step] = [
    Step("GET /healthz", caller="anonymous"),
    Step("GET /readyz", caller="anonymous"),
    Step("GET /metrics", caller="anonymous"),
    # Who a reseller's key is: its role and the reseller it is bound to.
    Step("GET /gateway/v1/me", caller="reseller"),
    Step(f"POST {KEYS}", binds={KEY_ID: "key_id"}),
    Step(f"GET {KEYS}"),
    Step(f"GET {KEYS}/{{key_id}}"),
    Step(f"POST {KEYS}/{{key_id}}/revoke"),
]
# Run at the very end, after every service's STEPS (examples that take away what others still use).
LAST_STEPS: list[Step] = []
