"""Text people send to the API: one rule for control characters, as the types input schemas declare.

A NUL or an escape sequence in a ticket subject, a reseller name or a SKU code is never meant: it breaks the
CSV exports, the PDF invoices and the terminals the text is shown on, and PostgreSQL refuses NUL in `text`
outright. So input text refuses them with a 422 naming the field:

- single-line text (names, subjects, codes, ids, emails): no C0 control (U+0000-U+001F, which takes in tab,
  LF and CR), no DEL (U+007F), no C1 control (U+0080-U+009F);
- multi-line text (descriptions, messages, reasons): the same, except that tab, LF and CR are allowed;
- neither holds a lone UTF-16 surrogate (U+D800-U+DFFF): that is no Unicode text at all.

The rule lives here, with the API, and not in the event contracts' value types (`Name`, `Text`, `Sku`,
`Email`), which consumers also read: an event already written with a tab in a `Name` must stay readable when
replayed, and tightening a contract's schema is a breaking change the compatibility test refuses. `Name`,
`Sku`, `Text` and `Email` here are the contract's types with the rule added, so an input that passes also
fits the event it becomes.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from bss.events.contracts import value_types

SINGLE_LINE_PATTERN = r"^[^\u0000-\u001F\u007F-\u009F]*$"
"""What single-line text matches (for the OpenAPI document; lone surrogates are refused too)."""
MULTI_LINE_PATTERN = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
"""What multi-line text matches: tab (U+0009), LF (U+000A) and CR (U+000D) are allowed."""

_NOT_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NOT_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_NAMES = {"\x00": "NUL", "\t": "a tab", "\n": "a line feed", "\r": "a carriage return", "\x7f": "DEL"}


def single_line(text: str) -> str:
    """Single-line text: no control character at all (tab, line breaks, DEL and C1 controls included)."""
    return _refuse(text, _NOT_SINGLE_LINE, "single-line text")


def multi_line(text: str) -> str:
    """Multi-line text: tab, LF and CR are allowed, every other control character is refused."""
    return _refuse(text, _NOT_MULTI_LINE, "text", allowed="; only tab, LF and CR are allowed")


def _refuse(text: str, refused: re.Pattern[str], kind: str, allowed: str = "") -> str:
    found = refused.search(text)
    if found is None:
        return text
    char = found.group()
    # ValueError: pydantic reports it as the field's validation error (a 422 naming the field)
    raise ValueError(
        f"{kind} must not contain {_described(char)} (U+{ord(char):04X} at position {found.start()}){allowed}"
    )


def _described(char: str) -> str:
    if "\ud800" <= char <= "\udfff":
        return "a lone UTF-16 surrogate"
    return _NAMES.get(char, "a control character")


_ONE_LINE = Field(json_schema_extra={"pattern": SINGLE_LINE_PATTERN})
_LINES = Field(json_schema_extra={"pattern": MULTI_LINE_PATTERN})

SingleLine = Annotated[str, AfterValidator(single_line), _ONE_LINE]
"""Text on one line, of any length (give it with `Field(min_length=..., max_length=...)`)."""

MultiLine = Annotated[str, AfterValidator(multi_line), _LINES]
"""Text that may span lines and hold tabs, of any length (give it with `Field`)."""

Name = Annotated[value_types.Name, AfterValidator(single_line), _ONE_LINE]
"""A contract `Name` (1-200 characters) on one line."""

Sku = Annotated[value_types.Sku, AfterValidator(single_line), _ONE_LINE]
"""A contract `Sku` (1-100 characters) on one line."""

Text = Annotated[value_types.Text, AfterValidator(multi_line), _LINES]
"""A contract `Text` (1-4,000 characters); lines and tabs allowed."""

Email = Annotated[value_types.Email, AfterValidator(single_line)]
"""A contract `Email`; its own pattern stays the documented one (no whitespace; no control characters either)."""
