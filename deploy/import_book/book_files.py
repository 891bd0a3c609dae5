"""A book directory read and checked whole: the four files, each record, and what the records say of one another
(ids unique per file, a subscription's or ticket's reseller in `resellers.csv`, a history step's ticket in
`tickets.csv`, each ticket's steps in time order and within the API's limits). Any problem refuses the whole book,
with every problem listed (file, line, column), before anything is sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from deploy.import_book.book_rows import (
    RESELLER_OPTIONAL,
    RESELLER_REQUIRED,
    RESELLERS,
    SUBSCRIPTION_OPTIONAL,
    SUBSCRIPTION_REQUIRED,
    SUBSCRIPTIONS,
    BookLine,
    reseller_line,
    subscription_line,
)
from deploy.import_book.cells import Cells
from deploy.import_book.chunks import MAX_BODY_BYTES
from deploy.import_book.csv_reading import Problems, Table, Where, read_table
from deploy.import_book.ticket_rows import (
    HISTORY,
    HISTORY_OPTIONAL,
    HISTORY_REQUIRED,
    TICKET_OPTIONAL,
    TICKET_REQUIRED,
    TICKETS,
    StepLine,
    TicketLine,
    step_line,
    ticket_line,
)
from support_sla.domain.ticket_import import MAX_HISTORY_STEPS

L = TypeVar("L", BookLine, TicketLine, StepLine)

FILES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    RESELLERS: (RESELLER_REQUIRED, RESELLER_OPTIONAL),
    SUBSCRIPTIONS: (SUBSCRIPTION_REQUIRED, SUBSCRIPTION_OPTIONAL),
    TICKETS: (TICKET_REQUIRED, TICKET_OPTIONAL),
    HISTORY: (HISTORY_REQUIRED, HISTORY_OPTIONAL),
}
"""Each file of a book with its required columns and the optional ones (which may be left out of the header)."""
SHOWN_PROBLEMS = 100


class BookInvalid(Exception):
    """The book cannot be imported as it is; `problems` says every reason found, each with its place."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(f"{len(problems)} problems in the book")
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Book:
    resellers: tuple[BookLine, ...]
    subscriptions: tuple[BookLine, ...]
    tickets: tuple[TicketLine, ...]
    """With their history (`body["history"]`), in the order of `tickets.csv`."""

    @property
    def steps(self) -> int:
        return sum(len(ticket.body["history"]) for ticket in self.tickets)


def read_book(directory: Path, now: datetime) -> Book:
    """The book in `directory`, checked whole against `now` (nothing in it may be in the future); `BookInvalid`
    listing every problem otherwise."""
    problems = Problems()
    if not directory.is_dir():
        raise BookInvalid([f"{directory}: not a directory holding {', '.join(FILES)}"])
    tables = {name: read_table(directory / name, (*req, *opt), req, problems) for name, (req, opt) in FILES.items()}
    for name in (SUBSCRIPTIONS, TICKETS):
        table = tables[name]
        if table is not None and not {"reseller_source_id", "reseller_id"} & set(table.columns):
            problems.add(Where(name, 1), "missing columns: reseller_source_id (or reseller_id)")
    resellers = _lines(tables[RESELLERS], reseller_line, now, problems)
    subscriptions = _lines(tables[SUBSCRIPTIONS], subscription_line, now, problems)
    tickets = _lines(tables[TICKETS], ticket_line, now, problems)
    steps = _lines(tables[HISTORY], step_line, now, problems)
    # References are checked against every id a file names, its records with problems included, and not at all
    # when the file cannot be read: each problem is reported once, where it is, not at every reference to it.
    named = {name: _source_ids(table, problems) for name, table in tables.items() if name != HISTORY}
    known = named[RESELLERS]
    for file, lines in ((SUBSCRIPTIONS, subscriptions), (TICKETS, tickets)):
        for line in lines:
            if known is not None and line.reseller_source_id is not None and line.reseller_source_id not in known:
                problems.add(
                    Where(file, line.line, "reseller_source_id"),
                    f"{line.reseller_source_id!r} is no reseller of {RESELLERS} (a reseller imported before: name it "
                    "by its id in this suite, in reseller_id)",
                )
    book = Book(tuple(resellers), tuple(subscriptions), _with_history(tickets, steps, named[TICKETS], problems))
    if problems:
        raise BookInvalid(problems.listed(list(FILES)))
    return book


def _lines(
    table: Table | None, read: Callable[[Cells, datetime], L | None], now: datetime, problems: Problems
) -> list[L]:
    if table is None:
        return []
    found = (read(Cells(table.file, record, problems), now) for record in table.records)
    return [line for line in found if line is not None]


def _source_ids(table: Table | None, problems: Problems) -> set[str] | None:
    """The source ids a file names (None: the file cannot be read); an id named twice is a problem."""
    if table is None:
        return None
    first: dict[str, int] = {}
    for record in table.records:
        source_id = record.cells.get("source_id", "").strip()
        if source_id in first:
            problems.add(
                Where(table.file, record.line, "source_id"), f"{source_id!r} is already on line {first[source_id]}"
            )
        first.setdefault(source_id, record.line)
    return set(first)


def _with_history(
    tickets: list[TicketLine], steps: list[StepLine], named: set[str] | None, problems: Problems
) -> tuple[TicketLine, ...]:
    """Each ticket with its steps in the order of the history file: known tickets only, in time order (the
    first at or after the opening), at most the API's steps per ticket, and small enough to send."""
    by_ticket: dict[str, list[StepLine]] = {ticket.source_id: [] for ticket in tickets}
    for step in steps:
        if step.ticket_source_id not in by_ticket:
            if named is None or step.ticket_source_id in named:
                continue  # its ticket's record has a problem of its own, or tickets.csv cannot be read
            problems.add(
                Where(HISTORY, step.line, "ticket_source_id"), f"{step.ticket_source_id!r} is no ticket of {TICKETS}"
            )
            continue
        by_ticket[step.ticket_source_id].append(step)
    complete = []
    for ticket in tickets:
        history = by_ticket[ticket.source_id]
        _in_time_order(ticket, history, problems)
        if len(history) > MAX_HISTORY_STEPS:
            problems.add(
                Where(TICKETS, ticket.line),
                f"{len(history):,} steps in {HISTORY}: the import takes at most {MAX_HISTORY_STEPS:,} per ticket",
            )
        with_history = replace(
            ticket,
            body={**ticket.body, "history": [step.body for step in history]},
            step_lines=tuple(step.line for step in history),
        )
        size = len(json.dumps(with_history.body, ensure_ascii=False).encode())
        if size > MAX_BODY_BYTES:
            problems.add(
                Where(TICKETS, ticket.line),
                f"{size:,} bytes as JSON with its history: at most {MAX_BODY_BYTES:,} per request",
            )
        complete.append(with_history)
    return tuple(complete)


def _in_time_order(ticket: TicketLine, history: list[StepLine], problems: Problems) -> None:
    previous, what = ticket.opened_at, f"the opening ({TICKETS} line {ticket.line})"
    for step in history:
        if step.at < previous:
            problems.add(
                Where(HISTORY, step.line, "at"),
                f"before {what}: a ticket's steps come in time order, in the order of the file",
            )
        previous, what = step.at, f"the step before it (line {step.line})"
