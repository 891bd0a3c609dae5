"""FX of any pair (docs/domain.md, "FX rates", "FX conversion order and rounding"): from S to T on a day, the
direct pair, else its inverse, else through the base currency, each leg the latest publication on or before the
day; the quote records every leg."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Context, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.domain.fx import FxLeg, NoFxRate, RateTable, quote

D = Decimal
JAN, FEB, MAR = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)


def test_fx_rule_direct_pair_is_used_with_its_table_and_date() -> None:
    tables = [
        RateTable("usd", JAN, {"EUR": D("0.9"), "SEK": D("10.5")}),
        RateTable("pairs", FEB, {}, {("EUR", "SEK"): D("11.2")}),
    ]

    fx = quote(tables, "EUR", "SEK", MAR)

    assert fx.rate == D("11.2")
    assert (fx.rate_table_id, fx.effective_from) == ("pairs", FEB)
    assert fx.legs == (FxLeg("EUR", "SEK", D("11.2"), "pairs", FEB),)


def test_fx_rule_inverse_pair_is_one_over_the_rate_when_no_direct_pair() -> None:
    tables = [RateTable("pairs", FEB, {}, {("EUR", "SEK"): D("8")})]

    fx = quote(tables, "SEK", "EUR", MAR)

    assert fx.rate == D("0.125")
    assert fx.legs == (FxLeg("SEK", "EUR", D("0.125"), "pairs", FEB),)


def test_fx_rule_direct_pair_wins_over_a_newer_inverse() -> None:
    tables = [
        RateTable("old", JAN, {}, {("EUR", "SEK"): D("11")}),
        RateTable("new", FEB, {}, {("SEK", "EUR"): D("0.1")}),
    ]

    assert quote(tables, "EUR", "SEK", MAR).rate == D("11")
    assert quote(tables, "SEK", "EUR", MAR).rate == D("0.1")


def test_fx_rule_triangulates_through_the_base_leg_by_leg() -> None:
    tables = [
        RateTable("usd", JAN, {"CHF": D("0.8")}),
        RateTable("pairs", FEB, {}, {("EUR", "USD"): D("1.25")}),
    ]

    fx = quote(tables, "EUR", "CHF", MAR, "USD")

    assert fx.rate == D("1")  # 1.25 x 0.8
    assert fx.legs == (
        FxLeg("EUR", "USD", D("1.25"), "pairs", FEB),
        FxLeg("USD", "CHF", D("0.8"), "usd", JAN),
    )
    assert (fx.rate_table_id, fx.effective_from) == ("pairs", FEB)  # the latest leg's


def test_fx_rule_triangulates_through_a_configured_base_other_than_usd() -> None:
    tables = [RateTable("eur", JAN, {}, {("EUR", "SEK"): D("11.5"), ("EUR", "NOK"): D("11.5")})]

    fx = quote(tables, "SEK", "NOK", FEB, "EUR")

    assert fx.rate == D("1")
    assert [(leg.from_currency, leg.to_currency) for leg in fx.legs] == [("SEK", "EUR"), ("EUR", "NOK")]
    with pytest.raises(NoFxRate):
        quote(tables, "SEK", "NOK", FEB, "USD")  # no pair with USD: no path through it


def test_fx_rule_each_leg_takes_the_latest_publication_on_or_before_the_day() -> None:
    tables = [
        RateTable("t1", JAN, {"EUR": D("0.8"), "CHF": D("0.9")}),
        RateTable("t2", FEB, {"CHF": D("1.0")}),
        RateTable("t3", date(2024, 3, 2), {"EUR": D("0.5"), "CHF": D("2")}),  # after the day: not used
    ]

    fx = quote(tables, "EUR", "CHF", MAR)

    assert fx.rate == D("1.25")  # EUR of t1, CHF of t2
    assert [(leg.rate_table_id, leg.effective_from) for leg in fx.legs] == [("t1", JAN), ("t2", FEB)]
    assert (fx.rate_table_id, fx.effective_from) == ("t2", FEB)


def test_fx_rule_no_path_is_the_no_fx_rate_error_of_today() -> None:
    tables = [RateTable("t", JAN, {"CHF": D("0.9")}, {("EUR", "SEK"): D("11")})]

    with pytest.raises(NoFxRate) as raised:
        quote(tables, "SEK", "CHF", MAR)
    assert str(raised.value) == "no FX rate from SEK to CHF on or before 2024-03-01"
    assert (raised.value.missing.from_currency, raised.value.missing.to_currency) == ("SEK", "CHF")
    with pytest.raises(NoFxRate):
        quote(tables, "USD", "CHF", date(2023, 12, 31))  # before any publication


# --- equivalence with the same-table cross rate through USD (the rule before pairs) -------------------------


def todays_quote(tables: list[RateTable], source: str, target: str, on: date) -> tuple[Decimal, str, date]:
    """The rule before pairs: the latest table on or before `on` quoting both, the cross rate through USD."""
    for table in sorted((t for t in tables if t.effective_from <= on), key=lambda t: t.effective_from, reverse=True):
        source_units, target_units = table.units(source), table.units(target)
        if source_units is not None and target_units is not None:
            context = Context(prec=28)
            return (
                context.divide(target_units, source_units).normalize(context),
                table.rate_table_id,
                table.effective_from,
            )
    raise LookupError


CURRENCIES = ["USD", "EUR", "CHF", "SEK", "JPY"]
rates = st.decimals(
    min_value=D("0.0001"), max_value=D("99999"), places=6, allow_nan=False, allow_infinity=False
).filter(lambda r: r > 0)
usd_tables = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=90),
        st.dictionaries(st.sampled_from(CURRENCIES[1:]), rates, min_size=1, max_size=4),
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda t: t[0],
)


def _missing(
    units: dict[str, Decimal], currencies: tuple[str, str], extra_rates: tuple[Decimal, Decimal]
) -> dict[str, Decimal]:
    """Rates for those of `currencies` (USD aside) a table does not quote yet."""
    return {c: r for c, r in zip(currencies, extra_rates, strict=True) if c != "USD" and c not in units}


def _latest_quoting(tables: list[RateTable], currency: str, on: date) -> RateTable | None:
    in_force = [t for t in tables if t.effective_from <= on and t.units(currency) is not None]
    return max(in_force, key=lambda t: t.effective_from, default=None)


@given(
    raw=usd_tables,
    pair=st.permutations(CURRENCIES).map(lambda currencies: (currencies[0], currencies[1])),
    day=st.integers(min_value=0, max_value=100),
    extra_rates=st.tuples(rates, rates),
)
def test_fx_rule_equals_todays_same_table_cross_rate_when_only_usd_tables_exist(
    raw: list[tuple[int, dict[str, Decimal]]], pair: tuple[str, str], day: int, extra_rates: tuple[Decimal, Decimal]
) -> None:
    source, target = pair
    start = date(2024, 1, 1)
    first = min(offset for offset, _ in raw)
    day = max(day, first)  # a table is in force on the day
    in_force = max(offset for offset, _ in raw if offset <= day)
    # Both currencies quoted in the latest table in force (no filtering: Hypothesis generates what the rule needs)
    raw = [
        (offset, {**units, **_missing(units, (source, target), extra_rates)} if offset == in_force else units)
        for offset, units in raw
    ]
    tables = [RateTable(f"t{offset}", start + timedelta(days=offset), units) for offset, units in raw]
    on = start + timedelta(days=day)
    assert _latest_quoting(tables, source, on) is not None or source == "USD"
    assert _latest_quoting(tables, target, on) is not None or target == "USD"

    fx = quote(tables, source, target, on, "USD")

    assert (fx.rate, fx.rate_table_id, fx.effective_from) == todays_quote(tables, source, target, on)
