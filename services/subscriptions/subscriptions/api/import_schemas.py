"""Request and response schemas of the book import (`POST /v1/imports/book`; docs/domain.md, "Importing an
existing book")."""

from __future__ import annotations

from datetime import date
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from bss.api.input_text import SingleLine
from bss.events.contracts.value_types import UtcDatetime, Uuid
from subscriptions.api import examples
from subscriptions.api.schemas import ResellerFields
from subscriptions.domain.book_import import MAX_LINES_PER_IMPORT, ImportedKind, LineStatus

SourceId = SingleLine
_SOURCE_ID = Field(min_length=1, max_length=200, description="The record's id in the source system.")


class ImportedResellerIn(ResellerFields):
    source_id: SourceId = _SOURCE_ID
    registered_at: UtcDatetime = Field(description="When the distributor registered it (RFC 3339, past).")
    profile_effective_from: date | None = Field(
        default=None,
        description="A re-import that changes the billing profile: the first day of the new profile (default: today).",
    )


class ImportedSubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_id: SourceId = _SOURCE_ID
    reseller_source_id: SingleLine | None = Field(
        default=None, max_length=200, description="The reseller's source id (imported now or before)."
    )
    reseller_id: Uuid | None = Field(default=None, description="Or the reseller's id in this suite.")
    product: SingleLine = Field(
        min_length=1,
        max_length=200,
        description="A contract tier product id, or the code of its version in force on the start day "
        "(e.g. csp-commit-1000; GET /v1/catalog/products lists them).",
    )
    started_at: UtcDatetime = Field(description="When the paid subscription started (RFC 3339, past).")
    billed_through: date | None = Field(
        default=None,
        description=(
            "The first day of the last month the source system invoiced; no close here invoices it or any month "
            "before it, and usage measured in them is refused. null: nothing was invoiced elsewhere."
        ),
    )
    ramp_up_cycles: StrictInt | None = Field(default=None, ge=0, le=3, description="Default: the grants in force.")

    @model_validator(mode="after")
    def _one_reseller(self) -> Self:
        if (self.reseller_source_id is None) == (self.reseller_id is None):
            raise ValueError("name the reseller by reseller_source_id or by reseller_id, not both")
        return self


_EXAMPLE: dict[str, Any] = {
    "source": "legacy-erp",
    "resellers": [
        {
            "source_id": "C-1001",
            "reseller_id": examples.IMPORTED_RESELLER_ID,
            "legal_name": "Contoso Systemhaus GmbH",
            "billing_email": "buchhaltung@contoso.example",
            "billing_address": {
                "lines": ["Leopoldstrasse 80"],
                "city": "München",
                "postal_code": "80802",
                "country": "DE",
            },
            "country": "DE",
            "partner_since": "2022-03-01",
            "billing_currency": "EUR",
            "contract_signed_on": "2022-03-01",
            "tax_id": "DE136695976",
            "payment_terms_days": 14,
            "locale": "de-DE",
            "registered_at": "2022-03-01T09:00:00Z",
        }
    ],
    "subscriptions": [
        {
            "source_id": "S-5001",
            "reseller_source_id": "C-1001",
            "product": "csp-commit-1000",
            "started_at": "2022-03-15T00:00:00Z",
            "billed_through": "2024-12-01",
        }
    ],
}


class BookImportIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    source: str = Field(
        min_length=1,
        max_length=60,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="The system the book comes from (letters, digits, '.', '_', '-'; read in lower case).",
    )
    resellers: list[ImportedResellerIn] = Field(default_factory=list, max_length=MAX_LINES_PER_IMPORT)
    subscriptions: list[ImportedSubscriptionIn] = Field(default_factory=list, max_length=MAX_LINES_PER_IMPORT)

    @model_validator(mode="after")
    def _within_the_limit(self) -> Self:
        self.source = self.source.lower()
        if len(self.resellers) + len(self.subscriptions) > MAX_LINES_PER_IMPORT:
            raise ValueError(f"at most {MAX_LINES_PER_IMPORT} lines per request; send the book in parts")
        return self


class LineRead(BaseModel):
    kind: ImportedKind
    index: int = Field(description="The line's position in its list (resellers or subscriptions), from 0.")
    source_id: str
    status: LineStatus
    id: str | None = Field(
        description="The reseller or subscription here (null: refused, or created by a dry run, which wrote nothing)."
    )
    fields: list[str] = Field(description="What a changed line changed, or what a conflicting line cannot change.")
    problem: dict[str, Any] | None = Field(description="Why the line was refused (problem+json).")


class BookImportRead(BaseModel):
    source: str
    dry_run: bool = Field(description="True: nothing was written; the lines say what an import would do.")
    created: int
    changed: int
    unchanged: int
    conflict: int
    refused: int
    lines: list[LineRead]


def line_fields(line: BaseModel, *, exclude: set[str]) -> dict[str, Any]:
    """A line as JSON without what only says how to apply it: what a re-import is compared with."""
    return line.model_dump(mode="json", exclude=exclude)
