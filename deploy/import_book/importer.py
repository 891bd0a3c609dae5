"""Sending a checked book through the gateway: the book (resellers with their subscriptions), then the tickets
with the ids the book's answer gave their resellers, once support knows those resellers.

Support learns resellers from subscriptions' events, a moment after the book import wrote them, so the tickets
wait for it (at most `Options.wait_s`). A dry run writes nothing anywhere: the book import rolls each request back,
so a reseller it would create does not exist afterwards and its tickets cannot be checked (they are listed as not
sent, which is expected of a dry run and not a failure).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from deploy.import_book.book_files import Book
from deploy.import_book.book_rows import RESELLERS, SUBSCRIPTIONS, BookLine
from deploy.import_book.chunks import BookChunk, Outgoing, book_chunks, ticket_chunks
from deploy.import_book.gateway_client import Gateway, RequestRefused, SuiteProblem, printable, problem_text
from deploy.import_book.outcome import STATUSES, Kind, LineOutcome, Outcome, Status
from deploy.import_book.progress import ProgressBar
from deploy.import_book.ticket_rows import HISTORY, TICKETS, TicketLine

KNOWN_STATUSES = frozenset({"created", "changed", "unchanged", "conflict"})
"""A reseller line with one of these has a reseller in the suite (in a dry run, except `created`)."""
_FIELD = re.compile(r"^(resellers|subscriptions|tickets)\.([0-9]+)(?:\.(.*))?$")
_STEP = re.compile(r"^history\.([0-9]+)(?:\.(.*))?$")


@dataclass(frozen=True, slots=True)
class Options:
    source: str
    dry_run: bool = False
    wait_s: float = 60.0
    """How long the tickets wait for support to learn their resellers."""


class RequestInvalid(Exception):
    """The suite refused a whole request as malformed (nothing of it written); `problems` places each of its
    field errors in the book. Requests sent before it stay imported."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


async def import_book(
    gateway: Gateway, book: Book, options: Options, outcome: Outcome, progress: TextIO | None = None
) -> Outcome:
    """Send `book` and add each line's verdict to `outcome` (which holds what was done even when this fails)."""
    ids = await _send_book(gateway, book, options, outcome, progress)
    await _send_tickets(gateway, book.tickets, ids, options, outcome, progress)
    return outcome


async def _send_book(
    gateway: Gateway, book: Book, options: Options, outcome: Outcome, progress: TextIO | None
) -> dict[str, str]:
    """The reseller ids (by source id) the tickets may use."""
    bar = ProgressBar("book", len(book.resellers) + len(book.subscriptions), "lines", progress)
    ids: dict[str, str] = {}
    for chunk in book_chunks(book.resellers, book.subscriptions):
        try:
            answer = await gateway.import_book(chunk.body(options.source), dry_run=options.dry_run)
        except RequestRefused as refused:
            raise RequestInvalid(_placed_book_errors(refused, chunk)) from refused
        _all_answered(answer, len(chunk.resellers) + len(chunk.subscriptions), "book")
        for line in answer["lines"]:
            kind, record, found = _book_line(chunk, line)
            outcome.lines.append(found)
            if kind == "reseller" and found.id and _exists(found, options.dry_run):
                ids[record.source_id] = found.id
        bar.advance(len(chunk.resellers) + len(chunk.subscriptions))
    return ids


def _all_answered(answer: dict[str, Any], sent: int, what: str) -> None:
    """One answer line per line sent, each index once (a line left unanswered would go unreported)."""
    indexes = [(line.get("kind"), line.get("index")) for line in answer["lines"] if isinstance(line, dict)]
    if len(indexes) != sent or len({repr(index) for index in indexes}) != sent:
        raise SuiteProblem(f"the {what} import answered {len(answer['lines'])} lines for the {sent} it was sent")


def _exists(line: LineOutcome, dry_run: bool) -> bool:
    """Whether the reseller of a line is in the suite now (a dry run creates nothing)."""
    return line.status in KNOWN_STATUSES and not (dry_run and line.status == "created")


