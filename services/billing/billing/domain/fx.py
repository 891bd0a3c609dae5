"""FX conversion (docs/domain.md, "FX rates", "FX conversion order and rounding").

A rate table (one FxRatesPublished) quotes pairs: its units per USD are pairs with base USD, and it may quote any
other pair (1 base = rate quote). From S to T on a day D a conversion uses the direct pair S->T, else the inverse
T->S (1/rate), each the latest publication effective on or before D; else it triangulates S->B->T through the base
currency B (billing's `fx-base-currency` setting), each leg direct or inverse, each the latest on or before D. The
combined rate is kept to 28 significant digits, divided once: with USD tables alone, it is exactly the cross rate
through USD of one table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal

from bss.money import round_money

_RATE_CONTEXT = Context(prec=28)
_EXACT = Context(prec=400, Emax=999_999, Emin=-999_999)
"""Products of published rates, exact: the one rounding is the final division to 28 digits."""
USD = "USD"


@dataclass(frozen=True, slots=True)
class RateTable:
    """One FxRatesPublished table from `effective_from`: units of each currency per USD, and other pairs quoted
    as (base, quote) -> units of quote per 1 base."""

    rate_table_id: str
    effective_from: date
    units_per_usd: Mapping[str, Decimal]
    pairs: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)

    def units(self, currency: str) -> Decimal | None:
        """Units of `currency` per USD in this table (1 for USD itself), or None when it is not quoted."""
        return Decimal(1) if currency == USD else self.units_per_usd.get(currency)

    def quoted(self) -> Iterable[tuple[str, str, Decimal]]:
        """Every pair the table quotes, as (base, quote, rate): the USD rates first, then the other pairs."""
        for currency, units in self.units_per_usd.items():
            yield USD, currency, units
        for (base, quote_currency), rate in self.pairs.items():
            yield base, quote_currency, rate


@dataclass(frozen=True, slots=True)
class FxLeg:
    """One rate a conversion used, in the direction converted: units of `to_currency` per `from_currency`
    (1/rate when the table quotes the pair the other way round)."""

    from_currency: str
    to_currency: str
    rate: Decimal
    rate_table_id: str
    effective_from: date


@dataclass(frozen=True, slots=True)
class FxQuote:
    """The rate an invoice converts with: units of the invoice currency per unit of the price-list currency,
    with the table and date of its latest leg, and every leg it was made of."""

    rate: Decimal
    rate_table_id: str
    effective_from: date
    legs: tuple[FxLeg, ...] = ()

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
    """No direct, inverse or triangulated rate on or before the date."""

    def __init__(self, source: str, target: str, on: date) -> None:
        super().__init__(f"no FX rate from {source} to {target} on or before {on}")
        self.source, self.target, self.on = source, target, on

    @property
    def missing(self) -> MissingRate:
        return MissingRate(self.source, self.target, self.on)


@dataclass(frozen=True, slots=True)
class _Published:
    """A pair as published: 1 base = rate quote, in a table from a date."""

    rate: Decimal
    rate_table_id: str
    effective_from: date


@dataclass(frozen=True, slots=True)
class _Step:
    """A leg as an exact fraction (numerator / denominator) of published rates, and the publication it uses."""

    source: str
    target: str
    numerator: Decimal
    denominator: Decimal
    published: _Published

    def leg(self) -> FxLeg:
        rate = _RATE_CONTEXT.divide(self.numerator, self.denominator).normalize(_RATE_CONTEXT)
        return FxLeg(self.source, self.target, rate, self.published.rate_table_id, self.published.effective_from)


class _Pairs:
    """The latest publication of each (base, quote) effective on or before a day."""

    def __init__(self, tables: Sequence[RateTable], on: date) -> None:
        self._latest: dict[tuple[str, str], _Published] = {}
        in_force = sorted(
            (t for t in tables if t.effective_from <= on), key=lambda t: (t.effective_from, t.rate_table_id)
        )
        for table in in_force:  # later tables overwrite earlier ones
            for base, quote_currency, rate in table.quoted():
                self._latest[(base, quote_currency)] = _Published(rate, table.rate_table_id, table.effective_from)

    def step(self, source: str, target: str) -> _Step | None:
        """The direct pair source->target, else the inverse target->source; None when neither is quoted."""
        direct = self._latest.get((source, target))
        if direct is not None:
            return _Step(source, target, direct.rate, Decimal(1), direct)
        inverse = self._latest.get((target, source))
        if inverse is not None:
            return _Step(source, target, Decimal(1), inverse.rate, inverse)
        return None


def quote(tables: Sequence[RateTable], source: str, target: str, on: date, base: str = USD) -> FxQuote:
    """The rate from `source` to `target` on `on`: the direct pair, else the inverse, else through `base` (each
    leg direct or inverse), each the latest publication effective on or before `on`; NoFxRate when no path."""
    pairs = _Pairs(tables, on)
    single = pairs.step(source, target)
    if single is not None:
        return _combine([single])
    if base not in (source, target):
        first, second = pairs.step(source, base), pairs.step(base, target)
        if first is not None and second is not None:
            return _combine([first, second])
    raise NoFxRate(source, target, on)


def _combine(steps: list[_Step]) -> FxQuote:
    numerator, denominator = Decimal(1), Decimal(1)
    for step in steps:
        numerator = _EXACT.multiply(numerator, step.numerator)
        denominator = _EXACT.multiply(denominator, step.denominator)
    rate = _RATE_CONTEXT.divide(numerator, denominator).normalize(_RATE_CONTEXT)
    latest = max(steps, key=lambda s: s.published.effective_from)  # the first of equals: the path's order
    return FxQuote(
        rate,
        latest.published.rate_table_id,
        latest.published.effective_from,
        tuple(step.leg() for step in steps),
    )
