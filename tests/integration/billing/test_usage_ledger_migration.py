"""Migration 0013 re-keys the usage ledger without losing a row: each event decided before it keeps its fate,
reason, conflicts and what it named, and compares with a resend exactly as it did (ADR 0022); downgrading
brings the rows back under their ids."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Connection

from billing.adapters.usage_store import usage_store_for
from billing.adapters.usage_wire import event_key, read_usage
from billing.main import MIGRATIONS_DIR
from billing.models import UsageEventRow, messaging
from billing.usecases.usage_fate import find_fate
from bss.db import create_engine, session_factory
from bss.exact_numeric import ExactDecimal
from bss.messaging.outbox import Outbox
from bss.migrations import alembic_config
from bss.utc_datetime import UtcDateTime
from bss.uuid_text import UuidText
from tests.harness.databases import DatabaseFactory
from tests.harness.legacy_usage_ledger import legacy_fingerprint

pytestmark = pytest.mark.asyncio(loop_scope="session")

RECEIVED = datetime(2024, 2, 5, 12, 0, tzinfo=UTC)
MEASURED = datetime(2024, 2, 3, 10, 15, tzinfo=UTC)
DATA: dict[str, Any] = {
    "reseller_id": "0190c3a1-2001-7000-8000-000000000201",
    "subscription_id": "0190c3a1-3001-7000-8000-000000000301",
    "customer_id": "3f2d8c1e-5b7a-4e0f-9c61-0a8b7d6e5f41",
    "sku": "SKU-BACKUP-JOBS",
    "quantity": "12.50",
    "measured_at": MEASURED.isoformat(),
    "source": "collector",
}

# The ledger as migrations 0002 and 0006 left it.
legacy = sa.Table(
    "usage_events",
    sa.MetaData(),
    sa.Column("event_id", sa.String(200), primary_key=True),
    sa.Column("fingerprint", sa.String(64)),
    sa.Column("status", sa.String(10)),
    sa.Column("reason_code", sa.String(40)),
    sa.Column("detail", sa.Text),
    sa.Column("subscription_id", UuidText()),
    sa.Column("sku", sa.String(100)),
    sa.Column("customer_id", UuidText()),
    sa.Column("quantity", ExactDecimal()),
    sa.Column("measured_at", UtcDateTime()),
    sa.Column("aggregated", sa.Boolean),
    sa.Column("billed_in", sa.Date),
    sa.Column("conflicts", sa.Integer),
    sa.Column("received_at", UtcDateTime()),
)


def legacy_row(event_id: str, status: str, reason: str | None, conflicts: int) -> dict[str, Any]:
    counted = status == "accepted"
    return {
        "event_id": event_id,
        "fingerprint": legacy_fingerprint(read_usage(DATA))
        if counted
        else hashlib.blake2b(event_id.encode()).hexdigest()[:32],
        "status": status,
        "reason_code": reason,
        "detail": None if counted else f"refused: {reason}",
        "subscription_id": DATA["subscription_id"],
        "sku": DATA["sku"],
        "customer_id": DATA["customer_id"],
        "quantity": Decimal("12.5"),
        "measured_at": MEASURED,
        "aggregated": counted,
        "billed_in": None,
        "conflicts": conflicts,
        "received_at": RECEIVED,
    }


async def test_migration_0013_keys_every_row_and_loses_nothing_up_and_down(databases: DatabaseFactory) -> None:
    url = await databases.create("ledger_0013")
    engine = create_engine(url)
    config = alembic_config(MIGRATIONS_DIR, url)

    def migrate(step: Callable[[Any, str], None], revision: str) -> Callable[[Connection], None]:
        def run(connection: Connection) -> None:
            config.attributes["connection"] = connection
            step(config, revision)

        return run

    counted, refused, waiting = str(uuid.uuid4()), "evt-42", str(uuid.uuid4()).upper()
    rows = [
        legacy_row(counted, "accepted", None, conflicts=1),
        legacy_row(refused, "rejected", "unknown_sku", conflicts=0),
        legacy_row(waiting, "rejected", "unknown_subscription", conflicts=0),
    ]
    try:
        async with engine.begin() as connection:
            await connection.run_sync(migrate(command.upgrade, "0012"))
            await connection.execute(legacy.insert(), rows)
        async with engine.begin() as connection:
            await connection.run_sync(migrate(command.upgrade, "0013"))

        sessions = session_factory(engine)
        async with sessions() as session:
            ledger = {row.event_key: row for row in (await session.execute(sa.select(UsageEventRow))).scalars()}
            assert set(ledger) == {counted, event_key(refused), event_key(waiting)}
            first = ledger[counted]
            assert first.fingerprint == read_usage(DATA).fingerprint()  # a resend still compares equal
            assert (first.event_id, first.reason_code, first.conflicts) == (None, None, 1)
            assert (first.sku, first.quantity, first.measured_at) == (DATA["sku"], Decimal("12.5"), MEASURED)
            assert first.received_at == RECEIVED
            assert (ledger[event_key(refused)].event_id, ledger[event_key(refused)].reason_code) == (
                refused,
                "unknown_sku",
            )
            assert ledger[event_key(waiting)].conflicts is None
            decided = await usage_store_for(url).lookup(session, list(ledger))
            assert {key: entry.decided for key, entry in decided.items()} == {
                counted: True,
                event_key(refused): True,
                event_key(waiting): False,  # still judged afresh when sent again
            }
            outbox = Outbox(messaging, source="/bss/billing")
            fate = await find_fate(session, outbox, counted)
            assert fate is not None
            assert (fate.status, fate.counted, fate.conflicts, fate.subscription_id) == (
                "accepted",
                True,
                1,
                DATA["subscription_id"],
            )
            fate = await find_fate(session, outbox, refused)
            assert fate is not None
            assert (fate.status, fate.reason_code, fate.detail) == ("rejected", "unknown_sku", "refused: unknown_sku")

        async with engine.begin() as connection:
            await connection.run_sync(migrate(command.downgrade, "0012"))
        async with engine.connect() as connection:
            back = {row.event_id: row for row in await connection.execute(sa.select(legacy))}
        assert set(back) == {counted, refused, waiting}
        for row in rows:
            again = back[row["event_id"]]
            assert again.fingerprint == row["fingerprint"][:16]  # the 64 bits the new ledger keeps
            expected = (row["status"], row["reason_code"], row["conflicts"])
            assert (again.status, again.reason_code, again.conflicts) == expected
            assert (again.detail, again.quantity, again.received_at) == (row["detail"], row["quantity"], RECEIVED)
            assert again.aggregated == row["aggregated"]
    finally:
        await engine.dispose()
