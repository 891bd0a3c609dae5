"""UtcDateTime through a real database: aware datetimes in, the same instant in UTC out, ordered by time.

Runs on a SQLite file always and on PostgreSQL when DATABASE_URL names a server (a throwaway database
`bss_test_utc_<random>` is created there and dropped afterwards).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, Table, delete, insert, select
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from bss.db import new_metadata
from bss.utc_datetime import UtcDateTime
from tests.harness.databases import BOTH_BACKENDS, engine_with

metadata = new_metadata()
moments = Table(
    "utc_moments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime(), nullable=True),
)

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
KOLKATA = ZoneInfo("Asia/Kolkata")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
KIRITIMATI = timezone(timedelta(hours=14))
MARQUESAS = timezone(-timedelta(hours=9, minutes=30))


@pytest_asyncio.fixture(scope="module", loop_scope="session", params=BOTH_BACKENDS)
async def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    async with engine_with(request.param, metadata, "utc", tmp_path_factory.mktemp("utc_datetime")) as instance:
        yield instance


async def _replace_rows(engine: AsyncEngine, values: Sequence[datetime | None]) -> None:
    async with engine.begin() as connection:
        await connection.execute(delete(moments))
        if values:
            await connection.execute(insert(moments), [{"id": i, "at": at} for i, at in enumerate(values)])


async def _stored(engine: AsyncEngine) -> list[datetime | None]:
    async with engine.connect() as connection:
        return list((await connection.execute(select(moments.c.at).order_by(moments.c.id))).scalars())


def _assert_same_instant_in_utc(stored: datetime | None, original: datetime) -> None:
    assert stored is not None
    # Compare in UTC: Python never finds a time in a DST gap or fold equal to one in another zone (PEP 495).
    assert stored == original.astimezone(UTC)
    assert stored.utcoffset() == timedelta(0)
    assert stored.tzinfo == UTC
    assert stored.replace(tzinfo=None) == original.astimezone(UTC).replace(tzinfo=None)


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 1, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2024, 2, 1, 8, 30, tzinfo=TOKYO),  # 2024-01-31 23:30 UTC: another month in UTC
        datetime(2024, 7, 1, 0, 15, tzinfo=LOS_ANGELES),  # summer time, UTC-7
        datetime(2024, 12, 31, 19, 0, tzinfo=NEW_YORK),  # winter time, UTC-5: next year in UTC
        datetime(2024, 3, 10, 12, 0, 0, 123456, tzinfo=KOLKATA),  # UTC+5:30
        datetime(2024, 1, 1, 0, 0, tzinfo=LORD_HOWE),  # UTC+11 with a half-hour DST shift
        datetime(2024, 1, 1, 0, 0, tzinfo=KIRITIMATI),
        datetime(2023, 12, 31, 23, 0, tzinfo=MARQUESAS),
    ],
    ids=str,
)
async def test_aware_datetime_comes_back_as_the_same_instant_in_utc(engine: AsyncEngine, moment: datetime) -> None:
    await _replace_rows(engine, [moment])
    [stored] = await _stored(engine)
    _assert_same_instant_in_utc(stored, moment)


@pytest.mark.asyncio(loop_scope="session")
async def test_the_two_occurrences_of_an_ambiguous_local_time_stay_distinct_instants(engine: AsyncEngine) -> None:
    # 2024-11-03 01:30 happens twice in New York: first in summer time (UTC-4), then in winter time (UTC-5).
    first = datetime(2024, 11, 3, 1, 30, fold=0, tzinfo=NEW_YORK)
    second = datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=NEW_YORK)
    await _replace_rows(engine, [first, second])
    assert await _stored(engine) == [
        datetime(2024, 11, 3, 5, 30, tzinfo=UTC),
        datetime(2024, 11, 3, 6, 30, tzinfo=UTC),
    ]


@pytest.mark.asyncio(loop_scope="session")
@settings(max_examples=30, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(1971, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive; the zone comes from `timezones`
        max_value=datetime(2100, 12, 31),  # noqa: DTZ001
        timezones=st.timezones(),
    )
)
async def test_any_zone_comes_back_as_the_same_instant_in_utc(engine: AsyncEngine, moment: datetime) -> None:
    await _replace_rows(engine, [moment])
    [stored] = await _stored(engine)
    _assert_same_instant_in_utc(stored, moment)


@pytest.mark.asyncio(loop_scope="session")
async def test_null_round_trips(engine: AsyncEngine) -> None:
    await _replace_rows(engine, [None])
    assert await _stored(engine) == [None]


class _NoOffset(tzinfo):
    """A tzinfo that does not know its offset: as unknowable as no zone at all."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(
    "naive",
    [
        datetime(2024, 1, 1, 12, 0),  # noqa: DTZ001 - the point of the test
        datetime(2024, 1, 1, 12, 0, tzinfo=_NoOffset()),
    ],
    ids=["no-tzinfo", "tzinfo-without-offset"],
)
async def test_naive_datetime_is_refused_at_bind(engine: AsyncEngine, naive: datetime) -> None:
    with pytest.raises(StatementError, match="naive datetimes are refused") as refused:
        await _replace_rows(engine, [naive])
    assert isinstance(refused.value.orig, ValueError)


