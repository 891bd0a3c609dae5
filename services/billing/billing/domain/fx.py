"""FX conversion: rates quoted as units per USD, the latest table on or before the invoice date (conventions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal

from bss.money import round_money

_RATE_CONTEXT = Context(prec=28)


@dataclass(frozen=True, slots=True)
class RateTable:
    """One FxRatesPublished table: units of each currency per USD, from `effective_from`."""

    rate_table_id: str
    effective_from: date
    units_per_usd: Mapping[str, Decimal]

    def units(self, currency: str) -> Decimal | None:
        """Units of `currency` per USD in this table (1 for USD itself), or None when it is not quoted."""
        return Decimal(1) if currency == "USD" else self.units_per_usd.get(currency)


@dataclass(frozen=True, slots=True)
class FxQuote:
    """The rate an invoice converts with: units of the invoice currency per unit of the price-list currency."""

    rate: Decimal
    rate_table_id: str
    effective_from: date

    def convert(self, amount: Decimal, currency: str) -> Decimal:
        """Convert and round to the target currency's minor unit (conventions: convert, then round)."""
        return round_money(amount * self.rate, currency)


@dataclass(frozen=True, slots=True)
class MissingRate:
    """A rate a conversion needs and no table quotes: from, to, and the date it is needed on."""

    from_currency: str
    to_currency: str
    on: date


class NoFxRate(LookupError):
    """No rate table on or before the date quotes both currencies."""

    def __init__(self, source: str, target: str, on: date) -> None:
        super().__init__(f"no FX rate from {source} to {target} on or before {on}")
        self.source, self.target, self.on = source, target, on

    @property
    def missing(self) -> MissingRate:
        return MissingRate(self.source, self.target, self.on)


def quote(tables: Sequence[RateTable], source: str, target: str, on: date) -> FxQuote:
    """The rate from `source` to `target` of the table with the latest effective date on or before `on` that
    quotes both (Billing conventions: FX of the invoice date); a cross rate through USD when neither is USD."""
    for table in sorted((t for t in tables if t.effective_from <= on), key=lambda t: t.effective_from, reverse=True):
        source_units, target_units = table.units(source), table.units(target)
        if source_units is not None and target_units is not None:
            rate = _RATE_CONTEXT.divide(target_units, source_units)
            return FxQuote(rate.normalize(_RATE_CONTEXT), table.rate_table_id, table.effective_from)
    raise NoFxRate(source, target, on)
