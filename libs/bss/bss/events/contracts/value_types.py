"""The value types event contracts are built from: ids, exact decimals, currencies, UTC times.

Each type validates what a producer sends and states exactly what goes on the wire, so the generated JSON
Schemas say what a consumer will read: decimals as plain decimal strings (never floats, never exponents),
times as ISO 8601 in UTC, currencies as upper-case ISO 4217 codes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, get_args
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from bss.calendar_months import is_period
from bss.clock import ensure_utc
from bss.locales import canonical_locale
from bss.money import currency_code, parse_decimal
from bss.quantities import MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS, MAX_TEXT_LENGTH, parse_quantity

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
NON_NEGATIVE_DECIMAL_PATTERN = r"^[0-9]+(\.[0-9]+)?$"


def exact_decimal(value: object) -> Decimal:
    """A finite `Decimal` from a decimal string, an int or a Decimal; floats are refused as inexact."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        # ValueError, not TypeError: pydantic turns only ValueError into a validation error.
        raise ValueError(
            f"expected a decimal string, got {type(value).__name__}: money and quantities are never floats"
        )
    return parse_decimal(value)


def decimal_text(value: Decimal) -> str:
    """Plain positional notation (`1000`, not `1E+3`; `0`, not `-0`), so every reader parses it alike."""
    return format(value.copy_abs() if value.is_zero() else value, "f")


def canonical_uuid(value: str) -> str:
    """The lower-case hyphenated form of a UUID string."""
    try:
        return str(UUID(value))
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a UUID") from exc


def first_of_month(value: date) -> date:
    """Billing periods are calendar months: a period is named by its first day."""
    if not is_period(value):
        raise ValueError(f"{value} is not the first day of a month (billing periods start on the 1st)")
    return value


_DECIMAL_JSON = PlainSerializer(decimal_text, return_type=str, when_used="json")

Uuid = Annotated[
    str,
    AfterValidator(canonical_uuid),
    WithJsonSchema({"type": "string", "format": "uuid"}),
]
"""An id: a UUID in its canonical lower-case text form."""

Quantity = Annotated[
    Decimal,
    BeforeValidator(exact_decimal),
    Field(ge=0),
    _DECIMAL_JSON,
    WithJsonSchema({"type": "string", "pattern": NON_NEGATIVE_DECIMAL_PATTERN}),
]
"""A non-negative exact quantity (units of a SKU, bytes, incidents); never rounded."""

MeasuredQuantity = Annotated[
    Decimal,
    BeforeValidator(parse_quantity),
    _DECIMAL_JSON,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": rf"^[0-9]{{1,{MAX_INTEGER_DIGITS}}}(\.[0-9]{{1,{MAX_FRACTION_DIGITS}}})?$",
            "maxLength": MAX_TEXT_LENGTH,
        }
    ),
]
"""A measured quantity as a usage event reports it: the quantity rule of `bss.quantities` (at most 18 integer
digits and 12 decimals, in at most 64 characters); aggregates of many, which may grow past it, are `Quantity`."""

Amount = Annotated[
    Decimal,
    BeforeValidator(exact_decimal),
    _DECIMAL_JSON,
    WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN}),
]
"""A signed money amount in the currency named beside it (negative for credits)."""

NonNegativeAmount = Annotated[
    Decimal,
    BeforeValidator(exact_decimal),
    Field(ge=0),
    _DECIMAL_JSON,
    WithJsonSchema({"type": "string", "pattern": NON_NEGATIVE_DECIMAL_PATTERN}),
]
"""A money amount that is never negative (prices, commitments, fees)."""

PositiveRate = Annotated[
    Decimal,
    BeforeValidator(exact_decimal),
    Field(gt=0),
    _DECIMAL_JSON,
    WithJsonSchema({"type": "string", "pattern": NON_NEGATIVE_DECIMAL_PATTERN}),
]
"""A strictly positive exact rate (FX rates)."""

Percent = Annotated[
    Decimal,
    BeforeValidator(exact_decimal),
    Field(ge=0, le=100),
    _DECIMAL_JSON,
    WithJsonSchema({"type": "string", "pattern": NON_NEGATIVE_DECIMAL_PATTERN}),
]
"""A percentage between 0 and 100, e.g. `10` for the Tier 1 program discount."""

Currency = Annotated[
    str,
    AfterValidator(currency_code),
    WithJsonSchema({"type": "string", "pattern": "^[A-Z]{3}$"}),
]
"""An ISO 4217 currency code, upper case."""

CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
"""An ISO 3166-1 alpha-2 country code, upper case (`GB` for the UK)."""

UtcDatetime = Annotated[AwareDatetime, AfterValidator(ensure_utc)]
"""An instant: must carry a zone on input, always UTC on the wire."""

PeriodStart = Annotated[date, AfterValidator(first_of_month)]
"""The first day of a calendar-month billing period."""

Sku = Annotated[str, Field(min_length=1, max_length=100)]
"""A usage SKU (offering item) code, as on the vendor's price list."""

Name = Annotated[str, Field(min_length=1, max_length=200)]
"""A human-readable name or label."""

Text = Annotated[str, Field(min_length=1, max_length=4000)]
"""Free text for people (reasons, details, descriptions)."""

Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
"""An email address."""

LocaleTag = Annotated[
    str,
    AfterValidator(canonical_locale),
    WithJsonSchema({"type": "string", "maxLength": 35, "examples": ["en", "de-DE", "ja-JP"]}),
]
"""A BCP 47 language tag with known formats (`en`, `de-DE`): how documents for people are written."""

Severity = Literal["A", "B", "C", "D"]
"""Support severity: A critical, B high, C normal, D low."""

SEVERITIES: tuple[Severity, ...] = get_args(Severity)
"""Every severity, most urgent first: the one list the support service, its API and its tables take."""

Aggregation = Literal["sum", "max", "last", "average"]
"""How a SKU's reported values become its monthly quantity."""

AGGREGATIONS: tuple[Aggregation, ...] = get_args(Aggregation)
"""Every aggregation rule: the one list billing, the catalog's API and its CHECK constraint take."""

__all__ = [
    "AGGREGATIONS",
    "SEVERITIES",
    "Aggregation",
    "Amount",
    "CountryCode",
    "Currency",
    "Email",
    "MeasuredQuantity",
    "Name",
    "NonNegativeAmount",
    "Percent",
    "PeriodStart",
    "PositiveRate",
    "Quantity",
    "Severity",
    "Sku",
    "Text",
    "UtcDatetime",
    "Uuid",
]
