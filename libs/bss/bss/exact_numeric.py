"""Exact decimals in the database, on PostgreSQL and on SQLite alike.

PostgreSQL stores `NUMERIC` without precision: every digit, sums exact. SQLite has no exact decimal type,
so values are stored as their canonical decimal text and arithmetic goes through functions registered on
each SQLite connection (`bss_dec_add`, `bss_dec_sum`, `bss_dec_max`, `bss_dec_min`) that compute with Python's
`Decimal`. Code uses `exact_add`, `exact_sum`, `exact_max` and `exact_min`; each compiles to the right SQL
for the dialect, so queries read the same on both databases.
"""

from __future__ import annotations

import sqlite3
from decimal import Context, Decimal, localcontext
from typing import Any

from sqlalchemy import Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import expression
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine

# Enough digits for bytes of storage (10^15 and beyond) with 12+ decimals of unit price.
_EXACT = Context(prec=60)


class ExactDecimal(TypeDecorator[Decimal]):
    """A `Decimal` column that keeps every digit: NUMERIC on PostgreSQL, canonical text on SQLite."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float | bool):
            raise TypeError("exact columns take Decimal or int, never float")
        decimal = value if isinstance(value, Decimal) else Decimal(value)
        if not decimal.is_finite():
            raise ValueError("exact columns take finite numbers only")
        if dialect.name == "sqlite":
            return _canonical(decimal)
        return decimal

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, Decimal):
            return _trimmed(value)
        if isinstance(value, float):  # never written by us; refuse to guess
            raise TypeError("an exact column held a float; the row was not written through ExactDecimal")
        return Decimal(str(value))


def _trimmed(value: Decimal) -> Decimal:
    """The value without trailing fractional zeros, as SQLite's canonical text reads back: PostgreSQL's NUMERIC
    keeps the scale a value was written or computed with (`10.50`, a sum's `30.000`), and a document must not
    differ by the database it was read from."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or exponent >= 0:
        return value
    if value.is_zero():
        return Decimal(0)
    if value.as_tuple().digits[-1] != 0:
        return value
    return Decimal(_canonical(value))


def _canonical(value: Decimal) -> str:
    """Plain notation without exponent, so text stays readable and compares by value in our functions."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --- SQLite functions -------------------------------------------------------------------------------------


def _to_decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode()
    return Decimal(str(value))


def _dec_add(left: Any, right: Any) -> str | None:
    a, b = _to_decimal(left), _to_decimal(right)
    if a is None or b is None:
        return None
    with localcontext(_EXACT):
        return _canonical(a + b)


class _DecSum:
    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: Any) -> None:
        decimal = _to_decimal(value)
        if decimal is None:
            return
        with localcontext(_EXACT):
            self.total = decimal if self.total is None else self.total + decimal

    def finalize(self) -> str | None:
        return None if self.total is None else _canonical(self.total)


class _DecMax:
    pick = max

    def __init__(self) -> None:
        self.best: Decimal | None = None

    def step(self, value: Any) -> None:
        decimal = _to_decimal(value)
        if decimal is not None:
            self.best = decimal if self.best is None else type(self).pick(self.best, decimal)

    def finalize(self) -> str | None:
        return None if self.best is None else _canonical(self.best)


class _DecMin(_DecMax):
    pick = min


def register_sqlite_functions(raw: sqlite3.Connection) -> None:
    """Install the exact-decimal functions on one sqlite3 connection (call on the connection's own thread)."""
    raw.create_function("bss_dec_add", 2, _dec_add, deterministic=True)
    raw.create_aggregate("bss_dec_sum", 1, _DecSum)  # type: ignore[arg-type]
    raw.create_aggregate("bss_dec_max", 1, _DecMax)  # type: ignore[arg-type]
    raw.create_aggregate("bss_dec_min", 1, _DecMin)  # type: ignore[arg-type]


# --- SQL constructs ---------------------------------------------------------------------------------------


class exact_add(FunctionElement[Decimal]):
    """`left + right`, exact on both dialects."""

    type = ExactDecimal()
    inherit_cache = True
    name = "exact_add"


class exact_sum(FunctionElement[Decimal]):
    """`SUM(x)`, exact on both dialects."""

    type = ExactDecimal()
    inherit_cache = True
    name = "exact_sum"


class exact_max(FunctionElement[Decimal]):
    """`MAX(x)` by numeric value (SQLite would compare text), exact on both dialects."""

    type = ExactDecimal()
    inherit_cache = True
    name = "exact_max"


class exact_min(FunctionElement[Decimal]):
    """`MIN(x)` by numeric value, exact on both dialects."""

    type = ExactDecimal()
    inherit_cache = True
    name = "exact_min"


@compiles(exact_add)
def _add_default(element: exact_add, compiler: SQLCompiler, **kw: Any) -> str:
    left, right = list(element.clauses)
    return f"({compiler.process(left, **kw)} + {compiler.process(right, **kw)})"


@compiles(exact_add, "sqlite")
def _add_sqlite(element: exact_add, compiler: SQLCompiler, **kw: Any) -> str:
    return f"bss_dec_add({compiler.process(element.clauses, **kw)})"


def _register_aggregate(construct: type[FunctionElement[Decimal]], sql_name: str, sqlite_name: str) -> None:
    def default(element: FunctionElement[Decimal], compiler: SQLCompiler, **kw: Any) -> str:
        return f"{sql_name}({compiler.process(element.clauses, **kw)})"

    def sqlite(element: FunctionElement[Decimal], compiler: SQLCompiler, **kw: Any) -> str:
        return f"{sqlite_name}({compiler.process(element.clauses, **kw)})"

    compiles(construct)(default)
    compiles(construct, "sqlite")(sqlite)


_register_aggregate(exact_sum, "sum", "bss_dec_sum")
_register_aggregate(exact_max, "max", "bss_dec_max")
_register_aggregate(exact_min, "min", "bss_dec_min")


def literal_decimal(value: Decimal) -> expression.BindParameter[Decimal]:
    """A bound exact decimal, for arithmetic against exact columns."""
    return expression.bindparam(None, value, type_=ExactDecimal())
