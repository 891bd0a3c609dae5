"""Settings as effective-dated data (`bss.effective_settings`): as-of reads, corrections, removal, the audit
trail and seeding, on the real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import pytest_asyncio
from pydantic import BaseModel, Field
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bss.db import create_engine
from bss.effective_settings import (
    SEED_ACTOR,
    InvalidScope,
    SettingKind,
    SettingsStore,
    define_table,
    upper_code,
)
from tests.harness.databases import DatabaseFactory

pytestmark = pytest.mark.asyncio(loop_scope="session")

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Rate(BaseModel):
    rate_percent: Decimal = Field(ge=0, le=100)


RATES = SettingKind(
    name="tax-rates",
    title="Tax rate",
    description="A country's rate.",
    value_type=Rate,
    scope_label="country",
    normalize_scope=upper_code(2, "a country code"),
    example_scope="DE",
)


@pytest_asyncio.fixture(loop_scope="session")
async def store_and_sessions(
    databases: DatabaseFactory,
) -> AsyncIterator[tuple[SettingsStore, async_sessionmaker[AsyncSession]]]:
    metadata = MetaData()
    table = define_table(metadata)
    engine = create_engine(await databases.create("effective_settings"), pool_size=1)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.drop_all)
        await connection.run_sync(metadata.create_all)
    try:
        yield SettingsStore(table, [RATES]), async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


async def _set(
    store: SettingsStore, session: AsyncSession, scope: str, rate: str | None, on: date, by: str = "admin-1"
) -> None:
    value = Rate(rate_percent=Decimal(rate)) if rate is not None else None
    await store.change(session, RATES, scope, value, effective_from=on, recorded_by=by, recorded_at=T0)


async def test_a_value_applies_from_its_effective_date_and_not_before(
    store_and_sessions: tuple[SettingsStore, async_sessionmaker[AsyncSession]],
) -> None:
    store, sessions = store_and_sessions
    async with sessions() as session, session.begin():
        await _set(store, session, "DE", "19", date(2020, 1, 1))
        await _set(store, session, "DE", "16", date(2020, 7, 1))
        await _set(store, session, "DE", "19", date(2021, 1, 1))
    async with sessions() as session:
        assert await store.value_of(session, RATES, "DE", date(2019, 12, 31)) is None
        assert await store.value_of(session, RATES, "DE", date(2020, 6, 30)) == Rate(rate_percent=Decimal(19))
        assert await store.value_of(session, RATES, "DE", date(2020, 7, 1)) == Rate(rate_percent=Decimal(16))
        assert await store.value_of(session, RATES, "DE", date(2020, 12, 31)) == Rate(rate_percent=Decimal(16))
        assert await store.value_of(session, RATES, "DE", date(2021, 1, 1)) == Rate(rate_percent=Decimal(19))


async def test_a_later_change_for_the_same_day_corrects_the_earlier_one_and_both_stay_in_the_trail(
    store_and_sessions: tuple[SettingsStore, async_sessionmaker[AsyncSession]],
) -> None:
    store, sessions = store_and_sessions
    async with sessions() as session, session.begin():
        await _set(store, session, "CH", "8.0", date(2024, 1, 1))
        await _set(store, session, "CH", "8.1", date(2024, 1, 1), by="admin-2")
    async with sessions() as session:
        assert await store.value_of(session, RATES, "CH", date(2024, 3, 1)) == Rate(rate_percent=Decimal("8.1"))
        trail = await store.history(session, kind=RATES, scope="CH")
    assert [(v.value, v.previous, v.recorded_by) for v in trail] == [
        (Rate(rate_percent=Decimal("8.0")), None, "admin-1"),
        (Rate(rate_percent=Decimal("8.1")), Rate(rate_percent=Decimal("8.0")), "admin-2"),
    ]


async def test_a_removed_value_is_not_in_force_after_its_removal_and_is_before(
    store_and_sessions: tuple[SettingsStore, async_sessionmaker[AsyncSession]],
) -> None:
    store, sessions = store_and_sessions
    async with sessions() as session, session.begin():
        await _set(store, session, "GB", "20", date(2011, 1, 4))
        await _set(store, session, "JP", "10", date(2019, 10, 1))
        await _set(store, session, "GB", None, date(2030, 1, 1))
    async with sessions() as session:
        before = await store.in_force(session, RATES, date(2029, 12, 31))
        after = await store.in_force(session, RATES, date(2030, 1, 1))
    assert before["GB"].value == Rate(rate_percent=Decimal(20))
    assert "GB" not in after
    assert after["JP"].value == Rate(rate_percent=Decimal(10))


async def test_decimal_values_come_back_exact(
    store_and_sessions: tuple[SettingsStore, async_sessionmaker[AsyncSession]],
) -> None:
    store, sessions = store_and_sessions
    async with sessions() as session, session.begin():
        await _set(store, session, "SE", "25.000000000001", date(2025, 1, 1))
    async with sessions() as session:
        value = await store.value_of(session, RATES, "SE", date(2025, 1, 1))
    assert value is not None
    assert value.rate_percent == Decimal("25.000000000001")


async def test_seeding_writes_only_into_a_kind_that_has_no_changes_yet(
    databases: DatabaseFactory,
) -> None:
    metadata = MetaData()
    table = define_table(metadata)
    engine = create_engine(await databases.create("effective_settings_seed"), pool_size=1)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.drop_all)
            await connection.run_sync(metadata.create_all)
        store = SettingsStore(table, [RATES])
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        seed = {"DE": Rate(rate_percent=Decimal(19)), "US": Rate(rate_percent=Decimal(0))}
        async with sessions() as session, session.begin():
            first = await store.seed_if_empty(session, RATES, seed, effective_from=date(1970, 1, 1), recorded_at=T0)
            second = await store.seed_if_empty(session, RATES, seed, effective_from=date(1970, 1, 1), recorded_at=T0)
        async with sessions() as session:
            trail = await store.history(session)
        assert (first, second) == (2, 0)
        assert {v.recorded_by for v in trail} == {SEED_ACTOR}
    finally:
        await engine.dispose()


async def test_a_country_scope_is_two_letters_upper_cased() -> None:
    assert RATES.scope(" de ") == "DE"
    with pytest.raises(InvalidScope, match="2 letters"):
        RATES.scope("DEU")
    with pytest.raises(InvalidScope):
        RATES.scope("D1")
