"""`python -m deploy.import_book.samples OUT_DIR`: write a realistic sample book, the same for the same arguments.

Resellers in fifteen countries with their billing profiles (well-formed VAT ids), one paid contract subscription
each for as many of them as asked, billed elsewhere through `--billed-through` (default: the month before
`--today`), and historical tickets with their stories. Dates are relative to the book's end, the end of the
`--billed-through` month, so regenerating the book in another month moves every date with it
(docs/import-format.md, "The sample book").
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from bss.calendar_months import is_period, period_containing, previous_period
from deploy.import_book.book_rows import RESELLERS, SUBSCRIPTIONS
from deploy.import_book.sample_book import book_end, sample_resellers, sample_subscriptions
from deploy.import_book.sample_tickets import HISTORY_COLUMNS, sample_tickets
from deploy.import_book.ticket_rows import HISTORY, TICKETS

EARLIEST_BILLED_THROUGH = date(2022, 3, 1)
"""The catalog's history starts in 2022-01: a book billed through an earlier month has no room for its story."""
RESELLER_COLUMNS = (
    "source_id",
    "registered_at",
    "legal_name",
    "billing_email",
    "address_line_1",
    "address_line_2",
    "city",
    "postal_code",
    "region",
    "country",
    "partner_since",
    "billing_currency",
    "contract_signed_on",
    "tax_id",
    "payment_terms_days",
    "locale",
)
SUBSCRIPTION_COLUMNS = ("source_id", "reseller_source_id", "product", "started_at", "billed_through", "ramp_up_cycles")
TICKET_COLUMNS = (
    "source_id",
    "reseller_source_id",
    "subject",
    "description",
    "product",
    "build_number",
    "severity",
    "opened_at",
)


@dataclass(frozen=True, slots=True)
class SampleOptions:
    billed_through: date
    resellers: int = 200
    subscriptions: int = 200
    tickets: int = 500
    seed: int = 19


@dataclass(frozen=True, slots=True)
class SampleBook:
    resellers: list[dict[str, str]]
    subscriptions: list[dict[str, str]]
    tickets: list[dict[str, str]]
    history: list[dict[str, str]]


def default_billed_through(today: date) -> date:
    """The month before today's: what the old system last invoiced on a cut-over this month."""
    return previous_period(period_containing(today))


def billed_through_problem(billed_through: date, today: date) -> str | None:
    if not is_period(billed_through):
        return f"{billed_through} is not the first day of a month"
    if billed_through >= period_containing(today):
        return f"{billed_through:%Y-%m} has not ended on {today}"
    if billed_through < EARLIEST_BILLED_THROUGH:
        return f"before {EARLIEST_BILLED_THROUGH:%Y-%m} (the seeded catalog's history starts in 2022-01)"
    return None


def generate(options: SampleOptions) -> SampleBook:
    """The sample book; the same options always give the same book."""
    rng = random.Random(options.seed)
    resellers = sample_resellers(rng, options.resellers, options.billed_through)
    subscriptions = sample_subscriptions(rng, resellers, options.subscriptions, options.billed_through)
    tickets, history = sample_tickets(rng, resellers, options.tickets, book_end(options.billed_through))
    return SampleBook([r.row for r in resellers], subscriptions, tickets, history)


def write_book(book: SampleBook, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    files = (
        (RESELLERS, RESELLER_COLUMNS, book.resellers),
        (SUBSCRIPTIONS, SUBSCRIPTION_COLUMNS, book.subscriptions),
        (TICKETS, TICKET_COLUMNS, book.tickets),
        (HISTORY, HISTORY_COLUMNS, book.history),
    )
    for name, columns, rows in files:
        with (directory / name).open("w", encoding="utf-8", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.import_book.samples", description=__doc__.splitlines()[0] if __doc__ else ""
    )
    parser.add_argument("directory", metavar="OUT_DIR", type=Path, help="where to write the four CSV files")
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="default: today (UTC)")
    parser.add_argument(
        "--billed-through",
        type=date.fromisoformat,
        default=None,
        help="the last month the old system invoiced, YYYY-MM-01 (default: the month before --today)",
    )
    parser.add_argument("--resellers", type=int, default=200, help="default 200")
    parser.add_argument(
        "--subscriptions", type=int, default=200, help="one per reseller at most (one exclusion set); default 200"
    )
    parser.add_argument("--tickets", type=int, default=500, help="default 500")
    parser.add_argument("--seed", type=int, default=19, help="another seed draws another book (default 19)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    today = args.today or datetime.now(UTC).date()
    billed_through = args.billed_through or default_billed_through(today)
    if problem := billed_through_problem(billed_through, today):
        sys.stderr.write(f"error: --billed-through: {problem}\n")
        return 2
    counts = (args.resellers, args.subscriptions, args.tickets)
    if min(counts) < 0 or args.subscriptions > args.resellers or max(counts) > 100_000:
        sys.stderr.write("error: counts from 0 to 100,000, and at most one subscription per reseller\n")
        return 2
    options = SampleOptions(billed_through, args.resellers, args.subscriptions, args.tickets, args.seed)
    book = generate(options)
    write_book(book, args.directory)
    sys.stdout.write(
        f"Wrote {len(book.resellers)} resellers, {len(book.subscriptions)} subscriptions, {len(book.tickets)} tickets "
        f"({len(book.history)} history steps) to {args.directory}, billed through {billed_through:%Y-%m}\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
