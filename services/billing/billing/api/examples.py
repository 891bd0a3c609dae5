"""Ids only the billing examples use (the shared ones, the example reseller, subscription and customer, are in
`bss.api.examples`).

The billing story of the examples: the example reseller's subscription (csp-commit-1000, paid from 2025-01-01)
reports usage for January 2025 over HTTP and through an Acronis usage report; the admin closes January 2025 as
drafts, issues the invoice, credits part of it and records it as paid, and closes February 2025 (backdated),
whose invoice the void example voids. The server assigns invoice and credit note ids, so the examples name them
by the constants below; a reader replaces them with the ids their own calls answered (the end-to-end test binds
them: tests/e2e/openapi_examples/billing.py)."""

from __future__ import annotations

from typing import Final

# The January 2025 invoice of the example subscription: the month-close example drafts it, the invoice list
# example finds it, the issue example numbers it.
INVOICE_ID: Final = "3e7a1c52-9b04-4d6f-8a21-c5d7e9f0b1a3"
# The February 2025 invoice of the example subscription: the backdated month-close example issues it, the void
# example voids it.
VOIDED_INVOICE_ID: Final = "5a9c3e71-0d26-4f48-b1e3-d5f7a9c1e3f5"
# The credit note the credit-note example issues against the January invoice.
CREDIT_NOTE_ID: Final = "b8d2f4a6-1c3e-4f50-9e72-a4c6e8f0d2b4"
# A usage event id: chosen by the producer (unique for all time); the usage example reports it, the fate example
# reads what became of it.
USAGE_EVENT_ID: Final = "0d4e6f81-2a3b-4c5d-9e6f-7a8b9c0d1e2f"
