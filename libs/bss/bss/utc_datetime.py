"""`UtcDateTime`: aware datetimes in, aware UTC datetimes out, on PostgreSQL and SQLite alike.

PostgreSQL keeps `timestamptz`. SQLite has no time zones: values are stored as UTC wall time (so text
order is time order) and read back with UTC attached. A naive datetime is refused at bind time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError("UtcDateTime takes datetime values")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetimes are refused: pass a timezone-aware datetime")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]
