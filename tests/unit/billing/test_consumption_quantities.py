"""The consumption view's SKU quantity is the invoice's: both call `domain/aggregation.sku_quantity`.

Before, the view added the customers' own quantities itself. For `sum`, `max` and `last` that is the invoice's
rule too (each customer's quantity by the rule, summed over customers), so the two cannot disagree; for
`average` the invoice adds the customers' daily sums and divides once, and dividing per customer first rounded
differently in the last of Decimal's 28 digits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from billing.domain.aggregation import CustomerUsage, Reading, customer_quantity, fold_readings, sku_quantity
from billing.usecases.consumption import sku_consumption
from bss.events.contracts.value_types import Aggregation, decimal_text

DAYS = 29  # February 2024
A, B = "00000000-0000-4000-8000-0000000000c1", "00000000-0000-4000-8000-0000000000c2"


def _customers(readings: list[tuple[str, str, int]]) -> dict[str, CustomerUsage]:
    return fold_readings(Reading(c, Decimal(q), datetime(2024, 2, day, tzinfo=UTC)) for c, q, day in readings)


def _view_and_invoice(rule: Aggregation, customers: dict[str, CustomerUsage]) -> tuple[str, str]:
    line = sku_consumption("SKU", "Name", rule, customers, DAYS)
    return line["quantity"], decimal_text(sku_quantity(rule, customers.values(), DAYS))


def test_max_sku_over_two_customers_shows_the_sum_of_each_customers_peak_as_the_invoice_bills() -> None:
    customers = _customers([(A, "5", 1), (A, "3", 2), (B, "7", 1), (B, "2", 3)])
    view, invoice = _view_and_invoice("max", customers)
    assert view == invoice == "12"  # 5 + 7, not the larger single peak 7
    old_view = sum((customer_quantity("max", usage, DAYS) for usage in customers.values()), Decimal(0))
    assert decimal_text(old_view) == invoice  # the old per-customer addition agreed for `max`


def test_average_sku_over_two_customers_shows_the_invoices_digits() -> None:
    customers = _customers([(A, "1", 1), (B, "1", 1)])
    view, invoice = _view_and_invoice("average", customers)
    assert view == invoice == decimal_text(Decimal(2) / Decimal(DAYS))
    old_view = sum((customer_quantity("average", usage, DAYS) for usage in customers.values()), Decimal(0))
    assert decimal_text(old_view) != invoice  # what the view showed before: 1/29 + 1/29, one digit off


def test_each_customers_quantity_is_its_own_by_the_rule() -> None:
    customers = _customers([(A, "5", 1), (A, "3", 2), (B, "7", 1)])
    line = sku_consumption("SKU", "Name", "last", customers, DAYS)
    assert line["customers"] == [{"customer_id": A, "quantity": "3"}, {"customer_id": B, "quantity": "7"}]
    assert line["quantity"] == "10"
