"""The billing operations' examples, in the order they run (see runner.py).

The story (billing/api/examples.py): the distributor sets its billing settings from January 2025 (before any
month is invoiced: a change may not reach into an invoiced month); the example subscription (csp-commit-1000, paid
from 2025-01-01) reports January 2025's usage through an Acronis usage report and over HTTP; the reseller names
its customer and reads its January consumption; the admin closes January 2025 as drafts and February 2025
(backdated), issues the January invoice, credits part of it, records it as paid and voids February's.
"""

from __future__ import annotations

from billing.adapters.billing_settings import KINDS
from billing.api import examples as own
from tests.e2e.openapi_examples.runner import Step

BILLING = "/api/v1/billing"
SETTINGS = f"{BILLING}/settings"


def _kind_steps(kind: str) -> list[Step]:
    """A settings kind's examples (billing/adapters/billing_settings.py): set its example scope from its example day,
    read it back as of that day, remove it from a later day."""
    return [
        Step(f"PUT {SETTINGS}/{kind}/{{scope}}"),
        Step(f"GET {SETTINGS}/{kind}"),
        Step(f"GET {SETTINGS}/{kind}/{{scope}}"),
        Step(f"DELETE {SETTINGS}/{kind}/{{scope}}"),
    ]


# Run in this order, after the services listed before this one in test_openapi_examples.STORY.
STEPS: list[Step] = [
    Step(f"GET {SETTINGS}"),
    # Each kind's change takes effect from its example day: the seller, tax rate, discount and Tier 1 program from
    # January 2025, before that month is invoiced, so its invoice has them.
    *(step for kind in KINDS for step in _kind_steps(kind.name)),
    Step(f"GET {SETTINGS}/changes"),
    # The Acronis report: the first example that needs billing to know the example subscription (a subscriptions
    # event): repeated until its four rows are accepted (an `unknown_subscription` refusal is judged afresh).
    Step(f"PUT {BILLING}/acronis/mappings"),
    Step(f"POST {BILLING}/acronis/usage-reports", eventually=True, expect={"accepted": 4, "rejected": []}),
    Step(f"POST {BILLING}/usage", caller="system", example="batch", expect={"accepted": 3}),
    Step(f"POST {BILLING}/usage", caller="system", example="one event", expect={"accepted": 1}),
    # Counted asynchronously by the usage consumer; the events of one subscription are counted in order, so the
    # last one counted means the month's usage is all in before the close.
    Step(
        f"GET {BILLING}/usage/{{event_id}}",
        caller="system",
        eventually=True,
        expect={"event_id": own.USAGE_EVENT_ID, "status": "accepted", "counted": True},
    ),
    Step(f"PUT {BILLING}/resellers/{{reseller_id}}/customers/{{customer_id}}", caller="reseller"),
    Step(f"GET {BILLING}/resellers/{{reseller_id}}/customers", caller="reseller", expect={"0.source": "api"}),
    Step(
        f"GET {BILLING}/resellers/{{reseller_id}}/consumption",
        caller="reseller",
        expect={"0.tier": "Tier 3", "0.currency": "EUR", "0.problem": None, "0.invoice": None},
    ),
    Step(f"POST {BILLING}/month-closes", example="drafts", expect={"failed": []}),
    Step(f"POST {BILLING}/month-closes", example="backdated", expect={"failed": []}),
    # Newest period first: February's invoice (issued by its close), then January's (a draft).
    Step(
        f"GET {BILLING}/invoices",
        caller="reseller",
        binds={own.VOIDED_INVOICE_ID: "items.0.invoice_id", own.INVOICE_ID: "items.1.invoice_id"},
        expect={"items.0.period": "2025-02-01", "items.0.status": "issued", "items.1.status": "draft"},
    ),
    Step(f"POST {BILLING}/invoices/{{invoice_id}}/issue", expect={"status": "issued"}),
    Step(f"GET {BILLING}/invoices/{{invoice_id}}", caller="reseller", expect={"period": "2025-01-01"}),
    Step(f"GET {BILLING}/invoices/{{invoice_id}}.pdf", caller="reseller"),
    Step(f"GET {BILLING}/invoices/{{invoice_id}}.csv", caller="reseller"),
    Step(f"GET {BILLING}/invoices/{{invoice_id}}.xml", caller="reseller"),
    Step(f"POST {BILLING}/invoices/{{invoice_id}}/credit-notes", binds={own.CREDIT_NOTE_ID: "credit_note_id"}),
    Step(f"GET {BILLING}/credit-notes/{{credit_note_id}}", caller="reseller"),
    Step(f"GET {BILLING}/credit-notes/{{credit_note_id}}.pdf", caller="reseller"),
    Step(f"GET {BILLING}/credit-notes/{{credit_note_id}}.csv", caller="reseller"),
    Step(f"GET {BILLING}/credit-notes/{{credit_note_id}}.xml", caller="reseller"),
    Step(f"POST {BILLING}/invoices/{{invoice_id}}/pay", expect={"status": "paid"}),
    Step(f"POST {BILLING}/invoices/{{invoice_id}}/void", expect={"status": "void", "period": "2025-02-01"}),
    Step(f"GET {BILLING}/distributor/margins"),
]
# Run at the very end, after every service's STEPS (examples that take away what others still use).
LAST_STEPS: list[Step] = []
