"""The rules of an imported ticket (`domain/ticket_import.py`): a past history in time order, replayed step by step
through the live rules, and the fingerprint that tells the same content from other content."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from support_sla.domain.ticket_import import (
    ImportedEscalation,
    ImportedMessage,
    ImportedSeverityChange,
    ImportedStateChange,
    ImportedTicket,
    ImportRefusal,
    check_import_times,
    import_fingerprint,
    replay_import,
)
from support_sla.domain.ticket_lifecycle import TicketFacts

OPENED = datetime(2024, 2, 5, 8, 0, tzinfo=UTC)
NOW = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
TICKET = ImportedTicket(
    source="zendesk",
    source_id="1",
    reseller_id="r",
    subject="s",
    description="d",
    product="p",
    build_number=None,
    severity="B",
    opened_at=OPENED,
    history=(
        ImportedMessage(OPENED + HOUR, "support", "logs?", wait_on_reseller=True, author="Ana"),
        ImportedMessage(OPENED + 3 * HOUR, "reseller", "here"),
        ImportedSeverityChange(OPENED + 4 * HOUR, "A", "data loss"),
        ImportedStateChange(OPENED + 5 * HOUR, "resolved", "solved", confirmed_defect=True),
        ImportedStateChange(OPENED + 6 * HOUR, "closed"),
    ),
)
OPENING = TicketFacts(OPENED, "B")


def test_imported_history_replays_through_the_live_rules_to_the_final_facts() -> None:
    replay = replay_import(TICKET, OPENING, NOW)
    assert [(r.entry.kind, r.entry.by_reseller, r.author) for r in replay.entries] == [
        ("reply", False, "Ana"),
        ("pause", False, "Ana"),
        ("reply", True, None),
        ("resume", True, None),
        ("severity_change", False, None),
        ("state_change", False, None),
        ("state_change", False, None),
    ]
    facts = replay.facts
    assert (facts.state, facts.severity, facts.paused_seconds) == ("closed", "A", 2 * 3600)
    assert (facts.first_response_at, facts.resolved_at, facts.closed_at) == (
        OPENED + HOUR,
        OPENED + 5 * HOUR,
        OPENED + 6 * HOUR,
    )
    assert replay.confirmed_defect is True


def test_imported_times_are_past_and_in_order_and_steps_may_share_an_instant() -> None:
    same_instant = replace(
        TICKET,
        history=(
            ImportedMessage(OPENED, "support", "logs?", wait_on_reseller=True),
            ImportedMessage(OPENED, "reseller", "here"),
        ),
    )
    check_import_times(same_instant, NOW)
    assert replay_import(same_instant, OPENING, NOW).facts.paused_since is None
    with pytest.raises(ImportRefusal) as future:
        check_import_times(replace(TICKET, opened_at=NOW + timedelta(seconds=1), history=()), NOW)
    assert future.value.field == "opened_at"
    with pytest.raises(ImportRefusal) as before_opening:
        check_import_times(replace(TICKET, history=(ImportedMessage(OPENED - HOUR, "reseller", "x"),)), NOW)
    assert before_opening.value.field == "history.0.at"
    swapped = (TICKET.history[1], TICKET.history[0])
    with pytest.raises(ImportRefusal, match="time order") as disordered:
        check_import_times(replace(TICKET, history=swapped), NOW)
    assert disordered.value.field == "history.1.at"
    with pytest.raises(ImportRefusal) as late:
        check_import_times(replace(TICKET, history=(ImportedMessage(NOW + HOUR, "reseller", "x"),)), NOW)
    assert late.value.field == "history.0.at"


def test_imported_step_the_state_does_not_allow_refuses_the_ticket_naming_the_step() -> None:
    reply_after_close = replace(TICKET, history=(*TICKET.history, ImportedMessage(OPENED + 7 * HOUR, "reseller", "x")))
    with pytest.raises(ImportRefusal) as refused:
        replay_import(reply_after_close, OPENING, NOW)
    assert (refused.value.field, refused.value.state_conflict) == ("history.5", True)
    no_resolution = replace(TICKET, history=(ImportedStateChange(OPENED + HOUR, "resolved"),))
    with pytest.raises(ImportRefusal) as field:
        replay_import(no_resolution, OPENING, NOW)
    assert (field.value.field, field.value.state_conflict) == ("history.0.resolution", False)


def test_imported_escalation_needs_the_whole_template() -> None:
    partial = replace(TICKET, history=(ImportedEscalation(OPENED + HOUR, {"symptoms": "fails"}),))
    with pytest.raises(ImportRefusal, match="error_messages") as refused:
        replay_import(partial, OPENING, NOW)
    assert refused.value.field == "history.0.template"


def test_import_fingerprint_is_the_same_for_the_same_instants_in_another_offset_and_differs_otherwise() -> None:
    berlin = timezone(timedelta(hours=1))
    shifted = replace(
        TICKET,
        opened_at=OPENED.astimezone(berlin),
        history=tuple(replace(step, at=step.at.astimezone(berlin)) for step in TICKET.history),
    )
    assert import_fingerprint(shifted) == import_fingerprint(TICKET)
    assert import_fingerprint(replace(TICKET, subject="other")) != import_fingerprint(TICKET)
    assert import_fingerprint(replace(TICKET, history=TICKET.history[:-1])) != import_fingerprint(TICKET)
    resolution_only = replace(TICKET, history=(ImportedStateChange(OPENED, "resolved", "solved"),))
    severity_only = replace(TICKET, history=(ImportedSeverityChange(OPENED, "A", "solved"),))
    assert import_fingerprint(resolution_only) != import_fingerprint(severity_only)
