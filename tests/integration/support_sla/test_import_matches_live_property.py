"""Property: an imported ticket reads, as of any instant, exactly as the same commands made live would have left it.

For generated histories (an opening, replies from either side, waits on the reseller and the replies that end them,
severity changes, escalations, temporary solutions, resolution and closing, at random business and non-business
times on two calendars), the commands are first made live through the normal use cases, each at its own instant
(`requested_at`); the ones the live rules refuse are dropped. The accepted ones are then imported as one ticket's
history, which must be created, and the two tickets must read alike as of every step's instant, a second either
side of it, instants in between, and now: severity, state, pause, milestones and every SLA target's state, due
time, warning, remaining time, breach and explanation (docs/domain.md, "Ticket import and as-of reads").
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bss.api.backdating import Instants
from bss.events.contracts.value_types import SEVERITIES
from bss.problems import Problem
from bss.usecase import UseCase
from support_sla.domain.ticket_import import (
    ImportedEscalation,
    ImportedMessage,
    ImportedSeverityChange,
    ImportedStateChange,
    ImportedStep,
    ImportedTicket,
)
from support_sla.models import Ticket
from support_sla.usecases import ticket_import, ticket_reads, tickets
from support_sla.usecases.ticket_commands import (
    ChangeSeverity,
    ChangeState,
    EscalateToVendor,
    OpenTicket,
    PostMessage,
)
from tests.harness.identity import ADMIN, reseller
from tests.integration.support_sla.conftest import START
from tests.integration.support_sla.harness import Service

pytestmark = pytest.mark.asyncio(loop_scope="session")

NEW_YORK_OFFICE_HOURS = {
    "time_zone": "America/New_York",
    "working_weekdays": [0, 1, 2, 3, 4],
    "country": "US",
    "subdivision": "NY",
    "working_hours": "09:00-17:00",
}
TEMPLATE = {
    "symptoms": "Recovery fails",
    "error_messages": "Archive is corrupted",
    "steps_to_reproduce": "Recover any VM",
    "expected_outcome": "The VM is recovered",
    "build_number": "24.3.37719",
    "business_impact": "No restore possible",
    "first_occurrence": "Since Monday",
    "recent_changes": "Agent updated",
    "contact": "ops@reseller.example",
}
EARLIEST = datetime(2023, 11, 1)  # noqa: DTZ001 (hypothesis takes naive bounds and attaches the zone itself)
LATEST_OPENING = datetime(2024, 1, 31)  # noqa: DTZ001


@dataclass(frozen=True)
class Command:
    kind: str  # reseller_message, support_message, severity, state, escalation
    gap: timedelta  # after the command before it (the first: after the opening)
    internal: bool = False
    wait: bool = False
    severity: str = "A"
    state: str = "resolved"
    resolution: str | None = "solved"


gaps = st.one_of(
    st.just(timedelta(0)),  # at the same instant as the step before: the order given must hold
    st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(hours=3)),
    st.timedeltas(min_value=timedelta(hours=3), max_value=timedelta(days=4)),
)
commands = st.one_of(
    st.builds(Command, st.just("reseller_message"), gaps),
    st.builds(Command, st.just("support_message"), gaps, internal=st.booleans(), wait=st.booleans()),
    st.builds(Command, st.just("support_message"), gaps, wait=st.just(True)),
    st.builds(Command, st.just("severity"), gaps, severity=st.sampled_from(SEVERITIES)),
    st.builds(
        Command,
        st.just("state"),
        gaps,
        state=st.sampled_from(("temporary_solution_provided", "resolved", "closed")),
        resolution=st.sampled_from(("solved", "workaround", None)),
    ),
    st.builds(Command, st.just("escalation"), gaps),
)
openings = st.datetimes(min_value=EARLIEST, max_value=LATEST_OPENING, timezones=st.just(UTC))


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def resellers(service: Service) -> AsyncIterator[tuple[str, str]]:
    """Two resellers: one on the seeded Berlin calendar, one on New York office hours (09:00-17:00)."""
    berlin, new_york = await service.new_reseller(), await service.new_reseller(country="US")
    for path, value in (
        ("sla-calendars/new-york-office", NEW_YORK_OFFICE_HOURS),
        (f"sla-calendar-assignments/{new_york}", {"calendar": "new-york-office"}),
    ):
        body = {"value": value, "effective_from": "2020-01-01", "reason": "property test"}
        response = await service.call("PUT", f"/v1/settings/{path}", ADMIN, json=body)
        assert response.status_code == 200, response.text
    yield berlin, new_york


def _context(service: Service, caller: Any, at: datetime, recorded: datetime) -> Any:
    return UseCase(service.runtime, caller, Instants(effective=at, recorded=recorded))


async def _live(
    service: Service, reseller_id: str, command: Command, ticket_id: str, at: datetime, rec: datetime
) -> None:
    """One command made live at `at` (raises the problem the live rules answer)."""
    staff = _context(service, ADMIN, at, rec)
    if command.kind == "reseller_message":
        ctx = _context(service, reseller(reseller_id), at, rec)
        await tickets.post_message(ctx, ticket_id, PostMessage("Here are the logs.", False, False))
    elif command.kind == "support_message":
        await tickets.post_message(staff, ticket_id, PostMessage("Please check.", command.internal, command.wait))
    elif command.kind == "severity":
        await tickets.change_severity(staff, ticket_id, ChangeSeverity(command.severity, "re-assessed"))  # type: ignore[arg-type]
    elif command.kind == "state":
        await tickets.change_state(staff, ticket_id, ChangeState(command.state, command.resolution, False))  # type: ignore[arg-type]
    else:
        await tickets.escalate(staff, ticket_id, EscalateToVendor(dict(TEMPLATE)))


def _step(command: Command, at: datetime) -> ImportedStep:
    """The same command, as a step of an imported history."""
    if command.kind == "reseller_message":
        return ImportedMessage(at, "reseller", "Here are the logs.")
    if command.kind == "support_message":
        return ImportedMessage(at, "support", "Please check.", command.internal, command.wait)
    if command.kind == "severity":
        return ImportedSeverityChange(at, command.severity, "re-assessed")  # type: ignore[arg-type]
    if command.kind == "state":
        return ImportedStateChange(at, command.state, command.resolution)  # type: ignore[arg-type]
    return ImportedEscalation(at, dict(TEMPLATE))


async def _ticket_row(service: Service, ticket_id: str) -> dict[str, Any]:
    async with service.runtime.sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.id == ticket_id))
        assert ticket is not None
    columns = (
        "severity state paused_since paused_seconds first_response_at temporary_solution_at resolved_at closed_at "
        "confirmed_defect escalation first_response_seconds first_response_met resolution_seconds resolution_met "
        "policy_snapshot opened_at opening_severity"
    )
    return {name: getattr(ticket, name) for name in columns.split()}


async def _as_of(service: Service, ticket_id: str, instant: datetime | None) -> tuple[Any, ...]:
    found = await ticket_reads.ticket_clocks(service.runtime, ADMIN, ticket_id, instant)
    view = found.ticket
    return (view.severity, view.state, view.paused, view.first_response_at, view.resolved_at, found.clocks)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    calendar=st.sampled_from((0, 1)),
    opened_at=openings,
    severity=st.sampled_from(SEVERITIES),
    history=st.lists(commands, min_size=1, max_size=10),
    probes=st.lists(st.floats(min_value=0, max_value=1), max_size=4),
)
async def test_imported_ticket_reads_as_of_any_instant_as_the_same_commands_made_live(
    service: Service,
    resellers: tuple[str, str],
    calendar: int,
    opened_at: datetime,
    severity: str,
    history: list[Command],
    probes: list[float],
) -> None:
    reseller_id = resellers[calendar]
    # Live, the commands are recorded one microsecond apart, up to now: the order given holds at one instant.
    recorded = [START - timedelta(microseconds=len(history) - position) for position in range(len(history) + 1)]
    open_command = OpenTicket("Backups fail", "Backups fail.", "Cyber Protect", None, severity, (), reseller_id)  # type: ignore[arg-type]
    live_id = await tickets.open_ticket(_context(service, ADMIN, opened_at, recorded[0]), open_command)
    at, accepted, instants = opened_at, list[ImportedStep](), [opened_at]
    for position, command in enumerate(history):
        at += command.gap
        if at > START - timedelta(hours=1):
            break  # an imported history is the past
        try:
            await _live(service, reseller_id, command, live_id, at, recorded[position + 1])
        except Problem:
            continue  # refused live: not part of the history
        accepted.append(_step(command, at))
        instants.append(at)

    imported = ImportedTicket(
        source="property",
        source_id=str(uuid.uuid4()),
        reseller_id=reseller_id,
        subject="Backups fail",
        description="Backups fail.",
        product="Cyber Protect",
        build_number=None,
        severity=severity,  # type: ignore[arg-type]
        opened_at=opened_at,
        history=tuple(accepted),
    )
    result = await ticket_import.import_tickets(_context(service, ADMIN, START, START), [imported], dry_run=False)
    (line,) = result.lines
    assert line.status == "created", line.problem
    assert line.ticket_id is not None

    live_row, imported_row = await _ticket_row(service, live_id), await _ticket_row(service, line.ticket_id)
    assert imported_row == live_row
    span = START - opened_at
    probed = [opened_at + span * fraction for fraction in probes]
    edges = [instant + timedelta(seconds=delta) for instant in instants for delta in (-1, 0, 1)]
    for instant in sorted({*edges, *probed, START}):
        if instant < opened_at:
            continue
        assert await _as_of(service, line.ticket_id, instant) == await _as_of(service, live_id, instant), instant
    assert await _as_of(service, line.ticket_id, None) == await _as_of(service, live_id, None)
