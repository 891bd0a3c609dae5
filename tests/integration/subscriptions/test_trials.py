"""Trials: conversion up to the last day, and a scheduler that is safe to run twice and on two replicas."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from bss.clock import SystemClock
from bss.db import create_engine, session_factory
from bss.messaging.inbox import Inbox
from bss.messaging.outbox import Outbox
from bss.service_app import Runtime
from bss.usecase import UseCase
from subscriptions.models import Subscription, messaging
from subscriptions.settings import SubscriptionsSettings
from subscriptions.usecases.lifecycle import sweep_trials
from tests.harness.identity import ADMIN, headers_for
from tests.integration.subscriptions.catalog_events import Catalog
from tests.integration.subscriptions.harness import Service, count_rows, read_events, reseller_headers

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]


async def test_trial_conversion_on_its_last_day_is_accepted(service: Service, catalog: Catalog) -> None:
    reseller_id = await service.register()
    trial = await service.ordered(reseller_id, catalog["t1000"], kind="trial", requested_at="2024-03-01T10:00:00Z")
    assert (trial["trial_last_day"], trial["trial_ends_at"]) == ("2024-03-30", "2024-03-31T00:00:00Z")
    converted = await service.action(trial["id"], "conversion", {"requested_at": "2024-03-30T23:59:00Z"})
    assert converted.status_code == 200, converted.text
    assert (converted.json()["status"], converted.json()["paid_from"]) == ("active", "2024-03-30T23:59:00Z")


async def test_a_trial_with_a_ramp_up_carries_its_window_from_the_conversion_month(
    service: Service, catalog: Catalog
) -> None:
    reseller_id = await service.register()
    trial = await service.ordered(
        reseller_id, catalog["t1000"], kind="trial", requested_at="2023-10-10T10:00:00Z", ramp_up_cycles=3
    )
    converted = await service.action(trial["id"], "conversion", {"requested_at": "2023-11-02T08:00:00Z"})
    assert converted.status_code == 200, converted.text
    events = {e.type.split(".")[2]: e.data for e in await read_events(service.bootstrap_servers, {trial["id"]}, 3)}
    assert (events["RampUpGranted"]["first_period"], events["RampUpGranted"]["last_period"]) == (None, None)
    conversion = events["TrialConverted"]
    assert (conversion["ramp_up_first_period"], conversion["ramp_up_last_period"]) == ("2023-11-01", "2024-01-01")


async def test_trial_conversion_the_day_after_its_last_day_is_refused(service: Service, catalog: Catalog) -> None:
    reseller_id = await service.register()
    trial = await service.ordered(reseller_id, catalog["t1000"], kind="trial", requested_at="2024-03-01T10:00:00Z")
    before = await count_rows(service.database_url, "outbox")
    refused = await service.action(trial["id"], "conversion", {"requested_at": "2024-03-31T00:00:00Z"})
    assert refused.status_code == 409
    assert refused.json()["rules"] == ["trial_ended"]
    assert "2024-03-30" in refused.json()["detail"]
    assert await count_rows(service.database_url, "outbox") == before


async def test_a_reseller_converts_its_own_trial_now_and_cannot_touch_another(
    service: Service, catalog: Catalog
) -> None:
    mine, other = await service.register(), await service.register()
    trial = await service.ordered(mine, catalog["t1000"], kind="trial")
    assert (await service.action(trial["id"], "conversion", headers=reseller_headers(other))).status_code == 404
    backdated = await service.action(
        trial["id"], "conversion", {"requested_at": "2024-01-01T00:00:00Z"}, reseller_headers(mine)
    )
    assert backdated.status_code == 403
    converted = await service.action(trial["id"], "conversion", headers=reseller_headers(mine))
    assert converted.json()["status"] == "active"


async def test_the_trial_scheduler_run_twice_at_once_expires_each_trial_once(
    service: Service, catalog: Catalog
) -> None:
    reseller_ids = [await service.register() for _ in range(3)]
    trials = [
        await service.ordered(r, catalog["t2000"], kind="trial", requested_at="2024-05-10T08:00:00Z")
        for r in reseller_ids
    ]
    sweeps = await asyncio.gather(
        *[service.http.post("/v1/trials/sweep", headers=headers_for(ADMIN)) for _ in range(2)]
    )
    assert all(s.status_code == 200 for s in sweeps)
    assert sum(s.json()["expired"] for s in sweeps) >= 3
    for trial in trials:
        read = await service.http.get(f"/v1/subscriptions/{trial['id']}", headers=headers_for(ADMIN))
        assert (read.json()["status"], read.json()["ends_at"]) == ("expired", "2024-06-09T00:00:00Z")
    again = await service.http.post("/v1/trials/sweep", headers=headers_for(ADMIN))
    assert again.json() == {"expired": 0, "converted": 0}
    subjects = {t["id"] for t in trials}
    events = await read_events(service.bootstrap_servers, subjects, expected=6)
    counts = Counter((e.subject, e.type) for e in events)
    for trial in trials:
        assert counts[(trial["id"], "bss.subscriptions.TrialExpired.v1")] == 1
    refused = await service.action(trials[0]["id"], "conversion")
    assert refused.status_code == 409


def replica(service: Service) -> Runtime[SubscriptionsSettings]:
    """A second process's view of the same database: its own engine, sessions and outbox writer."""
    settings = SubscriptionsSettings(
        database_url=service.database_url, kafka_bootstrap_servers=service.bootstrap_servers
    )
    engine = create_engine(service.database_url)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        clock=SystemClock(),
        outbox=Outbox(messaging, source="/bss/subscriptions"),
        inbox=Inbox(messaging),
    )


async def test_two_scheduler_replicas_at_once_move_each_trial_once_and_auto_convert_when_set(
    service: Service, catalog: Catalog
) -> None:
    reseller_ids = [await service.register() for _ in range(4)]
    trials = [
        await service.ordered(r, catalog["t1000"], kind="trial", requested_at="2024-07-01T08:00:00Z")
        for r in reseller_ids
    ]
    auto = trials[0]["id"]
    first, second = replica(service), replica(service)
    try:
        async with first.sessions() as session, session.begin():
            await session.execute(update(Subscription).where(Subscription.id == auto).values(auto_convert=True))
        now = datetime.now(UTC)
        results = await asyncio.gather(
            sweep_trials(UseCase.system(first, "trial-scheduler", now)),
            sweep_trials(UseCase.system(second, "trial-scheduler", now)),
        )
    finally:
        await first.engine.dispose()
        await second.engine.dispose()
    ours = {t["id"] for t in trials}
    events = await read_events(service.bootstrap_servers, ours, expected=len(trials) * 2)
    moves = Counter(
        e.subject
        for e in events
        if e.type in ("bss.subscriptions.TrialExpired.v1", "bss.subscriptions.TrialConverted.v1")
    )
    assert moves == Counter(ours)
    converted = next(e for e in events if e.subject == auto and e.type == "bss.subscriptions.TrialConverted.v1")
    assert converted.data["automatic"] is True
    assert converted.data["converted_at"] == "2024-07-31T00:00:00Z"
    assert sum(r.converted for r in results) >= 1
