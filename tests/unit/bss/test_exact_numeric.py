"""ExactDecimal and the exact_* functions through a real database: every digit kept, arithmetic exact.

Runs on a SQLite file always and on PostgreSQL when DATABASE_URL names a server (a throwaway database
`bss_test_exact_<random>` is created there and dropped afterwards).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from decimal import Decimal, localcontext

import pytest
import pytest_asyncio
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, String, Table, delete, insert, select, update
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from bss.db import new_metadata
from bss.exact_numeric import ExactDecimal, exact_add, exact_max, exact_min, exact_sum, literal_decimal
from tests.harness.databases import BOTH_BACKENDS, engine_with

D = Decimal

metadata = new_metadata()
amounts = Table(
    "exact_amounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("grp", String(20), nullable=False, default="a"),
    Column("value", ExactDecimal(), nullable=True),
)

# Up to 10^18 with up to 12 decimals: 30 significant digits, beyond a 64-bit integer scaled by 10^9.
exact_values = st.builds(
    lambda coefficient, decimals: D(f"{coefficient}E-{decimals}"),
    st.integers(min_value=-(10**18), max_value=10**18),
    st.integers(min_value=0, max_value=12),
)


@pytest_asyncio.fixture(scope="module", loop_scope="session", params=BOTH_BACKENDS)
async def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    async with engine_with(request.param, metadata, "exact", tmp_path_factory.mktemp("exact_numeric")) as instance:
        yield instance


async def _replace_rows(engine: AsyncEngine, values: Iterable[Decimal | int | None], grp: str = "a") -> None:
    async with engine.begin() as connection:
        await connection.execute(delete(amounts))
        rows = [{"grp": grp, "value": value} for value in values]
        if rows:
            await connection.execute(insert(amounts), rows)


async def _scalar(engine: AsyncEngine, statement: object) -> Decimal | None:
    async with engine.connect() as connection:
        return (await connection.execute(statement)).scalar_one()  # type: ignore[call-overload,no-any-return]


def _exact_total(values: Iterable[Decimal]) -> Decimal:
    with localcontext() as exact:
        exact.prec = 200
        return sum(values, D(0))


# --- round trip -------------------------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(
    "value",
    [
        D("1234567890123456789012345678901234.567890"),  # 40 significant digits
        D("123456789012345678.123456789012"),  # 30 significant digits
        D("1000000000000000.000000000001"),  # 10^15 bytes and 12 decimals
        D("2500000000000000000.000000000125"),
        D("0.000000000000000000000001"),
        D("-98765432109876543210.98765432109876543210"),
        D("-0.000000000001"),
        D("0"),
        D("-0"),
        D("0.000"),
        D("1E+30"),
        D("7"),
    ],
)
async def test_exact_decimal_round_trips_every_digit(engine: AsyncEngine, value: Decimal) -> None:
    await _replace_rows(engine, [value])
    stored = await _scalar(engine, select(amounts.c.value))
    assert isinstance(stored, Decimal)
    assert stored == value


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(
    ("written", "read", "total"),
    [
        ("10.50", "10.5", "10.75"),
        ("30.000", "30", "30.25"),
        ("0.00", "0", "0.25"),
        ("-0.0", "0", "0.25"),
        ("1000", "1000", "1000.25"),
        ("0.125", "0.125", "0.375"),
    ],
)
async def test_exact_decimal_reads_the_same_digits_on_every_database(
    engine: AsyncEngine, written: str, read: str, total: str
) -> None:
    """PostgreSQL keeps a NUMERIC's scale (and a sum's) and SQLite stores canonical text: both read back
    without trailing fractional zeros, so a document shows the same digits whichever database it came from."""
    await _replace_rows(engine, [D(written), D("0.250")])
    stored = await _scalar(engine, select(amounts.c.value).where(amounts.c.value != D("0.25")))
    assert str(stored) == read
    assert str(await _scalar(engine, select(exact_sum(amounts.c.value)))) == total


@pytest.mark.asyncio(loop_scope="session")
async def test_exact_decimal_accepts_an_int(engine: AsyncEngine) -> None:
    await _replace_rows(engine, [10**20])
    assert await _scalar(engine, select(amounts.c.value)) == D(10**20)


@pytest.mark.asyncio(loop_scope="session")
async def test_exact_decimal_round_trips_null(engine: AsyncEngine) -> None:
    await _replace_rows(engine, [None])
    assert await _scalar(engine, select(amounts.c.value)) is None


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("value", [1.5, 0.1, True])
async def test_exact_decimal_refuses_float_at_bind(engine: AsyncEngine, value: object) -> None:
    with pytest.raises(StatementError, match="never float") as refused:
        await _replace_rows(engine, [value])  # type: ignore[list-item]
    assert isinstance(refused.value.orig, TypeError)


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("value", [D("NaN"), D("Infinity"), D("-Infinity")])
async def test_exact_decimal_refuses_nan_and_infinity_at_bind(engine: AsyncEngine, value: Decimal) -> None:
    with pytest.raises(StatementError, match="finite") as refused:
        await _replace_rows(engine, [value])
    assert isinstance(refused.value.orig, ValueError)


@pytest.mark.asyncio(loop_scope="session")
async def test_a_refused_float_in_a_where_clause_never_reaches_the_database(engine: AsyncEngine) -> None:
    await _replace_rows(engine, [D("1.5")])
    with pytest.raises(StatementError, match="never float"):
        await _scalar(engine, select(amounts.c.id).where(amounts.c.value == literal_decimal(1.5)))  # type: ignore[arg-type]


# --- exact_sum --------------------------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="session")
@settings(max_examples=30, deadline=None)
@given(values=st.lists(exact_values, min_size=1, max_size=40))
async def test_exact_sum_equals_the_exact_decimal_sum(engine: AsyncEngine, values: list[Decimal]) -> None:
    await _replace_rows(engine, values)
    assert await _scalar(engine, select(exact_sum(amounts.c.value))) == _exact_total(values)


@pytest.mark.asyncio(loop_scope="session")
async def test_exact_sum_keeps_digits_a_28_digit_context_would_round_away(engine: AsyncEngine) -> None:
    # 2,000 rows of 10^15 bytes with 12 decimals: the exact total has 31 significant digits.
    values = [D("1000000000000000.000000000001")] * 1_001 + [D("123456789.123456789012")] * 999
    await _replace_rows(engine, values)
    total = await _scalar(engine, select(exact_sum(amounts.c.value)))
    assert total == D("1001000123333332334.333332223989")
    assert total != sum(values, D(0))  # Python's default 28-digit context rounds this sum


@pytest.mark.asyncio(loop_scope="session")
async def test_exact_sum_of_30_digit_values_with_opposite_signs_cancels_exactly(engine: AsyncEngine) -> None:
    values = [D("123456789012345678.123456789012"), D("-123456789012345678.123456789011")]
    await _replace_rows(engine, values)
    assert await _scalar(engine, select(exact_sum(amounts.c.value))) == D("0.000000000001")


@pytest.mark.asyncio(loop_scope="session")
async def test_exact_sum_groups_per_key(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(delete(amounts))
        await connection.execute(
            insert(amounts),
            [
                {"grp": "a", "value": D("0.1")},
                {"grp": "a", "value": D("0.2")},
                {"grp": "b", "value": D("1000000000000000.000000000001")},
                {"grp": "b", "value": D("1000000000000000.000000000001")},
            ],
        )
        rows = await connection.execute(
            select(amounts.c.grp, exact_sum(amounts.c.value)).group_by(amounts.c.grp).order_by(amounts.c.grp)
        )
        assert [tuple(row) for row in rows] == [("a", D("0.3")), ("b", D("2000000000000000.000000000002"))]


@pytest.mark.asyncio(loop_scope="session")
async def test_exact_sum_of_no_rows_is_null(engine: AsyncEngine) -> None:
    await _replace_rows(engine, [])
    assert await _scalar(engine, select(exact_sum(amounts.c.value))) is None


@pytest.mark.asyncio(loop_scope="session")
async def test_exact_sum_of_only_nulls_is_null(engine: AsyncEngine) -> None:
    await _replace_rows(engine, [None, None])
    assert await _scalar(engine, select(exact_sum(amounts.c.value))) is None


@pytest.mark.asyncio(loop_scope="session")
async def test_exact_sum_skips_nulls(engine: AsyncEngine) -> None:
    await _replace_rows(engine, [D("1.5"), None, D("2.25")])
    assert await _scalar(engine, select(exact_sum(amounts.c.value))) == D("3.75")


# --- exact_max / exact_min --------------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(
    ("values", "largest", "smallest"),
    [
        (["9", "10"], "10", "9"),  # as text "9" > "10"
        (["-1", "0.5"], "0.5", "-1"),
        (["-1", "-20"], "-1", "-20"),  # as text "-1" < "-20"
        (["9.99", "10", "100", "2"], "100", "2"),
        (["0.000000000001", "0.0000000000009"], "0.000000000001", "0.0000000000009"),
        (
            ["1000000000000000.000000000001", "999999999999999.999999999999"],
            "1000000000000000.000000000001",
            "999999999999999.999999999999",
        ),
        (["1E+20", "99999999999999999999"], "1E+20", "99999999999999999999"),
    ],
)
async def test_exact_max_and_min_compare_numerically_not_as_text(
    engine: AsyncEngine, values: list[str], largest: str, smallest: str
) -> None:
    await _replace_rows(engine, [D(value) for value in values])
    assert await _scalar(engine, select(exact_max(amounts.c.value))) == D(largest)
    assert await _scalar(engine, select(exact_min(amounts.c.value))) == D(smallest)


@pytest.mark.asyncio(loop_scope="session")
@settings(max_examples=30, deadline=None)
@given(values=st.lists(exact_values, min_size=1, max_size=30))
async def test_exact_max_and_min_agree_with_python(engine: AsyncEngine, values: list[Decimal]) -> None:
    await _replace_rows(engine, values)
    assert await _scalar(engine, select(exact_max(amounts.c.value))) == max(values)
    assert await _scalar(engine, select(exact_min(amounts.c.value))) == min(values)


@pytest.mark.asyncio(loop_scope="session")
async def test_exact_max_and_min_of_no_rows_are_null(engine: AsyncEngine) -> None:
    await _replace_rows(engine, [])
    assert await _scalar(engine, select(exact_max(amounts.c.value))) is None
    assert await _scalar(engine, select(exact_min(amounts.c.value))) is None


@pytest.mark.asyncio(loop_scope="session")
async def test_exact_max_and_min_skip_nulls(engine: AsyncEngine) -> None:
    await _replace_rows(engine, [None, D("-3"), None, D("12")])
    assert await _scalar(engine, select(exact_max(amounts.c.value))) == D("12")
    assert await _scalar(engine, select(exact_min(amounts.c.value))) == D("-3")


# --- exact_add --------------------------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="session")
async def test_exact_add_in_an_update_is_exact(engine: AsyncEngine) -> None:
    await _replace_rows(engine, [D("1000000000000000")])
    increment = literal_decimal(D("0.000000000001"))
    async with engine.begin() as connection:
        for _ in range(3):
            await connection.execute(update(amounts).values(value=exact_add(amounts.c.value, increment)))
    assert await _scalar(engine, select(amounts.c.value)) == D("1000000000000000.000000000003")


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(
    ("start", "increment", "result"),
    [
        (
            "123456789012345678901234567890.123",
            "0.000000000000000000001",
            "123456789012345678901234567890.123000000000000000001",
        ),
        ("0.1", "0.2", "0.3"),
        ("-5.5", "5.5", "0"),
        ("1E+20", "-0.000000000001", "99999999999999999999.999999999999"),
    ],
)
async def test_exact_add_keeps_every_digit(engine: AsyncEngine, start: str, increment: str, result: str) -> None:
    await _replace_rows(engine, [D(start)])
    async with engine.begin() as connection:
        await connection.execute(
            update(amounts).values(value=exact_add(amounts.c.value, literal_decimal(D(increment))))
        )
    assert await _scalar(engine, select(amounts.c.value)) == D(result)


@pytest.mark.asyncio(loop_scope="session")
async def test_exact_add_of_two_columns_in_a_select_is_exact(engine: AsyncEngine) -> None:
    await _replace_rows(engine, [D("0.1")])
    total = await _scalar(engine, select(exact_add(amounts.c.value, amounts.c.value)))
    assert total == D("0.2")


@pytest.mark.asyncio(loop_scope="session")
async def test_exact_add_to_null_stays_null(engine: AsyncEngine) -> None:
    await _replace_rows(engine, [None])
    async with engine.begin() as connection:
        await connection.execute(update(amounts).values(value=exact_add(amounts.c.value, literal_decimal(D("1")))))
    assert await _scalar(engine, select(amounts.c.value)) is None