def _book_line(chunk: BookChunk, line: Any) -> tuple[Kind, BookLine, LineOutcome]:
    try:
        kind, index, status = line["kind"], int(line["index"]), line["status"]
        records = {"reseller": chunk.resellers, "subscription": chunk.subscriptions}[kind]
        record = records[index]
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise SuiteProblem(f"the book import answered a line this import did not send: {str(line)[:200]}") from exc
    if status not in STATUSES or line.get("source_id") != record.source_id:
        raise SuiteProblem(f"the book import answered {str(line)[:200]} for {record.source_id!r}")
    file = RESELLERS if kind == "reseller" else SUBSCRIPTIONS
    fields = ", ".join(str(name) for name in line.get("fields") or [])
    reason = None
    if status == "changed":
        reason = f"billing profile changed: {fields}"
    elif status == "conflict":
        reason = f"imported before with other {fields} (an import never changes them)"
    elif status == "refused":
        reason = problem_text(line.get("problem"))
    where = f"{file} line {record.line}"
    return kind, record, LineOutcome(kind, record.source_id, status, where, line.get("id"), reason)


async def _send_tickets(
    gateway: Gateway,
    tickets: Sequence[TicketLine],
    ids: dict[str, str],
    options: Options,
    outcome: Outcome,
    progress: TextIO | None,
) -> None:
    if not tickets:
        return
    refused = {line.source_id for line in outcome.lines if line.kind == "reseller" and line.status == "refused"}
    outgoing: list[tuple[TicketLine, str]] = []
    for ticket in tickets:
        reseller_id = ticket.reseller_id or ids.get(ticket.reseller_source_id or "")
        if reseller_id is None:
            outcome.lines.append(_unsent(ticket, refused, options.dry_run))
        else:
            outgoing.append((ticket, reseller_id))
    known = await _known_to_support(gateway, {reseller_id for _, reseller_id in outgoing}, options.wait_s, progress)
    ready = []
    for ticket, reseller_id in outgoing:
        if reseller_id in known:
            body = {**ticket.body, "source": options.source, "reseller_id": reseller_id}
            ready.append(Outgoing(ticket, body))
        else:
            reason = f"support did not learn reseller {reseller_id} within {options.wait_s:.0f} s; import again later"
            outcome.lines.append(LineOutcome("ticket", ticket.source_id, "not_sent", _where(ticket), None, reason))
    bar = ProgressBar("tickets", len(ready), "tickets", progress)
    for chunk in ticket_chunks(ready):
        try:
            answer = await gateway.import_tickets({"tickets": [item.body for item in chunk]}, dry_run=options.dry_run)
        except RequestRefused as exc:
            raise RequestInvalid(_placed_ticket_errors(exc, chunk)) from exc
        _all_answered(answer, len(chunk), "ticket")
        outcome.lines.extend(_ticket_line(chunk, line) for line in answer["lines"])
        bar.advance(len(chunk))


def _unsent(ticket: TicketLine, refused: set[str], dry_run: bool) -> LineOutcome:
    reseller = ticket.reseller_source_id
    if reseller in refused:
        reason, blocking = f"its reseller {reseller} was refused", True
    elif dry_run:
        reason = f"its reseller {reseller} is new: a dry run creates nothing, so support cannot check its tickets"
        blocking = False
    else:
        reason, blocking = f"the book import gave no id for its reseller {reseller}", True
    return LineOutcome("ticket", ticket.source_id, "not_sent", _where(ticket), None, reason, blocking)


