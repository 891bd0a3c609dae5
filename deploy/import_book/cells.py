"""What a cell of a book file may hold: one parser per kind of value, each refusing with a message that says what
was expected (docs/import-format.md). The rules are the import APIs' own where the suite has them in one place
(`bss`: control characters, VAT ids, currencies, locales; the ISO country list of subscriptions), so a file that
passes here is not refused as a whole by the API.

Values are never evaluated: a cell is text until a parser reads it as a date, a number or one of a list.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar

from bss.api.input_text import multi_line as multi_line_rule
from bss.api.input_text import single_line as single_line_rule
from bss.iso4217 import MINOR_UNITS
from bss.locales import canonical_locale
from deploy.import_book.csv_reading import Problems, Record, Where
from subscriptions.domain.countries import country_refusal

T = TypeVar("T")
Parse = Callable[[str], T]

_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_INSTANT = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
_WHOLE = re.compile(r"^[0-9]{1,9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_BUILD = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_SOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
MAX_SOURCE_CHARS = 60
EARLIEST = date(1900, 1, 1)
"""No date or instant of a book is older (a year 0024 is a typing slip, not history)."""


class CellError(ValueError):
    """What is wrong with a cell, said to the person who fixes the file."""


def single_line(max_chars: int) -> Parse[str]:
    """Text on one line (surrounding spaces dropped): no control characters, at most `max_chars`."""

    def parse(text: str) -> str:
        value = text.strip()
        _within(value, max_chars)
        try:
            return single_line_rule(value)
        except ValueError as exc:
            raise CellError(str(exc)) from exc

    return parse


def multi_line(max_chars: int) -> Parse[str]:
    """Text that may span lines (kept as written): tab, LF and CR are the only control characters allowed."""

    def parse(text: str) -> str:
        _within(text, max_chars)
        try:
            return multi_line_rule(text)
        except ValueError as exc:
            raise CellError(str(exc)) from exc

    return parse


def _within(value: str, max_chars: int) -> None:
    if len(value) > max_chars:
        raise CellError(f"{len(value):,} characters: at most {max_chars:,}")


def day(text: str) -> date:
    """A calendar date, YYYY-MM-DD."""
    value = text.strip()
    if _DAY.match(value):
        try:
            found = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return _not_too_old(found, value)
    raise CellError(f"{_shown(value)} is not a date YYYY-MM-DD (e.g. 2024-03-01)")


def instant(text: str) -> datetime:
    """An instant with its UTC offset (RFC 3339): 2024-03-01T09:30:00Z or 2024-03-01T10:30:00+01:00."""
    value = text.strip()
    if _INSTANT.match(value):
        try:
            found = datetime.fromisoformat(value)
            in_utc = found.astimezone(UTC)
        except (ValueError, OverflowError):
            pass
        else:
            _not_too_old(in_utc.date(), value)
            return found
    raise CellError(
        f"{_shown(value)} is not an instant with its offset (e.g. 2024-03-01T09:30:00Z or 2024-03-01T10:30:00+01:00)"
    )


def _not_too_old(found: date, value: str) -> date:
    if found < EARLIEST:
        raise CellError(f"{_shown(value)} is before {EARLIEST.isoformat()}")
    return found


def choice(*values: str) -> Parse[str]:
    def parse(text: str) -> str:
        value = text.strip()
        if value not in values:
            raise CellError(f"{_shown(value)} is not one of {', '.join(values)}")
        return value

    return parse


def boolean(text: str) -> bool:
    """true or false (any case); an empty cell is false."""
    value = text.strip().lower()
    if value not in ("true", "false"):
        raise CellError(f"{_shown(text.strip())} is not true or false")
    return value == "true"


def whole_number(low: int, high: int) -> Parse[int]:
    def parse(text: str) -> int:
        value = text.strip()
        if not _WHOLE.match(value) or not low <= int(value) <= high:
            raise CellError(f"{_shown(value)} is not a whole number from {low} to {high}")
        return int(value)

    return parse


def currency(text: str) -> str:
    """An ISO 4217 code in capitals."""
    value = text.strip()
    if value not in MINOR_UNITS:
        raise CellError(f"{_shown(value)} is not an ISO 4217 currency code in capitals (e.g. EUR)")
    return value


def country(text: str) -> str:
    """An ISO 3166-1 alpha-2 code in capitals (the United Kingdom is GB)."""
    value = text.strip()
    if problem := country_refusal(value):
        raise CellError(problem)
    return value


def email(text: str) -> str:
    value = single_line(254)(text)
    if not _EMAIL.match(value):
        raise CellError(f"{_shown(value)} is not an email address")
    return value


def locale(text: str) -> str:
    """A BCP 47 tag with known formats, in its canonical form (de_DE is de-DE)."""
    try:
        return canonical_locale(single_line(35)(text))
    except ValueError as exc:
        raise CellError(str(exc)) from exc


def uuid_text(text: str) -> str:
    value = text.strip()
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise CellError(f"{_shown(value)} is not a UUID") from exc


def build_number(text: str) -> str:
    """A product build, dotted digits (24.3.37719)."""
    value = text.strip()
    if len(value) > 50 or not _BUILD.match(value):
        raise CellError(f"{_shown(value)} is not a build number of dotted digits (e.g. 24.3.37719)")
    return value


def source_name(text: str) -> str:
    """The source system's name: letters, digits, '.', '_', '-' (read in lower case, as the APIs do)."""
    if len(text) > MAX_SOURCE_CHARS or not _SOURCE.match(text):
        raise CellError(
            f"{_shown(text)} is not a source name: 1 to {MAX_SOURCE_CHARS} letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return text.lower()


def _shown(value: str, limit: int = 40) -> str:
    """A cell quoted back in a message, cut short and with control characters escaped."""
    cut = value if len(value) <= limit else value[:limit] + "..."
    return repr(cut) if cut else "an empty cell"


@dataclass
class Cells:
    """One record's cells read column by column; each problem is added with its file, line and column, so a
    whole file is checked in one go."""

    file: str
    record: Record
    problems: Problems
    failed: bool = False

    @property
    def line(self) -> int:
        return self.record.line

    def where(self, column: str | None = None) -> Where:
        return Where(self.file, self.record.line, column)

    def raw(self, column: str) -> str:
        """The cell as written ('' when the file has no such column)."""
        return self.record.cells.get(column, "")

    def given(self, column: str) -> bool:
        return self.raw(column).strip() != ""

    def optional(self, column: str, parse: Parse[T]) -> T | None:
        """The cell's value, or None when it is empty or the file has no such column."""
        if not self.given(column):
            return None
        try:
            return parse(self.raw(column))
        except CellError as exc:
            self.refuse(column, str(exc))
            return None

    def required(self, column: str, parse: Parse[T]) -> T | None:
        if not self.given(column):
            self.refuse(column, "required, but empty")
            return None
        return self.optional(column, parse)

    def refuse(self, column: str | None, message: str) -> None:
        self.failed = True
        self.problems.add(self.where(column), message)
