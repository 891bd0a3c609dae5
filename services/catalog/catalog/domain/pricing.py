"""Reseller prices and currency conversion: custom price lists over the sell price, and FX through USD."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bss.events.contracts.catalog import PriceAdjustmentKind
from bss.money import round_money

AdjustmentKind = PriceAdjustmentKind
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Adjustment:
    kind: AdjustmentKind
    percent: Decimal


@dataclass(frozen=True, slots=True)
class CustomPriceList:
    """A reseller's own prices in one currency: per-SKU prices for its tier, and/or an adjustment of the rest."""

    adjustment: Adjustment | None
    prices: Mapping[tuple[str, str], Decimal]  # (product_id, sku) -> unit price


def adjusted_price(sell_price: Decimal, adjustment: Adjustment) -> Decimal:
    """markup: sell x (1 + p/100); margin: sell / (1 - p/100); discount: sell x (1 - p/100) (DOMAIN, Billing)."""
    factor = adjustment.percent / _HUNDRED
    if adjustment.kind == "markup":
        return sell_price * (1 + factor)
    if adjustment.kind == "discount":
        return sell_price * (1 - factor)
    if factor >= 1:
        raise ValueError("a margin must be below 100 percent")
    return sell_price / (1 - factor)


def reseller_unit_price(
    sell_price: Decimal, custom: CustomPriceList | None, product_id: str, sku: str
) -> tuple[Decimal, str]:
    """A reseller pays its custom price list's own price for a SKU, else the list's adjustment of the sell
    price, else the sell price (a SKU missing from the list falls back to it); returns the price and its source."""
    if custom is None:
        return sell_price, "sell_price"
    own = custom.prices.get((product_id, sku))
    if own is not None:
        return own, "custom_price"
    if custom.adjustment is not None:
        return adjusted_price(sell_price, custom.adjustment), f"custom_{custom.adjustment.kind}"
    return sell_price, "sell_price"


@dataclass(frozen=True, slots=True)
class FxQuote:
    """A rate to USD in force from a date: `units_per_usd` of `currency` make one US dollar."""

    currency: str
    effective_from: date
    units_per_usd: Decimal


@dataclass(frozen=True, slots=True)
class Conversion:
    amount: Decimal
    currency: str
    converted: Decimal
    to_currency: str
    rate: Decimal
    from_quote: FxQuote | None
    to_quote: FxQuote | None


class MissingRate(LookupError):
    def __init__(self, currency: str, on: date) -> None:
        super().__init__(f"no FX rate for {currency} on or before {on}")
        self.currency = currency
        self.on = on


def rate_on(quotes: Sequence[FxQuote], currency: str, on: date) -> FxQuote | None:
    """The rate with the latest effective date on or before `on` (DOMAIN, Billing conventions: FX)."""
    candidates = [q for q in quotes if q.currency == currency and q.effective_from <= on]
    return max(candidates, key=lambda q: q.effective_from, default=None)


def convert(amount: Decimal, currency: str, to_currency: str, quotes: Sequence[FxQuote], on: date) -> Conversion:
    """Convert through USD with the rates in force on `on`, rounded to the target currency's minor unit; the
    conversion keeps the rate used and the quotes it came from, for the invoice (DOMAIN, Currencies)."""
    from_quote = None if currency == "USD" else rate_on(quotes, currency, on)
    to_quote = None if to_currency == "USD" else rate_on(quotes, to_currency, on)
    if currency != "USD" and from_quote is None:
        raise MissingRate(currency, on)
    if to_currency != "USD" and to_quote is None:
        raise MissingRate(to_currency, on)
    from_rate = from_quote.units_per_usd if from_quote else Decimal(1)
    to_rate = to_quote.units_per_usd if to_quote else Decimal(1)
    rate = to_rate / from_rate
    return Conversion(
        amount=amount,
        currency=currency,
        converted=round_money(amount * rate, to_currency),
        to_currency=to_currency,
        rate=rate,
        from_quote=from_quote,
        to_quote=to_quote,
    )
