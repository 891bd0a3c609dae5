"""Importing a ticket and its whole history from another system: what makes one acceptable, and its replay.

docs/domain.md, "Ticket import and as-of reads". An imported ticket is replayed through the same state machine as
live commands (`ticket_lifecycle.decide_*`), step by step at its historical instants, so it ends with the facts
and history entries the same commands would have left had they been made here at those instants. What a replay
refuses names the step (`history.<n>...`), and the whole ticket is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Literal

from bss.events.contracts.value_types import Severity
from support_sla.domain.escalation import missing_template_fields
from support_sla.domain.ticket_lifecycle import (
    ChosenState,
    HistoryEntry,
    LifecycleRefusal,
    TicketFacts,
    apply_entries,
    decide_escalation,
    decide_message,
    decide_severity_change,
    decide_state_change,
)

MAX_TICKETS_PER_IMPORT = 500
"""Tickets in one import request (each is its own transaction)."""
MAX_HISTORY_STEPS = 200
"""Steps of one ticket's history. The clock replays every pause under every severity a ticket had, so a ticket's
cost grows with the square of its history: 200 steps of pauses and severity changes take a quarter of a second to
import and a sixth to read (1,000 took 3.8 s and 2.7 s)."""
MAX_STEPS_PER_IMPORT = 10_000
"""Steps of all the tickets of one import request together: the worst such request (50 tickets of 200 steps of
pauses and severity changes) is answered well within the gateway's 30 s; 500 tickets of ten steps take 6-10 s."""

Side = Literal["reseller", "support"]


@dataclass(frozen=True, slots=True)
class ImportedMessage:
    """A message from the reseller or from support; support may wait on the reseller (a pause), and the
    reseller's message ends a pause (as live replies do)."""

    at: datetime
    side: Side
    body: str
    internal: bool = False
    wait_on_reseller: bool = False
    author: str | None = None


@dataclass(frozen=True, slots=True)
class ImportedSeverityChange:
    at: datetime
    severity: Severity
    reason: str
    author: str | None = None


@dataclass(frozen=True, slots=True)
class ImportedEscalation:
    at: datetime
    template: Mapping[str, str | None]
    author: str | None = None


@dataclass(frozen=True, slots=True)
class ImportedStateChange:
    at: datetime
    state: ChosenState
    resolution: str | None = None
    confirmed_defect: bool = False
    author: str | None = None


ImportedStep = ImportedMessage | ImportedSeverityChange | ImportedEscalation | ImportedStateChange


@dataclass(frozen=True, slots=True)
class ImportedTicket:
    """A ticket as another system (`source`) knew it under `source_id`, with its history in time order."""

    source: str
    source_id: str
    reseller_id: str
    subject: str
    description: str
    product: str
    build_number: str | None
    severity: Severity
    opened_at: datetime
    history: tuple[ImportedStep, ...] = ()


@dataclass(frozen=True, slots=True)
class ReplayedEntry:
    """A history entry the replay recorded, with who wrote it in the source system (if it said)."""

    entry: HistoryEntry
    author: str | None


@dataclass(frozen=True, slots=True)
class ImportReplay:
    """The imported ticket's facts after its whole history, and the entries recording it, in order."""

    facts: TicketFacts
    entries: tuple[ReplayedEntry, ...]
    escalation: Mapping[str, str | None] | None = None  # the template of the last escalation
    confirmed_defect: bool = False


class ImportRefusal(Exception):
    """An imported ticket that breaks a rule: `field` is the path of the input at fault (`opened_at`,
    `history.3.at`); `state_conflict` when the ticket's state at that step did not allow it."""

    def __init__(self, field: str, message: str, *, state_conflict: bool = False) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.state_conflict = state_conflict


def check_import_times(ticket: ImportedTicket, now: datetime) -> None:
    """An imported history is past and in time order: the opening and every step at or before `now`, each step
    at or after the one before it (the first at or after the opening); steps at one instant keep their order."""
    if ticket.opened_at > now:
        raise ImportRefusal("opened_at", f"must not be in the future (now is {now.isoformat()})")
    previous, what = ticket.opened_at, "the opening"
    for index, step in enumerate(ticket.history):
        where = f"history.{index}.at"
        if step.at > now:
            raise ImportRefusal(where, f"must not be in the future (now is {now.isoformat()})")
        if step.at < previous:
            raise ImportRefusal(where, f"must not be before {what} ({previous.isoformat()}): steps come in time order")
        previous, what = step.at, f"step {index}"


def replay_import(ticket: ImportedTicket, opening: TicketFacts, now: datetime) -> ImportReplay:
    """The imported ticket replayed from `opening` through the live rules, each step at its own instant; refused
    (`ImportRefusal`) at the first step its times or the ticket's state at that step do not allow."""
    check_import_times(ticket, now)
    facts: TicketFacts = opening
    recorded: list[ReplayedEntry] = []
    escalation: Mapping[str, str | None] | None = None
    confirmed_defect = False
    for index, step in enumerate(ticket.history):
        try:
            entries = _decided(facts, step, index)
        except LifecycleRefusal as refusal:
            where = f"history.{index}" + (f".{refusal.field}" if refusal.field else "")
            raise ImportRefusal(where, refusal.message, state_conflict=refusal.field is None) from refusal
        if isinstance(step, ImportedEscalation):
            escalation = step.template
        if isinstance(step, ImportedStateChange) and step.state == "resolved":
            confirmed_defect = step.confirmed_defect
        facts = apply_entries(facts, entries)
        recorded.extend(ReplayedEntry(entry, step.author) for entry in entries)
    return ImportReplay(facts, tuple(recorded), escalation, confirmed_defect)


def _decided(facts: TicketFacts, step: ImportedStep, index: int) -> list[HistoryEntry]:
    if isinstance(step, ImportedMessage):
        return decide_message(
            facts,
            step.at,
            step.body,
            by_reseller=step.side == "reseller",
            internal=step.internal,
            wait_on_reseller=step.wait_on_reseller,
        )
    if isinstance(step, ImportedSeverityChange):
        return decide_severity_change(facts, step.at, step.severity, step.reason)
    if isinstance(step, ImportedEscalation):
        missing = missing_template_fields(step.template)
        if missing:
            names = ", ".join(missing)
            raise ImportRefusal(f"history.{index}.template", f"fill in every escalation template field: {names}")
        return decide_escalation(facts, step.at)
    return decide_state_change(facts, step.at, step.state, step.resolution)


def import_fingerprint(ticket: ImportedTicket) -> str:
    """The SHA-256 of an imported ticket's content: two imports of the same content (instants compared as UTC
    instants, whatever offset they were written with) have the same fingerprint, any difference another one."""
    content = asdict(ticket) | {"history": [{"step": type(step).__name__} | asdict(step) for step in ticket.history]}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=_instant)
    return hashlib.sha256(text.encode()).hexdigest()


def _instant(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"{type(value).__name__} is not part of an imported ticket")
