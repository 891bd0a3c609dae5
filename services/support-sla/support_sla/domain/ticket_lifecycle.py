"""The ticket state machine: what each command may do in the ticket's state, and what it records.

docs/domain.md, "Support severities and SLA clocks" and "Ticket import and as-of reads". One set of rules for the
live commands (`usecases/tickets.py`), for the import of another system's history (`domain/ticket_import.py`)
and for reading a ticket as of an instant: a command is *decided* against the ticket's facts into history entries
(`decide_*`, which refuse what the state does not allow), and the facts follow from the entries alone
(`apply_entry`), so replaying the recorded entries up to an instant gives the ticket as it stood then
(`ticket_as_of`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, get_args

from bss.events.contracts.value_types import Severity
from support_sla.domain.sla_clock import Pause, SeverityChange, TargetClock, TicketHistory, ticket_clocks
from support_sla.domain.sla_policy import PolicySnapshot, TargetName

TicketState = Literal[
    "new", "open", "waiting_on_reseller", "escalated_to_vendor", "temporary_solution_provided", "resolved", "closed"
]
ChosenState = Literal["temporary_solution_provided", "resolved", "closed"]
"""The states support sets by hand; the others follow from messages and escalation."""
_STATES: tuple[TicketState, ...] = get_args(TicketState)
EOL_NOTICE = "Unsupported version, update first: only the latest release and the two before it are supported."


class LifecycleRefusal(Exception):
    """A command the ticket's rules refuse: `field` names the input to fix, or is None when the ticket's state
    does not allow the command at all (a conflict)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What the rules read and the entries change: the ticket's state, severity, pause and milestones."""

    opened_at: datetime
    severity: Severity
    state: TicketState = "new"
    unsupported_version: bool = False
    paused_since: datetime | None = None
    paused_seconds: int = 0
    first_response_at: datetime | None = None
    temporary_solution_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One recorded entry of a ticket's history (a `ticket_events` row without who and when it was recorded).
    Kinds the rules do not know (an internal `policy_reapplied` or `imported` note) change no fact."""

    kind: str
    at: datetime
    by_reseller: bool = False
    internal: bool = False
    body: str | None = None
    from_severity: Severity | None = None
    to_severity: Severity | None = None
    state: str | None = None


def decide_message(
    facts: TicketFacts, at: datetime, body: str, *, by_reseller: bool, internal: bool, wait_on_reseller: bool
) -> list[HistoryEntry]:
    """A public reply or internal note. Only staff write internal notes or wait on the reseller (which pauses the
    SLA clock); the reseller's reply ends a pause; staff's first public reply is the first response; nobody
    writes on a closed ticket."""
    if facts.state == "closed":
        raise LifecycleRefusal("The ticket is closed: open a new ticket instead of replying.")
    if by_reseller and (internal or wait_on_reseller):
        field = "internal" if internal else "wait_on_reseller"
        raise LifecycleRefusal("only support staff write internal notes or wait on the reseller", field)
    if internal and wait_on_reseller:
        raise LifecycleRefusal("an internal note does not ask the reseller anything", "wait_on_reseller")
    entries = [HistoryEntry("note" if internal else "reply", at, by_reseller, internal, body)]
    if by_reseller and facts.paused_since is not None:
        entries.append(HistoryEntry("resume", at, by_reseller=True, state="open"))
    elif not by_reseller and not internal and wait_on_reseller and facts.paused_since is None:
        entries.append(HistoryEntry("pause", at, state="waiting_on_reseller"))
    return entries


def decide_severity_change(facts: TicketFacts, at: datetime, severity: Severity, reason: str) -> list[HistoryEntry]:
    """Support changes the severity of a ticket not yet resolved, to another severity, with a reason."""
    if facts.state in ("resolved", "closed"):
        raise LifecycleRefusal(f"The ticket is {facts.state}: its severity no longer matters.")
    if severity == facts.severity:
        raise LifecycleRefusal(f"the ticket already has severity {severity}", "severity")
    return [HistoryEntry("severity_change", at, body=reason, from_severity=facts.severity, to_severity=severity)]


def decide_state_change(
    facts: TicketFacts, at: datetime, state: ChosenState, resolution: str | None
) -> list[HistoryEntry]:
    """Temporary solution provided or resolved (with a resolution) while not resolved yet; closed only once
    resolved; nothing after closing. Any change of state ends a pause."""
    if facts.state == "closed" or (facts.state == "resolved" and state != "closed"):
        raise LifecycleRefusal(f"The ticket is {facts.state}.")
    if state == "closed" and facts.state != "resolved":
        raise LifecycleRefusal("Resolve the ticket before closing it.")
    if state == "resolved" and resolution is None:
        raise LifecycleRefusal("say how the ticket was resolved", "resolution")
    entries = [HistoryEntry("resume", at)] if facts.paused_since is not None else []
    return [*entries, HistoryEntry("state_change", at, state=state)]


def decide_escalation(facts: TicketFacts, at: datetime) -> list[HistoryEntry]:
    """Escalation to the vendor, before resolution, of a ticket on a supported build (the template's
    completeness is `escalation.missing_template_fields`)."""
    if facts.state in ("resolved", "closed"):
        raise LifecycleRefusal(f"The ticket is {facts.state}.")
    if facts.unsupported_version:
        raise LifecycleRefusal(EOL_NOTICE)
    return [HistoryEntry("state_change", at, state="escalated_to_vendor")]


def apply_entry(facts: TicketFacts, entry: HistoryEntry) -> TicketFacts:
    """The facts after one entry: the first response, pauses and their paused time, severity, state and the
    instants the targets were met."""
    if entry.kind == "reply" and not entry.by_reseller and not entry.internal:
        state: TicketState = "open" if facts.state == "new" else facts.state
        return replace(facts, first_response_at=facts.first_response_at or entry.at, state=state)
    if entry.kind == "pause":
        return replace(facts, paused_since=entry.at, state="waiting_on_reseller")
    if entry.kind == "resume" and facts.paused_since is not None:
        paused = facts.paused_seconds + max(0, int((entry.at - facts.paused_since).total_seconds()))
        return replace(facts, paused_since=None, paused_seconds=paused, state=_known_state(entry.state, facts.state))
    if entry.kind == "severity_change" and entry.to_severity is not None:
        return replace(facts, severity=entry.to_severity)
    if entry.kind == "state_change" and entry.state is not None:
        return _state_changed(facts, _known_state(entry.state, facts.state), entry.at)
    return facts


def _known_state(recorded: str | None, current: TicketState) -> TicketState:
    return next((state for state in _STATES if state == recorded), current)


def _state_changed(facts: TicketFacts, state: TicketState, at: datetime) -> TicketFacts:
    return replace(
        facts,
        state=state,
        temporary_solution_at=(
            facts.temporary_solution_at or at if state == "temporary_solution_provided" else facts.temporary_solution_at
        ),
        resolved_at=at if state == "resolved" else facts.resolved_at,
        closed_at=at if state == "closed" else facts.closed_at,
    )


def apply_entries(facts: TicketFacts, entries: Iterable[HistoryEntry]) -> TicketFacts:
    """The facts after the entries, in the order given."""
    for entry in entries:
        facts = apply_entry(facts, entry)
    return facts


def met_times(
    first_response_at: datetime | None, temporary_solution_at: datetime | None, resolved_at: datetime | None
) -> dict[TargetName, datetime]:
    """When each target was met: the first public reply of staff; the temporary solution, or else the resolution;
    the resolution."""
    met: dict[TargetName, datetime] = {}
    if first_response_at:
        met["first_response"] = first_response_at
    temporary = temporary_solution_at or resolved_at
    if temporary:
        met["temporary_solution"] = temporary
    if resolved_at:
        met["permanent_resolution"] = resolved_at
    return met


def sla_history(
    opened_at: datetime, opening_severity: Severity, entries: Iterable[HistoryEntry], met: Mapping[TargetName, datetime]
) -> TicketHistory:
    """What the SLA clock replays (`sla_clock.TicketHistory`): the opening severity and every change, the pauses
    (a resume ends the pause still open), and when targets were met."""
    severities = [SeverityChange(opened_at, opening_severity)]
    pauses: list[Pause] = []
    for entry in entries:
        if entry.kind == "severity_change" and entry.to_severity:
            severities.append(SeverityChange(entry.at, entry.to_severity, entry.body))
        elif entry.kind == "pause":
            pauses.append(Pause(entry.at))
        elif entry.kind == "resume" and pauses and pauses[-1].end is None:
            pauses[-1] = Pause(pauses[-1].start, entry.at)
    return TicketHistory(opened_at, severities, pauses, dict(met))


def ticket_as_of(
    snapshot: PolicySnapshot, opening: TicketFacts, entries: Sequence[HistoryEntry], instant: datetime
) -> tuple[TicketFacts, tuple[TargetClock, ...]]:
    """The ticket and each SLA target's state and due time as of `instant`, from the history recorded up to it
    only (docs/domain.md, "Ticket import and as-of reads"): the same clock as now, replayed on a shorter history."""
    known = [entry for entry in entries if entry.at <= instant]
    facts = apply_entries(opening, known)
    met = met_times(facts.first_response_at, facts.temporary_solution_at, facts.resolved_at)
    history = sla_history(opening.opened_at, opening.severity, known, met)
    return facts, ticket_clocks(snapshot, history, instant)
