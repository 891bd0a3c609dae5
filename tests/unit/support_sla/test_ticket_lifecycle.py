"""The ticket state machine (`domain/ticket_lifecycle.py`): what each command may do in the ticket's state, what it
records, and the ticket as of an instant from its entries alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from support_sla.domain.sla_policy import default_policy
from support_sla.domain.ticket_lifecycle import (
    HistoryEntry,
    LifecycleRefusal,
    TicketFacts,
    apply_entries,
    decide_escalation,
    decide_message,
    decide_severity_change,
    decide_state_change,
    met_times,
    ticket_as_of,
)

OPENED = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)  # Monday
HOUR = timedelta(hours=1)
NEW = TicketFacts(OPENED, "B")


def after(facts: TicketFacts, entries: list[HistoryEntry]) -> TicketFacts:
    return apply_entries(facts, entries)


def support_waits(facts: TicketFacts, at: datetime) -> TicketFacts:
    return after(facts, decide_message(facts, at, "logs?", by_reseller=False, internal=False, wait_on_reseller=True))


def test_first_public_reply_of_staff_is_the_first_response_and_opens_the_ticket() -> None:
    facts = after(
        NEW, decide_message(NEW, OPENED + HOUR, "hi", by_reseller=False, internal=False, wait_on_reseller=False)
    )
    assert (facts.state, facts.first_response_at) == ("open", OPENED + HOUR)
    later = after(
        facts,
        decide_message(facts, OPENED + 2 * HOUR, "again", by_reseller=False, internal=False, wait_on_reseller=False),
    )
    assert later.first_response_at == OPENED + HOUR


def test_internal_notes_and_reseller_replies_are_no_first_response() -> None:
    note = after(NEW, decide_message(NEW, OPENED + HOUR, "n", by_reseller=False, internal=True, wait_on_reseller=False))
    reply = after(
        NEW, decide_message(NEW, OPENED + HOUR, "r", by_reseller=True, internal=False, wait_on_reseller=False)
    )
    assert (note.state, note.first_response_at) == ("new", None)
    assert (reply.state, reply.first_response_at) == ("new", None)


def test_waiting_on_the_reseller_pauses_and_the_resellers_reply_resumes_counting_the_paused_time() -> None:
    paused = support_waits(NEW, OPENED + HOUR)
    assert (paused.state, paused.paused_since) == ("waiting_on_reseller", OPENED + HOUR)
    assert [
        e.kind
        for e in decide_message(
            paused, OPENED + 2 * HOUR, "x", by_reseller=False, internal=False, wait_on_reseller=True
        )
    ] == ["reply"]  # no second pause
    entries = decide_message(
        paused, OPENED + 3 * HOUR, "24.3", by_reseller=True, internal=False, wait_on_reseller=False
    )
    assert [(e.kind, e.state) for e in entries] == [("reply", None), ("resume", "open")]
    resumed = after(paused, entries)
    assert (resumed.state, resumed.paused_since, resumed.paused_seconds) == ("open", None, 2 * 3600)


@pytest.mark.parametrize(("internal", "wait", "field"), [(True, False, "internal"), (False, True, "wait_on_reseller")])
def test_only_staff_write_internal_notes_or_wait_on_the_reseller(internal: bool, wait: bool, field: str) -> None:
    with pytest.raises(LifecycleRefusal) as refused:
        decide_message(NEW, OPENED, "x", by_reseller=True, internal=internal, wait_on_reseller=wait)
    assert refused.value.field == field


def test_an_internal_note_does_not_wait_on_the_reseller() -> None:
    with pytest.raises(LifecycleRefusal) as refused:
        decide_message(NEW, OPENED, "x", by_reseller=False, internal=True, wait_on_reseller=True)
    assert refused.value.field == "wait_on_reseller"


def test_nobody_writes_on_a_closed_ticket() -> None:
    closed = TicketFacts(OPENED, "B", state="closed")
    with pytest.raises(LifecycleRefusal) as refused:
        decide_message(closed, OPENED, "x", by_reseller=True, internal=False, wait_on_reseller=False)
    assert refused.value.field is None  # a state conflict


def test_severity_changes_before_resolution_to_another_severity_only() -> None:
    assert after(NEW, decide_severity_change(NEW, OPENED, "A", "data loss")).severity == "A"
    with pytest.raises(LifecycleRefusal) as same:
        decide_severity_change(NEW, OPENED, "B", "x")
    assert same.value.field == "severity"
    with pytest.raises(LifecycleRefusal) as resolved:
        decide_severity_change(TicketFacts(OPENED, "B", state="resolved"), OPENED, "A", "x")
    assert resolved.value.field is None


def test_closing_needs_a_resolved_ticket_and_resolving_needs_a_resolution() -> None:
    with pytest.raises(LifecycleRefusal) as early:
        decide_state_change(NEW, OPENED, "closed", None)
    assert (early.value.field, early.value.message) == (None, "Resolve the ticket before closing it.")
    with pytest.raises(LifecycleRefusal) as bare:
        decide_state_change(NEW, OPENED, "resolved", None)
    assert bare.value.field == "resolution"
    resolved = after(NEW, decide_state_change(NEW, OPENED + HOUR, "resolved", "solved"))
    with pytest.raises(LifecycleRefusal):
        decide_state_change(resolved, OPENED + 2 * HOUR, "temporary_solution_provided", None)
    closed = after(resolved, decide_state_change(resolved, OPENED + 2 * HOUR, "closed", None))
    assert (closed.state, closed.resolved_at, closed.closed_at) == ("closed", OPENED + HOUR, OPENED + 2 * HOUR)


def test_any_change_of_state_ends_a_pause() -> None:
    paused = support_waits(NEW, OPENED + HOUR)
    entries = decide_state_change(paused, OPENED + 3 * HOUR, "temporary_solution_provided", None)
    assert [e.kind for e in entries] == ["resume", "state_change"]
    facts = after(paused, entries)
    assert (facts.state, facts.paused_since, facts.paused_seconds) == ("temporary_solution_provided", None, 7200)
    assert facts.temporary_solution_at == OPENED + 3 * HOUR


def test_escalation_refused_once_resolved_or_on_an_unsupported_build() -> None:
    assert after(NEW, decide_escalation(NEW, OPENED)).state == "escalated_to_vendor"
    with pytest.raises(LifecycleRefusal, match="update first"):
        decide_escalation(TicketFacts(OPENED, "B", unsupported_version=True), OPENED)
    with pytest.raises(LifecycleRefusal):
        decide_escalation(TicketFacts(OPENED, "B", state="resolved"), OPENED)


def test_resolution_meets_the_temporary_solution_target_too() -> None:
    assert met_times(None, None, OPENED) == {"temporary_solution": OPENED, "permanent_resolution": OPENED}
    assert met_times(OPENED, OPENED + HOUR, OPENED + 2 * HOUR)["temporary_solution"] == OPENED + HOUR


def test_ticket_as_of_an_instant_ignores_what_was_recorded_after_it() -> None:
    policy = default_policy(time_zone="Europe/Berlin", country="DE")
    entries = [
        *decide_message(NEW, OPENED + HOUR, "logs?", by_reseller=False, internal=False, wait_on_reseller=True),
    ]
    paused = after(NEW, entries)
    entries += decide_message(
        paused, OPENED + 3 * HOUR, "here", by_reseller=True, internal=False, wait_on_reseller=False
    )
    entries += decide_severity_change(after(NEW, entries), OPENED + 4 * HOUR, "A", "data loss")
    facts, clocks = ticket_as_of(policy, NEW, entries, OPENED + 2 * HOUR)
    assert (facts.state, facts.severity, facts.paused_since) == ("waiting_on_reseller", "B", OPENED + HOUR)
    by_target = {clock.target: clock for clock in clocks}
    assert by_target["temporary_solution"].state == "paused"
    # the pause so far (1 h) has moved the 2-day target; the reply at +3 h is not known yet
    assert by_target["temporary_solution"].due_at == OPENED + 48 * HOUR + HOUR
    facts, clocks = ticket_as_of(policy, NEW, entries, OPENED + 5 * HOUR)
    assert (facts.state, facts.severity, facts.paused_seconds) == ("open", "A", 7200)
    assert {clock.target: clock for clock in clocks}["temporary_solution"].due_at == OPENED + 24 * HOUR + 2 * HOUR
