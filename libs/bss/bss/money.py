"""Money: `Decimal` amounts, ISO 4217 currencies, and the one rounding function of the suite."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from bss.iso4217 import MINOR_UNITS

PRICE_LIST_CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP", "AUD", "JPY", "CAD")


class UnknownCurrency(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(f"'{code}' is not an ISO 4217 currency code")
        self.code = code


class NotAPriceList(ValueError):
    """A currency the vendor publishes no price list in (invoices in it are billed through FX)."""

    def __init__(self, code: str) -> None:
        super().__init__(f"{code} is not a vendor price list; one of {', '.join(PRICE_LIST_CURRENCIES)}")
        self.code = code


def price_list_currency(code: str) -> str:
    """The upper-case code of a vendor price list, `UnknownCurrency` or `NotAPriceList`."""
    normalized = currency_code(code)
    if normalized not in PRICE_LIST_CURRENCIES:
        raise NotAPriceList(normalized)
    return normalized


def currency_code(code: str) -> str:
    """The upper-case ISO 4217 code, or `UnknownCurrency`."""
    normalized = code.strip().upper()
    if normalized not in MINOR_UNITS:
        raise UnknownCurrency(code)
    return normalized


def minor_unit_exponent(currency: str) -> int:
    """How many decimals the currency has (JPY 0, USD 2, KWD 3)."""
    return MINOR_UNITS[currency_code(currency)]


_MINOR_UNIT = {code: Decimal(1).scaleb(-exponent) for code, exponent in MINOR_UNITS.items()}  # USD: 0.01


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half up; the only place in the suite that rounds money."""
    minor_unit = _MINOR_UNIT.get(currency) or _MINOR_UNIT[currency_code(currency)]  # a code as given, else normalized
    rounded = amount.quantize(minor_unit, rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded  # never "-0.00" on an invoice


def parse_decimal(text: str | int | Decimal) -> Decimal:
    """A finite Decimal from an exact representation; floats are refused because they are not exact."""
    if isinstance(text, bool | float):
        raise TypeError("money and quantities are Decimal, never float")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"'{text}' is not a decimal number") from exc
    if not value.is_finite():
        raise ValueError(f"'{text}' is not a finite number")
    return value


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        object.__setattr__(self, "currency", currency_code(self.currency))

    def rounded(self) -> Money:
        return Money(round_money(self.amount, self.currency), self.currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
