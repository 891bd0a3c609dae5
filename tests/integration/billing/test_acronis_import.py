"""The sample Acronis report imported through the admin endpoint, twice: the second import changes nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from billing.models import UsageAggregateRow, UsageEventRow
from bss.embedded_broker import EmbeddedBroker
from tests.harness.databases import DatabaseFactory
from tests.harness.identity import ADMIN, headers_for
from tests.integration.billing.world import STORAGE, WORKSTATION, billing_world

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

SAMPLE = Path(__file__).resolve().parents[3] / "services/billing/billing/samples/acronis_usage_report.csv"
CONTOSO = "7c2e5a10-1111-4a7b-9a1e-000000000001"


async def test_sample_report_is_imported_once_and_reimport_changes_nothing(
    broker: EmbeddedBroker, databases: DatabaseFactory
) -> None:
    async with billing_world(broker, databases) as world:
        reseller_id, subscription_id = await world.subscribe()
        mapping = {
            "tenants": [
                {
                    "acronis_tenant_id": CONTOSO,
                    "reseller_id": reseller_id,
                    "subscription_id": subscription_id,
                    "customer_id": CONTOSO,
                }
            ],
            "offering_items": [
                {"offering_item": "pw_base_storage", "sku": STORAGE, "value_field": "absolute_value"},
                {"offering_item": "pw_workstations", "sku": WORKSTATION, "value_field": "value"},
            ],
        }
        admin = headers_for(ADMIN)
        assert (await world.client.put("/v1/acronis/mappings", json=mapping, headers=admin)).status_code == 200
        report = SAMPLE.read_bytes()
        first = await world.client.post("/v1/acronis/usage-reports", content=report, headers=admin)
        assert first.json()["accepted"] == 4, first.text
        assert len(first.json()["skipped"]) == 3
        await world.wait_counted(4, subscription_id)
        again = await world.client.post("/v1/acronis/usage-reports", content=report, headers=admin)
        assert (again.json()["accepted"], again.json()["duplicate"]) == (0, 4)
        async with world.runtime.sessions() as session:
            rows = (
                (
                    await session.execute(
                        select(UsageAggregateRow).where(UsageAggregateRow.subscription_id == subscription_id)
                    )
                )
                .scalars()
                .all()
            )
            last = {row.sku: (row.last_value, row.peak) for row in rows}
        assert last[STORAGE][0] == Decimal(1600)  # the 28th's 1,717,986,918,400 bytes
        assert last[WORKSTATION][1] == Decimal(15)
        assert sum(row.readings for row in rows) == 4  # the report sent again counted nothing
        customers = await world.client.get(f"/v1/resellers/{reseller_id}/customers", headers=admin)
        assert [(c["customer_id"], c["name"], c["source"]) for c in customers.json()] == [
            (CONTOSO, "Contoso Dental", "acronis")  # the report's tenant name
        ]
        renamed = await world.client.put(
            f"/v1/resellers/{reseller_id}/customers/{CONTOSO}", json={"name": "Contoso Dental AG"}, headers=admin
        )
        assert renamed.status_code == 200
        await world.client.post("/v1/acronis/usage-reports", content=report, headers=admin)
        customers = await world.client.get(f"/v1/resellers/{reseller_id}/customers", headers=admin)
        assert [c["name"] for c in customers.json()] == ["Contoso Dental AG"]  # a report never renames it back
        bad = await world.client.post("/v1/acronis/usage-reports", content=b"nope\n1\n", headers=admin)
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "body"


HEADER = b"date,tenant_id,offering_item,measurement_unit,value,absolute_value\n"
HOSTILE_REPORTS = {
    "not UTF-8": b"\xda:\r\xef3\xc2\x9beE\xf0\x1b\xf2\xb7\xa1\xae\xc2\x8d6\xb2",  # what schemathesis sent
    "a cell over csv's field limit": HEADER + b"2024-01-02,t,x,bytes,1," + b"9" * 200_000 + b"\n",
    "fewer cells than the header": HEADER + b"2024-01-02,t,x\n",
    "a quantity beyond the quantity rule": HEADER + b"2024-01-02," + CONTOSO.encode() + b",x,bytes,1e2000000,1\n",
    "garbage": b"\x00\x01\x02,\n\r\n\x1b[31m",
}


@pytest.mark.parametrize("name", HOSTILE_REPORTS)
async def test_a_hostile_report_is_refused_whole_naming_its_line_and_nothing_is_written(
    name: str, broker: EmbeddedBroker, databases: DatabaseFactory
) -> None:
    async with billing_world(broker, databases) as world:
        before = await world.count(UsageEventRow)
        answer = await world.client.post(
            "/v1/acronis/usage-reports", content=HOSTILE_REPORTS[name], headers=headers_for(ADMIN)
        )
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["errors"][0]["field"] == "body"
        assert await world.count(UsageEventRow) == before
