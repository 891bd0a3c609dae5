"""Ids only the gateway's own examples use (the shared ones, the example reseller, are in `bss.api.examples`).

The key-creation example makes a reseller key for the example reseller; the gateway assigns the key id, so the
read and revoke examples name it by `KEY_ID` and a reader replaces it with the id their own call answered (the
end-to-end test binds it: tests/e2e/openapi_examples/gateway.py).
"""

from __future__ import annotations

from typing import Final

# The key the key-creation example makes; the read example shows it, the revoke example revokes it.
KEY_ID: Final = "5e7a9c1b3d2f"