async def _known_to_support(
    gateway: Gateway, reseller_ids: set[str], wait_s: float, progress: TextIO | None
) -> set[str]:
    """The resellers support knows, asked again and again until it knows them all or `wait_s` has passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    pending, known = sorted(reseller_ids), set[str]()
    bar = ProgressBar("support", len(pending), "resellers known to support", progress)
    limit = asyncio.Semaphore(8)

    async def ask(reseller_id: str) -> bool:
        async with limit:
            return await gateway.support_knows(reseller_id)

    while pending:
        answers = await asyncio.gather(*(ask(reseller_id) for reseller_id in pending))
        learned = {reseller_id for reseller_id, knows in zip(pending, answers, strict=True) if knows}
        known |= learned
        pending = [reseller_id for reseller_id in pending if reseller_id not in learned]
        if learned or not pending:
            bar.advance(len(learned))
        if not pending or loop.time() > deadline:
            break
        await asyncio.sleep(0.25)
    return known


def _ticket_line(chunk: Sequence[Outgoing], line: Any) -> LineOutcome:
    try:
        ticket = chunk[int(line["index"])].ticket
        status: Status = line["status"]
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise SuiteProblem(f"the ticket import answered a line this import did not send: {str(line)[:200]}") from exc
    if status not in STATUSES or line.get("source_id") != ticket.source_id:
        raise SuiteProblem(f"the ticket import answered {str(line)[:200]} for {ticket.source_id!r}")
    problem = line.get("problem") if isinstance(line.get("problem"), dict) else {}
    reason = problem_text(problem) if status in ("conflict", "refused") else None
    fields = [e.get("field") for e in problem.get("errors") or [] if isinstance(e, dict)]
    where = _where(ticket, str(fields[0]) if fields and status == "refused" else None)
    return LineOutcome("ticket", ticket.source_id, status, where, line.get("ticket_id"), reason)


def _where(ticket: TicketLine, field: str | None = None) -> str:
    """The place in the book a ticket's problem field names: a history step's line, else the ticket's."""
    if field and (step := _STEP.match(field)):
        index = int(step.group(1))
        if index < len(ticket.step_lines):
            return f"{HISTORY} line {ticket.step_lines[index]}{_column(step.group(2))}"
    if field == "reseller_id" and ticket.reseller_source_id is not None:
        field = "reseller_source_id"
    return f"{TICKETS} line {ticket.line}{_column(field)}"


def _column(path: str | None) -> str:
    """The column a field path names (`message.at` is `at`, `template.contact` is `escalation_contact`)."""
    if not path:
        return ""
    parts = path.split(".")
    name = parts[-1]
    if name.isdigit():
        return ""
    return f", column {'escalation_' if 'template' in parts[:-1] else ''}{name}"


def _placed_book_errors(refused: RequestRefused, chunk: BookChunk) -> list[str]:
    placed = []
    for error in refused.errors or [{"field": "", "message": str(refused)}]:
        field, message = str(error.get("field", "")), printable(str(error.get("message", "")))
        found = _FIELD.match(field)
        if found and found.group(1) in ("resellers", "subscriptions"):
            records = chunk.resellers if found.group(1) == "resellers" else chunk.subscriptions
            file = RESELLERS if found.group(1) == "resellers" else SUBSCRIPTIONS
            index = int(found.group(2))
            if index < len(records):
                what = printable(found.group(3) or "the line")
                placed.append(f"{file} line {records[index].line} ({what}): {message}")
                continue
        placed.append(f"the book import refused a request ({printable(field) or 'the body'}): {message}")
    return placed


def _placed_ticket_errors(refused: RequestRefused, chunk: Sequence[Outgoing]) -> list[str]:
    placed = []
    for error in refused.errors or [{"field": "", "message": str(refused)}]:
        field, message = str(error.get("field", "")), printable(str(error.get("message", "")))
        found = _FIELD.match(field)
        if found and found.group(1) == "tickets" and int(found.group(2)) < len(chunk):
            ticket = chunk[int(found.group(2))].ticket
            rest = printable(found.group(3) or "")
            placed.append(f"{_where(ticket, rest or None)} ({rest or 'the ticket'}): {message}")
            continue
        placed.append(f"the ticket import refused a request ({printable(field) or 'the body'}): {message}")
    return placed
