"""Ids only the support examples use (the shared ones are in `bss.api.examples`). The suite assigns them: the
example that makes each one is named beside it, and a reader replaces it with the id their own call answered."""

from __future__ import annotations

from typing import Final

# The ticket the `POST /v1/tickets` example opens for the example reseller.
TICKET_ID: Final = "7d3f9b1e-2c4a-4e6b-8d0f-1a3c5e7b9d2f"
# The ticket the `POST /v1/imports/tickets` example brings from another system; the as-of reads show it.
IMPORTED_TICKET_ID: Final = "3b5d7f9a-1c2e-4a6b-8c0d-2e4f6a8b0c1d"
# The incident the `POST /v1/tickets/{ticket_id}/incidents` example reports.
INCIDENT_ID: Final = "a4c6e8f0-2b4d-4f6a-9c1e-3d5f7b9a1c3e"
# The Tier 1 program the `POST /v1/tier-one-programs` example starts.
PROGRAM_ID: Final = "e1f3a5c7-9b2d-4e6f-8a0c-4b6d8f0a2c4e"
# What the as-of examples ask about: the imported ticket while support waited on the reseller.
AS_OF: Final = "2025-02-05T12:00:00Z"
