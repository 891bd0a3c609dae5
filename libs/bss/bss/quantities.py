"""The one rule for a measured quantity: what billing accepts as the amount of a SKU used.

A quantity is a finite, non-negative decimal with at most 18 integer digits and 12 fraction digits (what a
`NUMERIC(30,12)` column holds), given in at most 64 characters (docs/domain.md, "Usage quantities"). Trailing
zeros do not count against the fraction digits: `1.500000000000000` is 1.5.

The rule is checked on the `Decimal`'s parts (`as_tuple`), never on its expansion: `1e2000000` is refused in
microseconds, where formatting it in positional notation would write two million characters, and arithmetic
on it would overflow the default decimal context. HTTP intake, the Acronis report import and the consumer of
`bss.usage` all apply this rule before anything is acknowledged or written.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation

MAX_INTEGER_DIGITS = 18
MAX_FRACTION_DIGITS = 12
MAX_TEXT_LENGTH = 64

OUT_OF_RANGE = "quantity_out_of_range"
"""The reason code of a quantity with too many digits or characters (a `UsageRejected` reason)."""
INVALID = "invalid_payload"
"""The reason code of a quantity that is no finite non-negative decimal at all."""

EXACT = Context(prec=MAX_TEXT_LENGTH + 2, Emax=MAX_INTEGER_DIGITS + MAX_TEXT_LENGTH, Emin=-2 * MAX_TEXT_LENGTH)
"""A context in which every operation on one accepted quantity is exact (normalizing, comparing)."""

_ONE = Decimal(1)
_SHOWN = 40  # characters of a refused value quoted back in a detail


@dataclass(frozen=True, slots=True)
class QuantityRefusal:
    """Why a quantity is refused: a reason code (`quantity_out_of_range` or `invalid_payload`) and a detail."""

    reason_code: str
    detail: str


class QuantityRefused(ValueError):
    """A quantity that breaks the rule; `refusal` says why (a ValueError, so pydantic reports it as invalid)."""

    def __init__(self, refusal: QuantityRefusal) -> None:
        super().__init__(refusal.detail)
        self.refusal = refusal


def quantity_refusal(value: Decimal) -> QuantityRefusal | None:
    """None if `value` is an acceptable quantity, else why not: it must be finite, not negative, and have at
    most 18 integer digits, 12 fraction digits (trailing zeros aside) and 64 digits written."""
    if not value.is_finite():
        return QuantityRefusal(INVALID, f"quantity {_shown(value)} is not a finite number")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    written = len(digits)
    if written > MAX_TEXT_LENGTH:
        return _out_of_range(value, f"it has {written} digits")
    trailing = written - len(bytes(digits).rstrip(b"\0"))
    significant = written - trailing
    if significant == 0:  # zero, however written (`-0` and `0E+9` too)
        return None
    if sign:
        return QuantityRefusal(INVALID, f"quantity {_shown(value)} is negative; quantities are never below 0")
    lowest = exponent + trailing  # the exponent of the last significant digit
    if significant + lowest > MAX_INTEGER_DIGITS:
        return _out_of_range(value, f"more than {MAX_INTEGER_DIGITS} integer digits")
    if -lowest > MAX_FRACTION_DIGITS:
        return _out_of_range(value, f"more than {MAX_FRACTION_DIGITS} decimals")
    return None


def is_plain_quantity(value: Decimal) -> bool:
    """A cheap sufficient test for the usual case (the hot path: 0.2 us, where `as_tuple` alone takes 0.5):
    non-negative, finite, fewer than 19 integer digits, at most 12 decimals as written, no exponent. False does
    not mean refused: `quantity_refusal` decides then."""
    if not value.is_finite() or value.is_signed() or value.adjusted() >= MAX_INTEGER_DIGITS:
        return False
    text = str(value)  # positional here unless tiny (then it has an exponent, and the full rule decides)
    dot = text.find(".")
    return "E" not in text and (dot < 0 or len(text) - dot - 1 <= MAX_FRACTION_DIGITS)


def parse_quantity(text: str | int | Decimal) -> Decimal:
    """The quantity `text` gives, or `QuantityRefused` saying why it is not one. Floats are refused (inexact)."""
    if isinstance(text, bool) or not isinstance(text, str | int | Decimal):
        detail = f"expected a decimal string, got {type(text).__name__}: money and quantities are never floats"
        raise QuantityRefused(QuantityRefusal(INVALID, detail))
    if isinstance(text, str):
        if len(text) > MAX_TEXT_LENGTH:
            detail = f"quantity is {len(text)} characters long; at most {MAX_TEXT_LENGTH} are accepted"
            raise QuantityRefused(QuantityRefusal(OUT_OF_RANGE, detail))
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            raise QuantityRefused(QuantityRefusal(INVALID, f"quantity '{text}' is not a decimal number")) from None
    elif isinstance(text, int):
        if text.bit_length() > 4 * MAX_TEXT_LENGTH:  # before `Decimal(int)`, which writes every digit
            raise QuantityRefused(_out_of_range(None, f"more than {MAX_TEXT_LENGTH} digits"))
        value = Decimal(text)
    else:
        value = text
    refusal = quantity_refusal(value)
    if refusal is not None:
        raise QuantityRefused(refusal)
    return canonical_quantity(value)


def canonical_quantity(value: Decimal) -> Decimal:
    """An accepted quantity as it is written on the wire: unchanged when plain; else without trailing zeros and
    exponent (`1.500000000000000` is `1.5`, `1E+3` is `1000`, `-0` is `0`), so its text never has more than 18
    integer digits and 12 decimals."""
    if is_plain_quantity(value):
        return value
    reduced = value.normalize(EXACT)
    if reduced.is_zero():
        return Decimal(0)
    return reduced.quantize(_ONE, context=EXACT) if reduced.as_tuple().exponent > 0 else reduced  # type: ignore[operator]


def _out_of_range(value: Decimal | None, why: str) -> QuantityRefusal:
    limits = f"at most {MAX_INTEGER_DIGITS} integer digits and {MAX_FRACTION_DIGITS} decimals"
    shown = "quantity" if value is None else f"quantity {_shown(value)}"
    return QuantityRefusal(OUT_OF_RANGE, f"{shown} is out of range ({why}): {limits}")


def _shown(value: Decimal) -> str:
    """The value as `str` writes it (scientific beyond a few zeros, so never expanded), cut short if long."""
    text = str(value)
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}... ({len(text)} characters)"