@pytest.mark.asyncio(loop_scope="session")
async def test_naive_datetime_is_refused_in_a_where_clause(engine: AsyncEngine) -> None:
    await _replace_rows(engine, [datetime(2024, 1, 1, tzinfo=UTC)])
    naive = datetime(2024, 1, 1)  # noqa: DTZ001 - the point of the test
    async with engine.connect() as connection:
        with pytest.raises(StatementError, match="naive datetimes are refused"):
            await connection.execute(select(moments.c.id).where(moments.c.at < naive))


@pytest.mark.asyncio(loop_scope="session")
async def test_a_value_that_is_not_a_datetime_is_refused_at_bind(engine: AsyncEngine) -> None:
    with pytest.raises(StatementError, match="takes datetime values") as refused:
        await _replace_rows(engine, ["2024-01-01T00:00:00+00:00"])  # type: ignore[list-item]
    assert isinstance(refused.value.orig, TypeError)


# Local wall times whose wall-clock order is not their time order.
ACROSS_ZONES = [
    datetime(2024, 5, 1, 23, 0, tzinfo=LOS_ANGELES),  # 2024-05-02 06:00 UTC
    datetime(2024, 5, 2, 9, 0, tzinfo=TOKYO),  # 2024-05-02 00:00 UTC
    datetime(2024, 5, 2, 1, 59, tzinfo=NEW_YORK),  # 2024-05-02 05:59 UTC
    datetime(2024, 5, 2, 5, 0, tzinfo=KOLKATA),  # 2024-05-01 23:30 UTC
    datetime(2024, 5, 1, 21, 0, tzinfo=MARQUESAS),  # 2024-05-02 06:30 UTC
]


@pytest.mark.asyncio(loop_scope="session")
async def test_ordering_by_the_column_is_time_order_across_zones(engine: AsyncEngine) -> None:
    await _replace_rows(engine, ACROSS_ZONES)
    async with engine.connect() as connection:
        rows = (await connection.execute(select(moments.c.id, moments.c.at).order_by(moments.c.at))).all()
    in_time_order = sorted(range(len(ACROSS_ZONES)), key=lambda i: ACROSS_ZONES[i])
    assert [row.id for row in rows] == in_time_order == [3, 1, 2, 0, 4]
    assert [row.at for row in rows] == sorted(ACROSS_ZONES)


@pytest.mark.asyncio(loop_scope="session")
async def test_comparing_the_column_with_a_moment_in_another_zone_compares_instants(engine: AsyncEngine) -> None:
    await _replace_rows(engine, ACROSS_ZONES)
    cutoff = datetime(2024, 5, 2, 8, 0, tzinfo=ZoneInfo("Europe/Paris"))  # 2024-05-02 06:00 UTC
    async with engine.connect() as connection:
        later = (await connection.execute(select(moments.c.id).where(moments.c.at >= cutoff))).scalars().all()
    assert sorted(later) == sorted(i for i, at in enumerate(ACROSS_ZONES) if at >= cutoff)
    assert sorted(later) == [0, 4]


@pytest.mark.asyncio(loop_scope="session")
@settings(max_examples=20, deadline=None)
@given(
    values=st.lists(
        st.datetimes(
            min_value=datetime(2020, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive; the zone comes from `timezones`
            max_value=datetime(2030, 1, 1),  # noqa: DTZ001
            timezones=st.timezones(),
        ),
        min_size=2,
        max_size=12,
    )
)
async def test_ordering_by_the_column_is_time_order_for_any_zones(engine: AsyncEngine, values: list[datetime]) -> None:
    await _replace_rows(engine, values)
    async with engine.connect() as connection:
        ordered = (await connection.execute(select(moments.c.at).order_by(moments.c.at))).scalars().all()
    assert ordered == sorted(value.astimezone(UTC) for value in values)
