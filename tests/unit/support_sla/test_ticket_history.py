"""A ticket's stored events become the SLA history the due times are computed from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support_sla.domain.sla_clock import Pause
from support_sla.models import Ticket, TicketEvent
from support_sla.usecases.sla_sync import history_of

OPENED = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)


def event(kind: str, hours: float, **values: object) -> TicketEvent:
    at = OPENED + timedelta(hours=hours)
    return TicketEvent(
        id=kind + str(hours), ticket_id="t", kind=kind, at=at, recorded_at=at, actor_role="admin", actor="a", **values
    )


def test_history_has_opening_severity_changes_pauses_and_met_targets() -> None:
    ticket = Ticket(
        id="t",
        opened_at=OPENED,
        opening_severity="C",
        first_response_at=OPENED + timedelta(hours=1),
        resolved_at=OPENED + timedelta(hours=9),
    )
    events = [
        event("pause", 1),
        event("resume", 3),
        event("severity_change", 4, from_severity="C", to_severity="A", body="data loss"),
        event("pause", 5),
    ]
    history = history_of(ticket, events)
    assert [(c.severity, c.at) for c in history.severities] == [("C", OPENED), ("A", OPENED + timedelta(hours=4))]
    assert history.pauses == [
        Pause(OPENED + timedelta(hours=1), OPENED + timedelta(hours=3)),
        Pause(OPENED + timedelta(hours=5)),
    ]
    assert history.met == {
        "first_response": OPENED + timedelta(hours=1),
        "temporary_solution": OPENED + timedelta(hours=9),  # resolving also provides the temporary solution
        "permanent_resolution": OPENED + timedelta(hours=9),
    }
