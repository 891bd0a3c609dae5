"""Numbers, money and dates on documents for people (invoice and credit note PDFs), in the buyer's locale, and
the one rule for CSV cells.

Babel does the formatting with CLDR's patterns and symbols. Amounts arrive as decimal strings and are parsed with
`Decimal`, never float. A figure shows the decimals the document gives it, at least its currency's ISO 4217 ones
(JPY none, CHF two), and nothing is ever rounded here: a 0.0528 unit price stays 0.0528, 0.0350 stays 0.0350.
An unknown or missing locale falls back to `en`.

Babel 2.19 removes a pair of ASCII apostrophes from what it formats (its pattern-quote unescaping runs on the
result), so the Swiss group separator vanished from 1'234'567: numbers are formatted without grouping and grouped
here with the locale's own symbol and group sizes.
"""

from __future__ import annotations

import re
from copy import copy
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation, localcontext

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import NumberPattern, get_currency_precision, get_currency_symbol, get_group_symbol

FALLBACK_LOCALE = "en"
NO_BREAK_SPACE = "\u00a0"
_INTEGER_DIGITS = re.compile(r"\d+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def document_locale(tag: str | None) -> Locale:
    """The Babel locale of a BCP 47 tag (`de-DE`, `ja-JP`, `en`); `en` for a missing or unknown one."""
    if tag:
        try:
            return Locale.parse(tag.strip().replace("_", "-"), sep="-")
        except (UnknownLocaleError, ValueError, TypeError):
            pass
    return Locale.parse(FALLBACK_LOCALE)


def decimal_of(value: str | int | Decimal) -> Decimal:
    """A document's decimal string as a Decimal (never through float); -0 reads as 0."""
    if isinstance(value, bool | float):
        raise TypeError("amounts and quantities are decimal strings, never float")
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a decimal number") from exc
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return number.copy_abs() if number.is_zero() else number


def _grouped(text: str, locale: Locale, pattern: NumberPattern) -> str:
    """`text` (formatted without grouping) with the locale's group symbol put into its integer digits."""
    match = _INTEGER_DIGITS.search(text)
    if match is None:
        return text
    digits, groups = match.group(), list[str]()
    primary, secondary = pattern.grouping
    size = primary
    while len(digits) > size:
        groups.insert(0, digits[-size:])
        digits, size = digits[:-size], secondary
    groups.insert(0, digits)
    return text[: match.start()] + get_group_symbol(locale).join(groups) + text[match.end() :]


def _decimals(value: Decimal, minimum: int = 0) -> int:
    """How many decimals `value` is written with (0.0350: 4), at least `minimum`."""
    exponent = value.as_tuple().exponent
    return max(minimum, -exponent if isinstance(exponent, int) and exponent < 0 else 0)


def _formatted(value: Decimal, pattern: NumberPattern, locale: Locale, decimals: int, currency: str | None) -> str:
    """`value` in `pattern` with `decimals` decimals (enough for all its own: nothing is rounded), grouped."""
    fixed = copy(pattern)
    fixed.frac_prec = (decimals, decimals)
    with localcontext() as context:
        context.prec = 80  # 18 integer and 12 fraction digits are more than the default 28
        text = fixed.apply(value, locale, currency=currency, currency_digits=False, group_separator=False)
    return _grouped(text, locale, pattern)


def money(amount: str | Decimal, currency: str, locale: Locale) -> str:
    """An amount with its currency, grouped, with the currency's decimals (177673 JPY: ¥177,673 in `en`,
    177.673 ¥ in `de-DE`); an amount with more decimals than the currency keeps them rather than rounding."""
    number, pattern = decimal_of(amount), locale.currency_formats["standard"]
    text = _formatted(number, pattern, locale, _decimals(number, get_currency_precision(currency)), currency)
    return _spaced(text, currency, locale)


def _spaced(text: str, currency: str, locale: Locale) -> str:
    """CLDR's currency spacing, which Babel leaves out: a no-break space between a symbol that ends (or starts)
    with a letter and the digits next to it (CHF1.50 -> CHF 1.50; $1.50 stays)."""
    symbol = get_currency_symbol(currency, locale)
    if not symbol:
        return text
    escaped = re.escape(symbol)
    if symbol[-1].isalpha():
        text = re.sub(escaped + r"(?=\d)", symbol + NO_BREAK_SPACE, text)
    if symbol[0].isalpha():
        text = re.sub(r"(?<=\d)" + escaped, NO_BREAK_SPACE + symbol, text)
    return text


def amount(value: str | Decimal, currency: str, locale: Locale) -> str:
    """An amount without its symbol, for a column headed with the currency: grouped, with at least the
    currency's decimals (1234.5 EUR: 1,234.50 in `en`, 1.234,50 in `de-DE`; 177673 JPY: 177,673)."""
    number = decimal_of(value)
    return _formatted(
        number, locale.decimal_formats[None], locale, _decimals(number, get_currency_precision(currency)), None
    )


def unit_price(value: str | Decimal, currency: str, locale: Locale) -> str:
    """A unit price with the decimals it has, at least the currency's (0.0528 USD: 0.0528; 0.0350: 0.0350;
    2 USD: 2.00), without its symbol: the column names the price-list currency."""
    return amount(value, currency, locale)


def quantity(value: str | Decimal, locale: Locale) -> str:
    """A quantity as measured, with its decimals, grouped, never rounded (12000.125: 12,000.125 in `en`,
    12.000,125 in `de-DE`)."""
    number = decimal_of(value)
    return _formatted(number, locale.decimal_formats[None], locale, _decimals(number), None)


def rate(value: str | Decimal, locale: Locale) -> str:
    """An FX rate with every decimal it was published with."""
    return quantity(value, locale)


def percent(value: str | Decimal, locale: Locale) -> str:
    """A rate given in percent (`8.1` for 8.1 %) in the locale's percent format, with the decimals it has."""
    number = decimal_of(value)
    return _formatted(number.scaleb(-2), locale.percent_formats[None], locale, _decimals(number), None)


def day(value: str | date, locale: Locale) -> str:
    """A date (ISO string or date) in the locale's medium format (Jan 31, 2024; 31.01.2024; 2024/01/31)."""
    when = value if isinstance(value, date) else date.fromisoformat(value)
    return format_date(when, format="medium", locale=locale)


def spreadsheet_text(value: object) -> str:
    """A CSV cell: the value as text (None: empty); text a spreadsheet would run as a formula (=, +, @, a tab or
    a carriage return first, or a - not starting a number) is kept as text by a leading apostrophe."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "@", "\t", "\r") or (text[:1] == "-" and not _NUMBER.fullmatch(text)):
        return "'" + text
    return text


@dataclass(frozen=True, slots=True)
class DocumentFormat:
    """The formats of one document's locale, so a renderer need not pass the locale to every call."""

    locale: Locale

    @classmethod
    def of(cls, tag: str | None) -> DocumentFormat:
        return cls(document_locale(tag))

    @property
    def tag(self) -> str:
        """The BCP 47 tag of the locale used (the fallback's when the document's was unknown)."""
        parts = (self.locale.language, self.locale.script, self.locale.territory)
        return "-".join(part for part in parts if part)

    def money(self, amount: str | Decimal, currency: str) -> str:
        return money(amount, currency, self.locale)

    def amount(self, value: str | Decimal, currency: str) -> str:
        return amount(value, currency, self.locale)

    def unit_price(self, value: str | Decimal, currency: str) -> str:
        return unit_price(value, currency, self.locale)

    def quantity(self, value: str | Decimal) -> str:
        return quantity(value, self.locale)

    def rate(self, value: str | Decimal) -> str:
        return rate(value, self.locale)

    def percent(self, value: str | Decimal) -> str:
        return percent(value, self.locale)

    def day(self, value: str | date) -> str:
        return day(value, self.locale)
