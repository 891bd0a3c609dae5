"""Events through the real broker, each published once: SlaBreached (two schedulers at once), IncidentCharged,
CertificationChanged (including expiry) and TierOneProgramActivated."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bss.events.contracts.subscriptions import SubscriptionCreatedV1
from support_sla.models import SlaAlert
from tests.harness.identity import ADMIN, SUPPORT_AGENT, reseller
from tests.integration.support_sla.conftest import START
from tests.integration.support_sla.harness import Service, utc

pytestmark = pytest.mark.asyncio(loop_scope="session")


def of_ticket(ticket_id: str):  # type: ignore[no-untyped-def]
    return lambda data: data["ticket_id"] == ticket_id


async def test_sla_breached_once_per_target_even_with_two_schedulers_at_once(service: Service) -> None:
    rid = await service.new_reseller()
    ticket = await service.open_ticket(rid, "A")
    first, second = service.scheduler(), service.scheduler()
    service.clock.set(START + timedelta(hours=3, minutes=59))
    await asyncio.gather(first.tick(), second.tick())  # warning (80%) only
    service.clock.set(START + timedelta(hours=4))  # the exact due time of the first response
    await asyncio.gather(first.tick(), second.tick())
    await asyncio.gather(first.tick(), second.tick())
    breaches = await service.events("bss.support.SlaBreached.v1", of_ticket(ticket["id"]), expected=1)
    assert len(breaches) == 1
    assert breaches[0]["target"] == "first_response"
    assert utc(breaches[0]["due_at"]) == START + timedelta(hours=4)
    async with service.runtime.sessions() as session:
        kinds = (
            await session.execute(
                select(SlaAlert.kind, func.count()).where(SlaAlert.ticket_id == ticket["id"]).group_by(SlaAlert.kind)
            )
        ).all()
    assert sorted(kinds) == [("breach", 1), ("warning", 1)]  # the first response warned at 80%, once


async def test_breach_stays_after_severity_change_and_is_not_raised_again(service: Service) -> None:
    rid = await service.new_reseller()
    ticket = await service.open_ticket(rid, "A")
    scheduler = service.scheduler()
    service.clock.set(START + timedelta(hours=5))
    await scheduler.tick()
    await service.call(
        "POST", f"/v1/tickets/{ticket['id']}/severity", SUPPORT_AGENT, json={"severity": "C", "reason": "one machine"}
    )
    await scheduler.tick()
    seen = (await service.call("GET", f"/v1/tickets/{ticket['id']}", reseller(rid))).json()
    first = {t["target"]: t for t in seen["targets"]}["first_response"]
    assert (first["state"], first["breached_under"]) == ("breached", "A")
    breaches = await service.events("bss.support.SlaBreached.v1", of_ticket(ticket["id"]), expected=1)
    assert [(b["target"], b["severity"]) for b in breaches] == [("first_response", "A")]


async def test_scheduler_sleeps_until_the_next_exact_warning_or_due_time(service: Service) -> None:
    rid = await service.new_reseller()
    await service.open_ticket(rid, "A")
    scheduler = service.scheduler()
    await scheduler.tick()
    assert await scheduler.seconds_to_next() <= (timedelta(hours=4) * 0.8).total_seconds()


async def test_ticket_fee_of_non_certified_reseller_waits_for_the_subscription_and_is_charged_once(
    service: Service,
) -> None:
    rid = await service.new_reseller(subscription=False)
    ticket = await service.open_ticket(rid, "C")
    subscription = SubscriptionCreatedV1.example().model_copy(
        update={"reseller_id": rid, "subscription_id": str(uuid.uuid4())}
    )
    await service.publish(subscription, times=2)  # a redelivery changes nothing
    charges = await service.events("bss.support.IncidentCharged.v1", of_ticket(ticket["id"]), expected=1)
    assert [(c["kind"], c["amount"], c["currency"]) for c in charges] == [("ticket_fee", "45.00", "EUR")]
    assert charges[0]["subscription_id"] == subscription.subscription_id


async def test_confirmed_product_defect_reverses_the_ticket_fee(service: Service) -> None:
    rid = await service.new_reseller()
    ticket = await service.open_ticket(rid, "B")
    path = f"/v1/tickets/{ticket['id']}"
    await service.call("POST", f"{path}/messages", SUPPORT_AGENT, json={"body": "Known defect"})
    done = await service.call(
        "POST",
        f"{path}/state",
        SUPPORT_AGENT,
        json={"state": "resolved", "resolution": "fixed_in_next_release", "confirmed_defect": True},
    )
    assert done.status_code == 200
    credits = await service.events("bss.support.IncidentCredited.v1", of_ticket(ticket["id"]), expected=1)
    assert [(c["kind"], c["amount"]) for c in credits] == [("charge_reversal", "45.00")]


async def test_certified_reseller_pays_no_ticket_fee(service: Service) -> None:
    rid = await service.new_reseller()
    for name in ("Ana", "Ben"):
        await service.call(
            "POST",
            f"/v1/resellers/{rid}/certified-employees",
            SUPPORT_AGENT,
            json={"name": name, "certified_on": "2024-01-15"},
        )
    ticket = await service.open_ticket(rid, "C")
    kinds = ("bss.support.TicketOpened.v1", "bss.support.IncidentCharged.v1")
    found = await service.events(kinds, of_ticket(ticket["id"]), expected=1)  # a fee would follow the opening
    assert [event["_type"] for event in found] == ["bss.support.TicketOpened.v1"]


async def test_certification_changed_when_certified_and_again_at_expiry(service: Service) -> None:
    rid = await service.new_reseller()
    path = f"/v1/resellers/{rid}/certified-employees"
    future = await service.call("POST", path, SUPPORT_AGENT, json={"name": "Zoe", "certified_on": "2024-03-05"})
    assert future.status_code == 422
    assert future.json()["errors"][0]["field"] == "certified_on"
    one = await service.call("POST", path, SUPPORT_AGENT, json={"name": "Ana", "certified_on": "2024-01-15"})
    assert one.json()["certified"] is False
    two = await service.call("POST", path, SUPPORT_AGENT, json={"name": "Ben", "certified_on": "2024-02-01"})
    assert two.json() == {"reseller_id": rid, "certified": True, "certified_engineers": 2, "valid_until": "2025-07-14"}
    scheduler = service.scheduler()
    service.clock.set(START + timedelta(days=500))  # 2025-07-17: Ana's certification ran out on 2025-07-14
    await asyncio.gather(scheduler.tick(), service.scheduler().tick())
    changes = await service.events("bss.support.CertificationChanged.v1", lambda d: d["reseller_id"] == rid, expected=2)
    assert [(c["change"], c["certified"]) for c in changes] == [("certified", True), ("expired", False)]
    assert changes[1]["effective_at"].startswith("2025-07-15")


async def test_tier_one_program_activated_once_at_finished(service: Service) -> None:
    service.clock.set(START + timedelta(days=200))
    created = await service.call("POST", "/v1/tier-one-programs", ADMIN, json={"name": "EU", "accounts": 120})
    program = created.json()
    assert program["compliant"] is False
    assert len(program["missing"]) == 2
    path = f"/v1/tier-one-programs/{program['id']}"
    for name, languages in (("Ana", ["de"]), ("Ben", ["EN"]), ("Cem", ["tr"])):
        await service.call("POST", f"{path}/engineers", ADMIN, json={"name": name, "languages": languages})
    assert (await service.call("GET", f"{path}/compliance", SUPPORT_AGENT)).json()["missing"] == []
    days = [
        date(2024, 3, 1),
        date(2024, 3, 10),
        date(2024, 3, 20),
        date(2024, 4, 1),
        date(2024, 4, 2),
        date(2024, 6, 3),
    ]
    for step, day in enumerate(days, start=1):
        assert (
            await service.call("POST", f"{path}/steps", ADMIN, json={"step": step, "completed_on": str(day)})
        ).status_code == 201
    finish = {"step": 7, "completed_on": "2024-06-05"}
    responses = await asyncio.gather(*(service.call("POST", f"{path}/steps", ADMIN, json=finish) for _ in range(2)))
    assert sorted(r.status_code for r in responses) == [201, 409]
    activated = await service.events(
        "bss.support.TierOneProgramActivated.v1", lambda d: d["program_id"] == program["id"], expected=1
    )
    assert [(a["checkpoint_passed_on"], a["effective_from"], a["discount_percent"]) for a in activated] == [
        ("2024-06-03", "2024-06-05", "10")
    ]


async def test_checkpoint_before_two_months_of_mentoring_is_refused(service: Service) -> None:
    program = (await service.call("POST", "/v1/tier-one-programs", ADMIN, json={"name": "X", "accounts": 10})).json()
    path = f"/v1/tier-one-programs/{program['id']}/steps"
    for step in range(1, 6):
        await service.call("POST", path, ADMIN, json={"step": step, "completed_on": f"2024-01-0{step}"})
    refused = await service.call("POST", path, ADMIN, json={"step": 6, "completed_on": "2024-02-20"})
    assert refused.status_code == 409
    assert "2 months" in refused.json()["detail"]


async def test_incidents_beyond_quota_are_charged_and_unknown_bugs_credit_the_quota(service: Service) -> None:
    rid = await service.new_reseller(signed_on=date(2024, 1, 1))  # past the 30 unlimited days on 2024-03-04
    for name in ("Ana", "Ben"):  # certified: no ticket fee to muddle the charges
        await service.call(
            "POST",
            f"/v1/resellers/{rid}/certified-employees",
            SUPPORT_AGENT,
            json={"name": name, "certified_on": "2024-01-15"},
        )
    ticket = await service.open_ticket(rid, "C", incidents=[f"issue {n}" for n in range(20)])
    extra = await service.call(
        "POST", f"/v1/tickets/{ticket['id']}/incidents", reseller(rid), json={"summary": "issue 21"}
    )
    assert extra.json()["billable"] is True
    finding = await service.call(
        "POST", f"/v1/incidents/{extra.json()['id']}/findings", SUPPORT_AGENT, json={"unknown_bug": True}
    )
    assert finding.json()["counted"] is False
    charges = await service.events("bss.support.IncidentCharged.v1", of_ticket(ticket["id"]), expected=1)
    assert [(c["kind"], c["incident_id"]) for c in charges] == [("paid_incident", extra.json()["id"])]
    credits = await service.events("bss.support.IncidentCredited.v1", of_ticket(ticket["id"]), expected=1)
    assert [(c["kind"], c["quota_incidents"]) for c in credits] == [("quota_credit", 1)]
