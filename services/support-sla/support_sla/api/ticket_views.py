"""How tickets and their SLA clocks are shown."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from bss.events.contracts.value_types import Severity
from support_sla.api.schemas import (
    SlaExplanation,
    StepRead,
    TargetExplained,
    TargetRead,
    TicketEventRead,
    TicketRead,
    TicketState,
)
from support_sla.domain.sla_clock import TargetClock
from support_sla.domain.sla_policy import SEVERITY_MEANINGS, PolicySnapshot
from support_sla.domain.ticket_lifecycle import EOL_NOTICE
from support_sla.usecases.ticket_results import TicketEventView, TicketView


def _target(clock: TargetClock) -> dict[str, object]:
    return {
        "target": clock.target,
        "severity": clock.severity,
        "rule": clock.rule,
        "due_at": clock.due_at,
        "remaining_seconds": None if clock.remaining is None else int(clock.remaining.total_seconds()),
        "state": clock.state,
        "breached_under": clock.breach.severity if clock.breach else None,
    }


def ticket_read(ticket: TicketView, clocks: Sequence[TargetClock], as_of: datetime) -> TicketRead:
    severity = cast(Severity, ticket.severity)
    return TicketRead(
        id=ticket.id,
        reseller_id=ticket.reseller_id,
        subject=ticket.subject,
        description=ticket.description,
        product=ticket.product,
        build_number=ticket.build_number,
        severity=severity,
        severity_meaning=SEVERITY_MEANINGS[severity],
        state=cast(TicketState, ticket.state),
        unsupported_version=ticket.unsupported_version,
        eol_notice=EOL_NOTICE if ticket.unsupported_version else None,
        opened_at=ticket.opened_at,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
        targets=[TargetRead.model_validate(_target(c)) for c in clocks],
        as_of=as_of,
        source=ticket.source,
        source_id=ticket.source_id,
    )


def explanation(ticket: TicketView, clocks: Sequence[TargetClock], now: datetime) -> SlaExplanation:
    snapshot = PolicySnapshot.from_json(ticket.policy_snapshot)
    return SlaExplanation(
        ticket_id=ticket.id,
        policy=snapshot.name,
        calendar=snapshot.calendar.describe(),
        calendar_name=snapshot.calendar_name,
        severity=cast(Severity, ticket.severity),
        as_of=now,
        paused=ticket.paused,
        targets=[
            TargetExplained.model_validate(
                _target(c)
                | {
                    "warning_at": c.warning_at,
                    "met_at": c.met_at,
                    "business_days": c.business_days,
                    "steps": [StepRead(kind=s.kind, detail=s.detail, at=s.at, seconds=s.seconds) for s in c.steps],
                }
            )
            for c in clocks
        ],
    )


def event_read(event: TicketEventView) -> TicketEventRead:
    return TicketEventRead(
        id=event.id,
        kind=event.kind,
        at=event.at,
        actor_role=event.actor_role,
        internal=event.internal,
        body=event.body,
        from_severity=event.from_severity,
        to_severity=event.to_severity,
        state=event.state,
    )
