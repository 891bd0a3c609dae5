"""The Tier 1 reports A-E through the API: JSON and CSV, period filter, staff only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.harness.identity import ADMIN, SUPPORT_AGENT, reseller
from tests.integration.support_sla.conftest import START
from tests.integration.support_sla.harness import Service

pytestmark = pytest.mark.asyncio(loop_scope="session")
PERIOD = {"from": "2024-03-04T00:00:00Z", "to": "2024-03-05T00:00:00Z"}


async def test_reports_a_to_e_count_cases_and_sla_attainment(service: Service) -> None:
    rid = await service.new_reseller(country="FR")
    on_time = await service.open_ticket(rid, "A")
    late = await service.open_ticket(rid, "A")
    service.clock.set(START + timedelta(hours=1))
    await service.call("POST", f"/v1/tickets/{on_time['id']}/messages", SUPPORT_AGENT, json={"body": "On it"})
    resolve = {"state": "resolved", "resolution": "solved"}
    await service.call("POST", f"/v1/tickets/{on_time['id']}/state", SUPPORT_AGENT, json=resolve)
    service.clock.set(START + timedelta(hours=6))
    await service.call("POST", f"/v1/tickets/{late['id']}/messages", SUPPORT_AGENT, json={"body": "Sorry"})

    a = (await service.call("GET", "/v1/reports/a", SUPPORT_AGENT, params=PERIOD)).json()
    mine = [row for row in a["rows"] if row["reseller_id"] == rid]
    assert [(r["cases"], r["count"], r["sla_attainment_percent"]) for r in mine] == [(2, 1, 100.0)]
    b = (await service.call("GET", "/v1/reports/b", SUPPORT_AGENT, params=PERIOD)).json()
    assert [(r["month"], r["cases"]) for r in b["rows"] if r["region"] == "FR"] == [("2024-03", 2)]
    c = (await service.call("GET", "/v1/reports/c", SUPPORT_AGENT, params=PERIOD)).json()["rows"][0]
    assert c["open_cases"] >= 1
    assert c["<1d"] == c["open_cases"]
    e = (await service.call("GET", "/v1/reports/e", SUPPORT_AGENT, params=PERIOD)).json()["rows"]
    assert any(row["severity"] == "A" and row["count"] >= 1 for row in e)
    (d,) = (await service.call("GET", "/v1/reports/d", SUPPORT_AGENT, params=PERIOD)).json()["rows"]
    assert d["sla_breaches"] >= 1  # the reply after 6 hours missed severity A's first response
    assert d["sla_attainment_percent"] == round(100 * (d["count"] - d["sla_breaches"]) / d["count"], 2)
    d_csv = await service.call("GET", "/v1/reports/d", ADMIN, params=PERIOD | {"format": "csv"})
    assert d_csv.headers["content-type"].startswith("text/csv")
    header, values = d_csv.text.splitlines()[:2]
    assert header == "cases,count,mean_seconds,median_seconds,p90_seconds,sla_attainment_percent,sla_breaches"
    assert values.split(",")[0] != "0"


async def test_report_period_ending_before_it_starts_is_problem_json(service: Service) -> None:
    response = await service.call(
        "GET", "/v1/reports/a", SUPPORT_AGENT, params={"from": PERIOD["to"], "to": PERIOD["from"]}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "to"


async def test_unknown_report_and_reseller_callers_are_refused(service: Service) -> None:
    assert (await service.call("GET", "/v1/reports/f", SUPPORT_AGENT)).status_code == 422
    rid = await service.new_reseller()
    assert (await service.call("GET", "/v1/reports/a", reseller(rid))).status_code == 403
