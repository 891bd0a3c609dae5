"""`resellers.csv` and `subscriptions.csv`: their columns, and each record as a line of the book import
(`POST /api/v1/subscriptions/imports/book`; docs/import-format.md, docs/domain.md "Importing an existing book")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bss.calendar_months import is_period, period_containing, period_of
from bss.money import NotAPriceList, price_list_currency
from bss.vat_ids import vat_id_problem
from deploy.import_book import cells
from deploy.import_book.cells import Cells

RESELLERS = "resellers.csv"
SUBSCRIPTIONS = "subscriptions.csv"

RESELLER_REQUIRED = (
    "source_id",
    "registered_at",
    "legal_name",
    "billing_email",
    "address_line_1",
    "city",
    "country",
    "partner_since",
    "billing_currency",
    "contract_signed_on",
)
RESELLER_OPTIONAL = (
    "address_line_2",
    "address_line_3",
    "address_line_4",
    "postal_code",
    "region",
    "address_country",
    "tax_id",
    "price_list_currency",
    "payment_terms_days",
    "locale",
    "reseller_id",
    "profile_effective_from",
)
SUBSCRIPTION_REQUIRED = ("source_id", "product", "started_at")
SUBSCRIPTION_OPTIONAL = ("reseller_source_id", "reseller_id", "billed_through", "ramp_up_cycles")

SOURCE_ID = cells.single_line(200)
NAME = cells.single_line(200)
_ADDRESS_LINES = ("address_line_1", "address_line_2", "address_line_3", "address_line_4")


@dataclass(frozen=True, slots=True)
class BookLine:
    """A record as the line the API takes (`body`), with where it came from."""

    source_id: str
    line: int
    body: dict[str, Any]
    reseller_source_id: str | None = None
    """A subscription's reseller, named by its source id (else `body` names it by `reseller_id`)."""


def reseller_line(row: Cells, now: datetime) -> BookLine | None:
    """A reseller with its first billing profile; None when a cell is wrong (the problems say which)."""
    source_id = row.required("source_id", SOURCE_ID)
    registered_at = row.required("registered_at", cells.instant)
    if registered_at is not None and registered_at > now:
        row.refuse("registered_at", "in the future: a book holds what happened")
    country = row.required("country", cells.country)
    address_country = row.optional("address_country", cells.country) or country
    body: dict[str, Any] = {
        "source_id": source_id,
        "registered_at": _instant(registered_at),
        "legal_name": row.required("legal_name", NAME),
        "billing_email": row.required("billing_email", cells.email),
        "billing_address": _address(row, address_country),
        "country": country,
        "partner_since": _day(row.required("partner_since", cells.day)),
        "billing_currency": row.required("billing_currency", cells.currency),
        "contract_signed_on": _day(row.required("contract_signed_on", cells.day)),
    }
    tax_id = row.optional("tax_id", NAME)
    if tax_id is not None and address_country is not None and (problem := _vat_id_problem(tax_id, address_country)):
        row.refuse("tax_id", f"{problem}; the VAT id of an EU address must be its country's")
    price_list = row.optional("price_list_currency", cells.currency)
    if price_list is not None:
        try:
            price_list_currency(price_list)
        except NotAPriceList as exc:
            row.refuse("price_list_currency", str(exc))
    optional = {
        "tax_id": tax_id,
        "price_list_currency": price_list,
        "payment_terms_days": row.optional("payment_terms_days", cells.whole_number(0, 365)),
        "locale": row.optional("locale", cells.locale),
        "reseller_id": row.optional("reseller_id", cells.uuid_text),
        "profile_effective_from": _day(row.optional("profile_effective_from", cells.day)),
    }
    body |= {name: value for name, value in optional.items() if value is not None}
    if row.failed or source_id is None:
        return None
    return BookLine(source_id, row.line, body)


def _vat_id_problem(tax_id: str, country: str) -> str | None:
    try:
        return vat_id_problem(tax_id, country)
    except ValueError:  # python-stdnum refuses some ids outright (another country's prefix) instead of answering
        return f"not a valid VAT id of {country} (prefix, length and check digits)"


def _address(row: Cells, country: str | None) -> dict[str, Any]:
    lines = [row.optional(column, NAME) for column in _ADDRESS_LINES]
    if not row.given("address_line_1"):
        row.refuse("address_line_1", "required, but empty")
    address: dict[str, Any] = {
        "lines": [line for line in lines if line is not None],
        "city": row.required("city", NAME),
        "country": country,
    }
    for column in ("postal_code", "region"):
        value = row.optional(column, NAME)
        if value is not None:
            address[column] = value
    return address


def subscription_line(row: Cells, now: datetime) -> BookLine | None:
    """A paid subscription with the last month the source system invoiced; None when a cell is wrong."""
    source_id = row.required("source_id", SOURCE_ID)
    reseller_source_id = row.optional("reseller_source_id", SOURCE_ID)
    reseller_id = row.optional("reseller_id", cells.uuid_text)
    if row.given("reseller_source_id") == row.given("reseller_id"):
        row.refuse("reseller_source_id", "name the reseller by reseller_source_id or by reseller_id (one of them)")
    started_at = row.required("started_at", cells.instant)
    if started_at is not None and started_at > now:
        row.refuse("started_at", "in the future: a book holds subscriptions that started")
    billed_through = row.optional("billed_through", cells.day)
    if billed_through is not None and (problem := billed_through_problem(started_at, billed_through, now.date())):
        row.refuse("billed_through", problem)
    body: dict[str, Any] = {
        "source_id": source_id,
        "product": row.required("product", cells.single_line(200)),
        "started_at": _instant(started_at),
    }
    optional = {
        "reseller_id": reseller_id,
        "billed_through": _day(billed_through),
        "ramp_up_cycles": row.optional("ramp_up_cycles", cells.whole_number(0, 3)),
    }
    body |= {name: value for name, value in optional.items() if value is not None}
    if row.failed or source_id is None:
        return None
    return BookLine(source_id, row.line, body, reseller_source_id)


def billed_through_problem(started_at: datetime | None, billed_through: date, today: date) -> str | None:
    """The import's rule, checked before sending: the 1st of a month that has ended, not before the start's."""
    if not is_period(billed_through):
        return f"{billed_through.isoformat()} is not the first day of a month (the last month invoiced elsewhere)"
    if billed_through >= period_containing(today):
        return f"{billed_through:%Y-%m} has not ended yet (today is {today.isoformat()})"
    if started_at is not None and billed_through < period_of(started_at):
        return f"before the month the subscription started ({period_of(started_at):%Y-%m})"
    return None


def _instant(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
