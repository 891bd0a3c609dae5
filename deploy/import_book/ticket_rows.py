"""`tickets.csv` and `ticket_history.csv`: their columns, a ticket record, and a history record as one step of
its ticket (`POST /api/v1/support/imports/tickets`; docs/import-format.md, docs/domain.md "Importing tickets from
another system").

A history record is one step: its `kind` says which columns it fills, and a cell in a column another kind fills is
refused (it would be silently dropped otherwise). The escalation template is nine columns, `escalation_<field>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deploy.import_book import cells
from deploy.import_book.cells import Cells
from support_sla.domain.escalation import TEMPLATE_FIELDS as ESCALATION_TEMPLATE

TICKETS = "tickets.csv"
HISTORY = "ticket_history.csv"

TICKET_REQUIRED = ("source_id", "subject", "severity", "opened_at")
TICKET_OPTIONAL = ("reseller_source_id", "reseller_id", "description", "product", "build_number")

TEMPLATE_FIELDS = tuple(ESCALATION_TEMPLATE)
"""The escalation template's fields, each a column `escalation_<field>`."""
ESCALATION_COLUMNS = tuple(f"escalation_{name}" for name in TEMPLATE_FIELDS)

HISTORY_REQUIRED = ("ticket_source_id", "at", "kind")
STEP_COLUMNS: dict[str, tuple[str, ...]] = {
    "message": ("by", "body", "internal", "wait_on_reseller"),
    "severity_change": ("severity", "reason"),
    "escalation": ESCALATION_COLUMNS,
    "state_change": ("state", "resolution", "confirmed_defect"),
}
"""The columns each kind of step fills (besides `ticket_source_id`, `at`, `kind` and `author`)."""
HISTORY_OPTIONAL = (*dict.fromkeys(c for columns in STEP_COLUMNS.values() for c in columns), "author")

SEVERITY = cells.choice("A", "B", "C", "D")
RESOLUTIONS = ("solved", "workaround", "fixed_in_next_release", "cannot_reproduce", "duplicate", "out_of_scope")
SOURCE_ID = cells.single_line(200)
AUTHOR = cells.single_line(200)
LONG_TEXT = cells.multi_line(20_000)
_TEMPLATE_PARSERS = {
    "build_number": cells.single_line(50),
    "contact": cells.single_line(200),
}


@dataclass(frozen=True, slots=True)
class TicketLine:
    """A ticket as the API takes it (`body`, its history added by `with_history`), without `source` and
    `reseller_id`, which are known only when it is sent."""

    source_id: str
    line: int
    body: dict[str, Any]
    opened_at: datetime
    reseller_source_id: str | None = None
    reseller_id: str | None = None
    step_lines: tuple[int, ...] = ()
    """The line of each step of `body["history"]` in the history file."""


@dataclass(frozen=True, slots=True)
class StepLine:
    ticket_source_id: str
    line: int
    at: datetime
    body: dict[str, Any]


def ticket_line(row: Cells, now: datetime) -> TicketLine | None:
    source_id = row.required("source_id", SOURCE_ID)
    reseller_source_id = row.optional("reseller_source_id", SOURCE_ID)
    reseller_id = row.optional("reseller_id", cells.uuid_text)
    if row.given("reseller_source_id") == row.given("reseller_id"):
        row.refuse("reseller_source_id", "name the reseller by reseller_source_id or by reseller_id (one of them)")
    opened_at = row.required("opened_at", cells.instant)
    if opened_at is not None and opened_at > now:
        row.refuse("opened_at", "in the future: a book holds tickets that were opened")
    body: dict[str, Any] = {
        "source_id": source_id,
        "subject": row.required("subject", cells.single_line(200)),
        "severity": row.required("severity", SEVERITY),
        "opened_at": None if opened_at is None else opened_at.isoformat(),
    }
    optional = {
        "description": row.optional("description", LONG_TEXT),
        "product": row.optional("product", cells.single_line(200)),
        "build_number": row.optional("build_number", cells.build_number),
    }
    body |= {name: value for name, value in optional.items() if value is not None}
    if row.failed or source_id is None or opened_at is None:
        return None
    return TicketLine(source_id, row.line, body, opened_at, reseller_source_id, reseller_id)


def step_line(row: Cells, now: datetime) -> StepLine | None:
    ticket_source_id = row.required("ticket_source_id", SOURCE_ID)
    at = row.required("at", cells.instant)
    if at is not None and at > now:
        row.refuse("at", "in the future: a history holds what happened")
    kind = row.required("kind", cells.choice(*STEP_COLUMNS))
    if kind is None:
        return None
    for column in HISTORY_OPTIONAL:
        if column != "author" and column not in STEP_COLUMNS[kind] and row.given(column):
            row.refuse(column, f"does not apply to a {kind} step: leave it empty")
    body: dict[str, Any] = {"kind": kind, "at": None if at is None else at.isoformat(), **_step_fields(row, kind)}
    author = row.optional("author", AUTHOR)
    if author is not None:
        body["author"] = author
    if row.failed or ticket_source_id is None or at is None:
        return None
    return StepLine(ticket_source_id, row.line, at, body)


def _step_fields(row: Cells, kind: str) -> dict[str, Any]:
    if kind == "message":
        fields = {
            "by": row.required("by", cells.choice("reseller", "support")),
            "body": row.required("body", LONG_TEXT),
            "internal": row.optional("internal", cells.boolean),
            "wait_on_reseller": row.optional("wait_on_reseller", cells.boolean),
        }
    elif kind == "severity_change":
        fields = {
            "severity": row.required("severity", SEVERITY),
            "reason": row.required("reason", cells.multi_line(4000)),
        }
    elif kind == "escalation":
        template = {
            name: row.required(f"escalation_{name}", _TEMPLATE_PARSERS.get(name, LONG_TEXT)) for name in TEMPLATE_FIELDS
        }
        return {"template": template}
    else:
        state = row.required("state", cells.choice("temporary_solution_provided", "resolved", "closed"))
        fields = {
            "state": state,
            "resolution": row.optional("resolution", cells.choice(*RESOLUTIONS)),
            "confirmed_defect": row.optional("confirmed_defect", cells.boolean),
        }
        if state == "resolved" and not row.given("resolution"):
            row.refuse("resolution", f"required to resolve: one of {', '.join(RESOLUTIONS)}")
    return {name: value for name, value in fields.items() if value is not None}
