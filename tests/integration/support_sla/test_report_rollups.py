"""The Tier 1 reports read rollups kept in the ticket's own transaction (docs/decisions/0020): over a varied history
(imports, backdated and live commands, severity changes, pauses, late resolutions, closures, a policy re-applied,
concurrent changes of one cell, across months) they equal the direct queries over every ticket (`report_oracle`),
for whole, partial and open periods; and the migration's backfill builds the very rollups the service keeps.
The module's clock starts on Monday 2024-03-04 08:00 UTC; the calendar is Berlin's with German holidays."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from alembic import command
from sqlalchemy import Connection, select

from bss.db import create_engine
from bss.migrations import alembic_config
from support_sla.adapters import reports
from support_sla.main import MIGRATIONS_DIR
from support_sla.models import (
    ReportCountryMonth,
    ReportFirstResponseBucket,
    ReportOpenDay,
    ReportReseller,
    ReportResellerMonth,
    ReportResolutionBucket,
)
from tests.harness.identity import ADMIN, SUPPORT_AGENT, reseller
from tests.integration.support_sla import report_oracle
from tests.integration.support_sla.conftest import START
from tests.integration.support_sla.harness import Service
from tests.integration.support_sla.import_helpers import import_batch, step, ticket

pytestmark = pytest.mark.asyncio(loop_scope="session")

RESOLVE = {"state": "resolved", "resolution": "solved"}
ALWAYS_OPEN = {"reason": "Tier 1 answers 24x7 for this reseller", "calendar": {"always_open": True}}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


PERIODS = [
    reports.Period(None, None),
    reports.Period(at("2020-01-01T00:00:00+00:00"), at("2030-01-01T00:00:00+00:00")),  # every ticket, bounded
    reports.Period(at("2024-01-01T00:00:00+00:00"), at("2024-04-01T00:00:00+00:00")),  # whole months
    reports.Period(at("2024-02-10T13:30:00+00:00"), at("2024-04-03T05:00:00+00:00")),  # edges at both ends
    reports.Period(at("2024-03-04T08:30:00+00:00"), at("2024-03-04T20:00:00+00:00")),  # within one day
    reports.Period(at("2024-02-20T00:00:00+00:00"), at("2024-03-10T06:00:00+00:00")),  # across one month's end
    reports.Period(at("2024-03-01T00:00:00+01:00"), None),  # an offset that is not UTC, open end
    reports.Period(None, at("2024-03-05T12:00:00+00:00")),
]


async def _command(service: Service, path: str, body: dict[str, Any], caller: Any = SUPPORT_AGENT) -> None:
    response = await service.call("POST", path, caller, json=body)
    assert response.status_code in (200, 201), response.text


async def _open(service: Service, reseller_id: str, severity: str, opened: datetime | None = None) -> str:
    body: dict[str, Any] = {"subject": "Backups fail", "description": "Since today.", "product": "Cyber Protect"}
    body |= {"severity": severity, "reseller_id": reseller_id}
    if opened is not None:
        body["requested_at"] = opened.isoformat()
    response = await service.call("POST", "/v1/tickets", ADMIN, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _imported_history(service: Service, de: str, fr: str) -> None:
    """January and February, imported: resolved and closed, open and answered, never answered, resolved late."""
    late = [
        step("message", "2024-01-08T09:00:00+01:00", by="support", body="Looking"),
        step("state_change", "2024-02-27T10:00:00+01:00", state="resolved", resolution="solved"),
    ]
    answered = [step("message", "2024-02-28T23:58:00+01:00", by="support", body="Which build?")]
    paused = [
        step("message", "2024-02-10T14:00:00+00:00", by="support", body="Logs?", wait_on_reseller=True),
        step("severity_change", "2024-02-11T08:00:00+00:00", severity="A", reason="Data loss"),
    ]
    answer = await import_batch(
        service,
        [
            ticket(de, "r-1"),
            ticket(fr, "r-2", opened_at="2024-01-31T23:30:00+00:00", severity="C"),
            ticket(de, "r-3", opened_at="2024-01-08T08:00:00+01:00", severity="C", history=late),
            ticket(fr, "r-4", opened_at="2024-02-28T22:00:00+01:00", severity="D", history=answered),
            ticket(de, "r-5", opened_at="2024-01-20T12:00:00+00:00", severity="B", history=[]),
            ticket(fr, "r-6", opened_at="2024-02-10T13:30:00+00:00", history=paused),
        ],
    )
    assert answer["created"] == 6, answer


async def _live_history(service: Service, de: str, fr: str, us: str) -> None:
    """March to May, live and backdated, with pauses, severity changes, late resolutions and a policy re-applied."""
    backdated = await _open(service, us, "B", at("2024-02-29T23:50:00+00:00"))
    await _command(
        service,
        f"/v1/tickets/{backdated}/messages",
        {"body": "On it", "requested_at": "2024-03-01T00:20:00+00:00"},
        ADMIN,
    )
    owners = {"A": de, "B": fr, "C": us, "D": de}
    tickets = {severity: await _open(service, reseller_id, severity) for severity, reseller_id in owners.items()}
    service.clock.set(START + timedelta(hours=1))
    for ticket_id in tickets.values():
        await _command(service, f"/v1/tickets/{ticket_id}/messages", {"body": "Which build?", "wait_on_reseller": True})
    service.clock.set(START + timedelta(days=1, hours=3))
    await _command(service, f"/v1/tickets/{tickets['A']}/messages", {"body": "24.3"}, reseller(de))
    await _command(service, f"/v1/tickets/{tickets['C']}/severity", {"severity": "B", "reason": "Two sites down"})
    await _command(service, f"/v1/tickets/{tickets['A']}/state", RESOLVE)
    await _command(service, f"/v1/tickets/{tickets['A']}/state", {"state": "closed"})
    await _command(service, f"/v1/tickets/{backdated}/state", RESOLVE)
    service.clock.set(START + timedelta(days=40))  # 13 April: late for B and C, whose pauses ended with the state
    await _command(service, f"/v1/tickets/{tickets['B']}/state", RESOLVE)
    await _command(service, f"/v1/tickets/{tickets['C']}/state", {"state": "temporary_solution_provided"})
    await _command(service, f"/v1/tickets/{tickets['C']}/state", RESOLVE)
    await _command(service, f"/v1/tickets/{tickets['C']}/policy", ALWAYS_OPEN, ADMIN)
    await service.scheduler().tick()  # warnings and breaches of the tickets still open
    service.clock.set(at("2024-05-02T10:00:00+00:00"))
    await _concurrent_changes(service, us)
    await _open(service, fr, "A", service.clock.now() + timedelta(minutes=3))  # opened ahead of now: in no age bucket


async def _concurrent_changes(service: Service, reseller_id: str) -> None:
    """Ten tickets of one reseller, day and bucket opened, answered and resolved at once: no change may be lost."""
    opened = await asyncio.gather(*(_open(service, reseller_id, "C") for _ in range(10)))
    await asyncio.gather(*(_command(service, f"/v1/tickets/{t}/messages", {"body": "Hello"}) for t in opened))
    await asyncio.gather(*(_command(service, f"/v1/tickets/{t}/state", RESOLVE) for t in opened[:6]))


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def history(service: Service) -> AsyncIterator[Service]:
    de, fr, us = [await service.new_reseller(country=country) for country in ("DE", "FR", "US")]
    service.clock.set(START)
    await _imported_history(service, de, fr)
    await _live_history(service, de, fr, us)
    yield service


async def _both(service: Service, name: str, period: reports.Period, now: datetime) -> tuple[Any, Any]:
    """The report from the rollups and from the direct query, in sessions of their own."""
    async with service.runtime.sessions() as session, session.begin():
        new = await (
            reports.report_c(session, period, now)
            if name == "c"
            else getattr(reports, f"report_{name}")(session, period)
        )
    async with service.runtime.sessions() as session, session.begin():
        old_call = getattr(report_oracle, f"report_{name}")
        old = await (old_call(session, period, now) if name == "c" else old_call(session, period))
    return new, old


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.start}..{p.end}")
@pytest.mark.parametrize("name", ["a", "b", "c", "d", "e"])
async def test_report_from_rollups_equals_the_direct_query(history: Service, name: str, period: reports.Period) -> None:
    new, old = await _both(history, name, period, history.clock.now())
    assert new == old


@pytest.mark.parametrize(
    "now",
    [
        "2024-05-02T10:00:00+00:00",
        "2024-04-03T00:00:00+00:00",
        "2024-03-05T08:00:00+00:00",
        "2024-06-30T23:59:59.5+00:00",
    ],
)
async def test_report_c_ages_equal_the_direct_query_at_any_instant(history: Service, now: str) -> None:
    for period in (PERIODS[0], PERIODS[3], PERIODS[6]):
        new, old = await _both(history, "c", period, at(now))
        assert new == old


async def test_the_history_is_varied_enough_to_tell_the_reports_apart(history: Service) -> None:
    """Guards the tests above: the reports they compare show cases, open ones, replies and missed targets."""
    (new_a, _), (new_c, _) = [await _both(history, n, PERIODS[0], history.clock.now()) for n in ("a", "c")]
    (new_d, _), (new_e, _) = [await _both(history, n, PERIODS[0], history.clock.now()) for n in ("d", "e")]
    assert sum(row["cases"] for row in new_a) == 6 + 1 + 4 + 10 + 1
    assert new_c[0]["open_cases"] >= 5
    assert new_c[0]["<1d"] + new_c[0][">=30d"] >= 2
    assert new_d[0]["count"] >= 15
    assert new_d[0]["median_seconds"] is not None
    assert {row["severity"] for row in new_e} >= {"A", "B", "C"}
    assert sum(row["sla_breaches"] for row in new_e) >= 1


def _rollup_rows(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    def row(values: Any) -> tuple[Any, ...]:
        return tuple(sorted(v) if isinstance(v, list) else v for v in values)  # a JSON list keeps its order

    tables = (
        ReportResellerMonth,
        ReportReseller,
        ReportCountryMonth,
        ReportOpenDay,
        ReportFirstResponseBucket,
        ReportResolutionBucket,
    )
    return {
        model.__tablename__: sorted(row(r) for r in connection.execute(select(model.__table__)))  # type: ignore[attr-defined]
        for model in tables
    }


async def test_migration_backfill_builds_the_rollups_the_service_keeps(history: Service) -> None:
    """Down to 0004 (no rollups) and up again, which sums every ticket: the same rows as kept live."""
    url = history.runtime.settings.database_url
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            kept = await connection.run_sync(_rollup_rows)
        config = alembic_config(MIGRATIONS_DIR, url)

        def down_and_up(connection: Connection) -> None:
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")
            command.upgrade(config, "head")

        async with engine.begin() as connection:
            await connection.run_sync(down_and_up)
        async with engine.connect() as connection:
            backfilled = await connection.run_sync(_rollup_rows)
    finally:
        await engine.dispose()
    assert all(kept.values())
    assert backfilled == kept
