"""Schema drift: a database migrated to head holds what the models declare, CHECK constraints included.

Alembic's autogenerate compares tables, columns, indexes, unique and foreign keys, but not CHECK constraints, so
a list of allowed values changed in the models without its migration would pass it. `check_constraint_drift`
closes that gap: it builds a second database straight from the models (`create_all`), reflects the CHECK
constraints of both through the same dialect (so PostgreSQL's rewriting of the SQL text applies to both alike),
and compares each table's names and normalized SQL.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, Connection, MetaData, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

ChecksByTable = dict[str, dict[str, str]]
"""table -> constraint name -> normalized SQL text."""

_ALEMBIC_TABLES = frozenset({"alembic_version"})


def normalized_sql(sql: str) -> str:
    """The SQL text with its whitespace collapsed and redundant outer parentheses removed."""
    text = " ".join(sql.split())
    while text.startswith("(") and text.endswith(")") and _wraps_whole(text):
        text = text[1:-1].strip()
    return text


def _wraps_whole(text: str) -> bool:
    depth = 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and index < len(text) - 1:
            return False
    return True


def reflected_checks(connection: Connection) -> ChecksByTable:
    """The CHECK constraints of every table in the database, as its dialect reports them."""
    inspector = inspect(connection)
    return {
        table: {check["name"] or "": normalized_sql(check["sqltext"]) for check in checks}
        for table in inspector.get_table_names()
        if table not in _ALEMBIC_TABLES and (checks := inspector.get_check_constraints(table))
    }


def declared_check_counts(metadata: MetaData) -> dict[str, int]:
    """How many CHECK constraints each table of the models declares."""
    counts = {
        table.name: sum(isinstance(c, CheckConstraint) for c in table.constraints) for table in metadata.sorted_tables
    }
    return {table: count for table, count in counts.items() if count}


def autogenerate_diff(connection: Connection, metadata: MetaData) -> list[object]:
    """What `alembic revision --autogenerate` would still write: nothing when the migrations are complete."""
    return list(compare_metadata(MigrationContext.configure(connection), metadata))


async def check_constraint_drift(
    migrated: AsyncEngine, scratch: AsyncEngine, metadata: MetaData
) -> tuple[ChecksByTable, ChecksByTable]:
    """The CHECK constraints of the `migrated` database and of the models (built on the empty `scratch` one)."""
    async with scratch.begin() as connection:
        await connection.run_sync(metadata.create_all)
    async with scratch.connect() as connection:
        from_models = await connection.run_sync(reflected_checks)
    async with migrated.connect() as connection:
        from_migrations = await connection.run_sync(reflected_checks)
    counts = {table: len(checks) for table, checks in from_models.items()}
    assert counts == declared_check_counts(metadata), "the dialect did not report every declared CHECK constraint"
    return from_migrations, from_models
