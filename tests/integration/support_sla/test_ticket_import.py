"""Importing tickets with their history from another system (`POST /v1/imports/tickets`): line by line, dry run,
idempotent, each ticket whole or not at all, past breaches recorded without alerts or events, the policy in force
when the ticket opened (docs/domain.md, "Ticket import and as-of reads"). The module's clock starts on Monday
2024-03-04 08:00 UTC; the calendar is Berlin's with German holidays."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from support_sla.models import SlaAlert, SlaTarget
from tests.harness.identity import ADMIN, SUPPORT_AGENT, reseller
from tests.integration.support_sla.conftest import START
from tests.integration.support_sla.harness import Service, utc
from tests.integration.support_sla.import_helpers import (
    OPENED,
    import_batch,
    post_import,
    resolved_history,
    row_counts,
    statuses,
    step,
    ticket,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


def targets_of(read: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {target["target"]: target for target in read["targets"]}


async def test_import_answers_line_by_line_and_a_refused_ticket_stops_no_other(service: Service) -> None:
    rid = await service.new_reseller()
    out_of_order = resolved_history()
    out_of_order[1]["at"] = "2024-02-05T09:30:00+01:00"  # before the step it follows
    answer = await import_batch(
        service,
        [
            ticket(rid, "line-1"),
            ticket("0190c3a1-2000-7000-8000-00000000dead", "line-2"),
            ticket(rid, "line-3", history=out_of_order),
            ticket(rid, "line-4", severity="D", history=[]),
        ],
    )
    assert statuses(answer) == ["created", "refused", "refused", "created"]
    assert (answer["created"], answer["unchanged"], answer["conflict"], answer["refused"]) == (2, 0, 0, 2)
    unknown, disordered = answer["lines"][1]["problem"], answer["lines"][2]["problem"]
    assert (unknown["status"], unknown["type"].rsplit("/", 1)[-1]) == (404, "not-found")
    assert "0190c3a1-2000-7000-8000-00000000dead" in unknown["detail"]
    assert [e["field"] for e in disordered["errors"]] == ["history.1.at"]
    assert "time order" in disordered["errors"][0]["message"]

    created = answer["lines"][0]["ticket_id"]
    read = (await service.call("GET", f"/v1/tickets/{created}", reseller(rid))).json()
    assert (read["source"], read["source_id"], read["state"], read["severity"]) == ("zendesk", "line-1", "closed", "A")
    assert utc(read["opened_at"]) == utc(OPENED)
    assert utc(read["first_response_at"]) == utc("2024-02-05T10:02:00+01:00")
    assert utc(read["resolved_at"]) == utc("2024-02-06T16:30:00+01:00")
    history = (await service.call("GET", f"/v1/tickets/{created}/events", SUPPORT_AGENT)).json()
    assert [(e["kind"], e["actor_role"]) for e in history] == [
        ("reply", "support_agent"),
        ("pause", "support_agent"),
        ("reply", "reseller"),
        ("resume", "reseller"),
        ("note", "support_agent"),
        ("severity_change", "support_agent"),
        ("state_change", "support_agent"),
        ("state_change", "support_agent"),
        ("imported", "admin"),  # who imported it, when, from where: an internal note at the import
    ]
    seen_by_reseller = (await service.call("GET", f"/v1/tickets/{created}/events", reseller(rid))).json()
    assert "note" not in [e["kind"] for e in seen_by_reseller]
    assert "imported" not in [e["kind"] for e in seen_by_reseller]


async def test_dry_run_answers_what_the_import_would_and_writes_nothing(service: Service) -> None:
    rid = await service.new_reseller()
    unknown_reseller = "0190c3a1-2000-7000-8000-00000000beef"
    batch = [ticket(rid, "dry-1"), ticket(unknown_reseller, "dry-2"), ticket(rid, "dry-1")]  # dry-1 twice
    before = await row_counts(service)
    dry = await import_batch(service, batch, dry_run=True)
    assert dry["dry_run"] is True
    assert statuses(dry) == ["created", "refused", "unchanged"]
    assert [line["ticket_id"] for line in dry["lines"]] == [None, None, None]
    assert await row_counts(service) == before
    real = await import_batch(service, batch)
    assert statuses(real) == statuses(dry)
    assert [line["problem"] for line in real["lines"]] == [line["problem"] for line in dry["lines"]]
    after = await row_counts(service)
    assert after["tickets"] == before["tickets"] + 1
    assert after["ticket_events"] == before["ticket_events"] + 8 + 1  # the history and the import note


async def test_reimporting_the_same_batch_changes_nothing_and_publishes_nothing(service: Service) -> None:
    rid = await service.new_reseller()
    batch = [ticket(rid, "again-1"), ticket(rid, "again-2", severity="C", history=resolved_history()[:3])]
    before = await row_counts(service)
    first = await import_batch(service, batch)
    assert statuses(first) == ["created", "created"]
    imported = await row_counts(service)
    # no incidents, no charges, no event published: the history happened in the source system
    for table in ("incidents", "support_charges", "sla_alerts", "outbox_last_seq"):
        assert imported[table] == before[table], table
    again = await import_batch(service, batch)
    assert statuses(again) == ["unchanged", "unchanged"]
    assert [line["ticket_id"] for line in again["lines"]] == [line["ticket_id"] for line in first["lines"]]
    # the same instants written with another offset, and the source in capitals, are the same content
    in_utc = ticket(rid, "again-1", source="ZenDesk", opened_at=utc(OPENED).isoformat())
    assert statuses(await import_batch(service, [in_utc])) == ["unchanged"]
    assert await row_counts(service) == imported


async def test_other_content_under_an_imported_source_id_is_a_conflict_that_changes_nothing(service: Service) -> None:
    rid = await service.new_reseller()
    first = await import_batch(service, [ticket(rid, "conflict-1")])
    ticket_id = first["lines"][0]["ticket_id"]
    before = await row_counts(service)
    changed = await import_batch(service, [ticket(rid, "conflict-1", subject="Another subject")])
    (line,) = changed["lines"]
    assert (line["status"], line["ticket_id"]) == ("conflict", ticket_id)
    assert line["problem"]["type"].endswith("/ticket-import-conflict")
    assert line["problem"]["status"] == 409
    assert await row_counts(service) == before
    read = (await service.call("GET", f"/v1/tickets/{ticket_id}", ADMIN)).json()
    assert read["subject"] == "Recovery fails with 'Archive is corrupted'"
    # in one request: the same id twice with other content is a conflict with the first line
    twice = await import_batch(service, [ticket(rid, "conflict-2"), ticket(rid, "conflict-2", subject="Other")])
    assert statuses(twice) == ["created", "conflict"]
    # another source may use the same id
    elsewhere = await import_batch(service, [ticket(rid, "conflict-1", source="freshdesk")])
    assert statuses(elsewhere) == ["created"]


async def test_imported_past_breach_is_recorded_at_its_time_and_raises_no_alert_or_event(service: Service) -> None:
    rid = await service.new_reseller()
    late = [
        step("message", "2024-02-05T15:00:00+01:00", by="support", body="Looking into it"),  # due 13:12 (4 h)
        step("state_change", "2024-02-07T10:00:00+01:00", state="resolved", resolution="workaround"),  # due 6th
    ]
    answer = await import_batch(service, [ticket(rid, "breached-1", severity="A", history=late)])
    ticket_id = answer["lines"][0]["ticket_id"]
    explained = (await service.call("GET", f"/v1/tickets/{ticket_id}/sla", ADMIN)).json()
    targets = targets_of(explained)
    first = targets["first_response"]
    assert (first["state"], first["breached_under"]) == ("breached", "A")
    assert utc(first["due_at"]) == utc("2024-02-05T13:12:00+01:00")
    assert ("breached", utc("2024-02-05T13:12:00+01:00")) in [
        (s["kind"], utc(s["at"])) for s in first["steps"] if s["at"]
    ]
    assert targets["temporary_solution"]["state"] == "breached"
    assert targets["permanent_resolution"]["state"] == "met"
    async with service.runtime.sessions() as session:
        rows = {r.target: r for r in await session.scalars(select(SlaTarget).where(SlaTarget.ticket_id == ticket_id))}
    assert (rows["first_response"].breached, rows["first_response"].warned) == (True, True)
    assert rows["first_response"].breach_at == utc("2024-02-05T13:12:00+01:00")
    assert (rows["first_response"].breach_severity, rows["temporary_solution"].breached) == ("A", True)

    before = await row_counts(service)
    await service.scheduler().tick()  # what is due by now: nothing of this ticket's past
    async with service.runtime.sessions() as session:
        alerts = list(await session.scalars(select(SlaAlert).where(SlaAlert.ticket_id == ticket_id)))
    assert alerts == []
    assert (await row_counts(service))["outbox_last_seq"] == before["outbox_last_seq"]
    published = await service.events(
        ("bss.support.SlaBreached.v1", "bss.support.TicketOpened.v1", "bss.support.TicketResolved.v1"),
        lambda data: data["ticket_id"] == ticket_id,
        expected=0,
    )
    assert published == []


async def test_open_imported_ticket_runs_on_and_breaches_live_when_due_without_its_past_warning(
    service: Service,
) -> None:
    rid = await service.new_reseller()
    opened = START - timedelta(hours=7)  # severity C: first response due in 8 h, its warning (80%) already passed
    body = ticket(rid, "open-1", severity="C", opened_at=opened.isoformat(), history=[])
    ticket_id = (await import_batch(service, [body]))["lines"][0]["ticket_id"]
    read = (await service.call("GET", f"/v1/tickets/{ticket_id}", reseller(rid))).json()
    first = targets_of(read)["first_response"]
    assert (read["state"], first["state"], first["remaining_seconds"]) == ("new", "running", 3600)
    scheduler = service.scheduler()
    await scheduler.tick()
    service.clock.set(START + timedelta(hours=1))  # the due time, after the import
    await scheduler.tick()
    async with service.runtime.sessions() as session:
        kinds = [a.kind for a in await session.scalars(select(SlaAlert).where(SlaAlert.ticket_id == ticket_id))]
    assert kinds == ["breach"]  # the warning belonged to the past; the breach came after the import
    breaches = await service.events("bss.support.SlaBreached.v1", lambda d: d["ticket_id"] == ticket_id, expected=1)
    assert [(b["target"], utc(b["due_at"])) for b in breaches] == [("first_response", START + timedelta(hours=1))]
    # and it is worked like any ticket
    reply = await service.call("POST", f"/v1/tickets/{ticket_id}/messages", SUPPORT_AGENT, json={"body": "On it"})
    assert reply.status_code == 201, reply.text


async def test_imported_ticket_takes_the_calendar_and_targets_in_force_on_its_opening_day(service: Service) -> None:
    rid = await service.new_reseller()
    tokyo = {"time_zone": "Asia/Tokyo", "working_weekdays": [0, 1, 2, 3, 4, 5], "country": "JP"}
    one_hour = {"unit": "hours", "amount": 1}
    severity_c = {
        "first_response": {"unit": "hours", "amount": 8},
        "temporary_solution": {"unit": "days", "amount": 3},
        "permanent_resolution": {"unit": "days", "amount": 30},
    }
    for path, value, effective_from in (
        ("sla-calendars/tokyo-import", tokyo, "2020-01-01"),
        (f"sla-calendar-assignments/{rid}", {"calendar": "tokyo-import"}, "2024-02-01"),
        ("sla-targets/C", severity_c | {"first_response": one_hour}, "2023-06-01"),
        ("sla-targets/C", severity_c, "2023-07-01"),
    ):
        body = {"value": value, "effective_from": effective_from, "reason": "import test"}
        response = await service.call("PUT", f"/v1/settings/{path}", ADMIN, json=body)
        assert response.status_code == 200, response.text
    answer = await import_batch(
        service,
        [
            ticket(rid, "policy-june", severity="C", opened_at="2023-06-15T10:00:00Z", history=[]),
            ticket(rid, "policy-january", severity="C", opened_at="2024-01-20T10:00:00Z", history=[]),
            ticket(rid, "policy-february", severity="C", opened_at="2024-02-10T10:00:00Z", history=[]),
        ],
    )
    explained = []
    for line in answer["lines"]:
        explained.append((await service.call("GET", f"/v1/tickets/{line['ticket_id']}/sla", ADMIN)).json())
    assert [targets_of(e)["first_response"]["rule"] for e in explained] == ["1 hours", "8 hours", "8 hours"]
    assert [e["calendar_name"] for e in explained] == ["default", "default", "tokyo-import"]
    assert [e["policy"] for e in explained] == [
        "sla-targets as of 2023-06-15",
        "sla-targets as of 2024-01-20",
        "sla-targets as of 2024-02-10",
    ]


REFUSED: list[tuple[str, dict[str, Any], str, int]] = [
    ("opened in the future", {"opened_at": "2024-03-05T00:00:00Z", "history": []}, "opened_at", 422),
    (
        "a step in the future",
        {"history": [step("message", "2024-03-04T09:00:00Z", by="reseller", body="x")]},
        "history.0.at",
        422,
    ),
    (
        "a step before the opening",
        {"history": [step("message", "2024-02-05T09:00:00+01:00", by="reseller", body="x")]},
        "history.0.at",
        422,
    ),
    (
        "closed before resolved",
        {"history": [step("state_change", "2024-02-05T12:00:00Z", state="closed")]},
        "history.0",
        409,
    ),
    (
        "a reply after closing",
        {"history": [*resolved_history(), step("message", "2024-02-08T12:00:00Z", by="reseller", body="x")]},
        "history.6",
        409,
    ),
    (
        "a severity change after resolution",
        {
            "history": [
                *resolved_history()[:5],
                step("severity_change", "2024-02-06T17:00:00+01:00", severity="C", reason="x"),
            ]
        },
        "history.5",
        409,
    ),
    (
        "the severity it already has",
        {"history": [step("severity_change", "2024-02-05T12:00:00Z", severity="B", reason="x")]},
        "history.0.severity",
        422,
    ),
    (
        "resolved without a resolution",
        {"history": [step("state_change", "2024-02-05T12:00:00Z", state="resolved")]},
        "history.0.resolution",
        422,
    ),
    (
        "the reseller waiting on itself",
        {"history": [step("message", "2024-02-05T12:00:00Z", by="reseller", body="x", wait_on_reseller=True)]},
        "history.0.wait_on_reseller",
        422,
    ),
    (
        "an escalation with an incomplete template",
        {"history": [step("escalation", "2024-02-05T12:00:00Z", template={"symptoms": "fails"})]},
        "history.0.template",
        422,
    ),
    (
        "an escalation of an unsupported build",
        {
            "build_number": "22.1.1",
            "history": [
                step(
                    "escalation",
                    "2024-02-05T12:00:00Z",
                    template={
                        "symptoms": "s",
                        "error_messages": "e",
                        "steps_to_reproduce": "r",
                        "expected_outcome": "o",
                        "build_number": "22.1.1",
                        "business_impact": "b",
                        "first_occurrence": "f",
                        "recent_changes": "c",
                        "contact": "ops@example.com",
                    },
                )
            ],
        },
        "history.0",
        409,
    ),
]


async def test_each_rule_a_ticket_breaks_refuses_it_whole_naming_the_step_and_the_others_go_on(
    service: Service,
) -> None:
    rid = await service.new_reseller()
    batch = [ticket(rid, f"rule-{n}", **values) for n, (_, values, _, _) in enumerate(REFUSED)]
    batch.append(ticket(rid, "rule-ok"))
    before = await row_counts(service)
    answer = await import_batch(service, batch)
    assert statuses(answer) == ["refused"] * len(REFUSED) + ["created"]
    for (what, _, field, status), line in zip(REFUSED, answer["lines"], strict=False):
        problem = line["problem"]
        assert ([e["field"] for e in problem["errors"]], problem["status"]) == ([field], status), (what, problem)
        assert line["ticket_id"] is None
    after = await row_counts(service)
    # nothing half-written: only the one good ticket and its history
    assert after["tickets"] == before["tickets"] + 1
    assert after["ticket_events"] == before["ticket_events"] + 9
    assert after["sla_targets"] == before["sla_targets"] + 3


BAD_REQUESTS: list[tuple[str, Any, str]] = [
    ("a time without its offset", {"opened_at": "2024-02-05T09:12:00"}, "tickets.1.opened_at"),
    ("a severity outside A-D", {"severity": "E"}, "tickets.1.severity"),
    ("an unknown step kind", {"history": [step("reopened", "2024-02-05T12:00:00Z")]}, "tickets.1.history.0"),
    (
        "a step time without its offset",
        {"history": [step("message", "2024-02-05T12:00:00", by="reseller", body="x")]},
        "tickets.1.history.0.message.at",
    ),
    ("an unknown field", {"priority": "high"}, "tickets.1.priority"),
    ("a source with spaces", {"source": "help desk"}, "tickets.1.source"),
    (
        "a history over its cap",
        {"history": [step("message", OPENED, by="reseller", body="x")] * 201},
        "tickets.1.history",
    ),
]


@pytest.mark.parametrize(("what", "change", "field"), BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
async def test_a_malformed_request_is_a_422_problem_naming_the_field_and_writes_nothing(
    service: Service, what: str, change: dict[str, Any], field: str
) -> None:
    rid = "0190c3a1-2000-7000-8000-000000000200"
    before = await row_counts(service)
    response = await post_import(service, {"tickets": [ticket(rid, "fine"), ticket(rid, "bad") | change]})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert await row_counts(service) == before


async def test_batch_limits_tickets_and_steps_are_422_problems(service: Service) -> None:
    one = ticket("0190c3a1-2000-7000-8000-000000000200", "limit", history=[])
    before = await row_counts(service)
    too_many = await post_import(service, {"tickets": [one] * 501})
    assert too_many.status_code == 422
    assert too_many.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in too_many.json()["errors"]] == ["tickets"]
    steps = [step("message", OPENED, by="reseller", body="x")] * 200
    too_long = await post_import(service, {"tickets": [one | {"history": steps}] * 51})  # 10,200 steps in all
    assert too_long.status_code == 422
    assert "at most 10000 per import" in too_long.text
    empty = await post_import(service, {"tickets": []})
    assert empty.status_code == 422
    assert await row_counts(service) == before


async def test_only_admins_import_and_bad_json_or_flags_are_problems(service: Service) -> None:
    body = {"tickets": [ticket("0190c3a1-2000-7000-8000-000000000200", "who")]}
    for caller in (SUPPORT_AGENT, reseller("0190c3a1-2000-7000-8000-000000000200")):
        refused = await post_import(service, body, caller=caller)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
    flag = await service.call("POST", "/v1/imports/tickets", ADMIN, json=body, params={"dry_run": "maybe"})
    assert (flag.status_code, flag.json()["errors"][0]["field"]) == (422, "dry_run")
    not_json = await service.call(
        "POST", "/v1/imports/tickets", ADMIN, content=b"{tickets", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400
    assert not_json.headers["content-type"] == "application/problem+json"


async def test_two_imports_of_the_same_ticket_at_once_create_it_once(service: Service) -> None:
    rid = await service.new_reseller()
    batch = [ticket(rid, "race-1")]
    before = await row_counts(service)
    first, second = await asyncio.gather(import_batch(service, batch), import_batch(service, batch))
    assert sorted(statuses(first) + statuses(second)) == ["created", "unchanged"]
    assert first["lines"][0]["ticket_id"] == second["lines"][0]["ticket_id"]
    assert (await row_counts(service))["tickets"] == before["tickets"] + 1
