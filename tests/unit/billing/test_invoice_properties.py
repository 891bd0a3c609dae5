"""Properties of the invoice math that hold for all inputs (hypothesis)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.fx import FxQuote
from billing.domain.invoice_math import InvoiceAmounts, InvoiceInput, RatedUsage, SupportItem, compute_invoice

quantities = st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False, allow_infinity=False)
prices = st.decimals(min_value=0, max_value=1000, places=6, allow_nan=False, allow_infinity=False)
commitments = st.sampled_from([Decimal(v) for v in ("0", "99", "250", "500", "1000", "2000", "25000")])
usage_items = st.lists(
    st.builds(
        RatedUsage,
        sku=st.sampled_from(["A", "B", "C", "D"]),
        description=st.just("x"),
        quantity=quantities,
        unit_price=prices,
    ),
    max_size=6,
)
fx_quotes = st.one_of(
    st.none(),
    st.builds(
        FxQuote,
        rate=st.decimals(min_value="0.0001", max_value=500, places=4),
        rate_table_id=st.just("t"),
        effective_from=st.just(date(2024, 1, 1)),
    ),
)
support_items = st.lists(
    st.builds(
        SupportItem,
        kind=st.sampled_from(["support_charge", "support_credit"]),
        description=st.just("s"),
        amount=st.decimals(min_value=0, max_value=500, places=2),
    ),
    max_size=3,
)


def build(
    usage: list[RatedUsage], commitment: Decimal, fx: FxQuote | None, ramp_up: bool, **kw: object
) -> InvoiceAmounts:
    return compute_invoice(
        InvoiceInput(
            price_list_currency="USD",
            currency="USD" if fx is None else "CHF",
            fx=fx,
            commitment=commitment,
            ramp_up=ramp_up,
            usage=usage,
            tax_rate_percent=Decimal(kw.pop("tax", "0")),  # type: ignore[arg-type]
            **kw,  # type: ignore[arg-type]
        )
    )


@settings(max_examples=200, deadline=None)
@given(usage=usage_items, commitment=commitments, fx=fx_quotes)
def test_payable_is_max_of_usage_total_and_commitment_without_ramp_up(
    usage: list[RatedUsage], commitment: Decimal, fx: FxQuote | None
) -> None:
    result = build(usage, commitment, fx, ramp_up=False)
    assert result.subtotal == max(result.usage_total, result.commitment)


@settings(max_examples=200, deadline=None)
@given(usage=usage_items, commitment=commitments, fx=fx_quotes)
def test_ramp_up_payable_is_the_usage_total(usage: list[RatedUsage], commitment: Decimal, fx: FxQuote | None) -> None:
    assert build(usage, commitment, fx, ramp_up=True).subtotal == build(usage, commitment, fx, ramp_up=True).usage_total


@settings(max_examples=200, deadline=None)
@given(
    usage=usage_items,
    commitment=commitments,
    fx=fx_quotes,
    ramp_up=st.booleans(),
    support=support_items,
    tax=st.sampled_from(["0", "7.7", "8.1", "19", "20"]),
)
def test_lines_sum_to_the_subtotal_and_nothing_is_a_float(
    usage: list[RatedUsage],
    commitment: Decimal,
    fx: FxQuote | None,
    ramp_up: bool,
    support: list[SupportItem],
    tax: str,
) -> None:
    result = build(usage, commitment, fx, ramp_up, support=support, tax=tax)
    assert sum((line.amount for line in result.lines), Decimal(0)) == result.subtotal
    assert result.subtotal + result.tax == result.total
    numbers = [result.subtotal, result.tax, result.total, result.usage_total, result.commitment]
    numbers += [line.amount for line in result.lines]
    assert all(isinstance(n, Decimal) for n in numbers)
    exponent = Decimal("0.01")
    assert all(n == n.quantize(exponent) for n in numbers)
