"""UUID columns that read and write canonical UUID text: native `uuid` on PostgreSQL, `VARCHAR(36)` on SQLite.

Python code sees the same lower-case text on both databases. PostgreSQL stores 16 bytes instead of 37 and
compares keys as bytes rather than through the collation: for the usage tables' keys that made counting an
event about 12% cheaper for the server (ADR 0010).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class UuidText(TypeDecorator[str]):
    """A UUID as canonical text in Python; `uuid` on PostgreSQL, `VARCHAR(36)` elsewhere."""

    impl = String(36)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(UUID(as_uuid=False))
        return dialect.type_descriptor(String(36))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(value)
