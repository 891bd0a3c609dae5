"""The gateway's own table: API keys (only their hashes; the secret is shown once, at creation)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bss.db import new_metadata
from bss.utc_datetime import UtcDateTime


class Base(DeclarativeBase):
    metadata = new_metadata()


class ApiKeyRow(Base):
    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'support_agent', 'reseller', 'storefront', 'system')", name="role_known"),
        CheckConstraint("(role = 'reseller') = (tenant_id IS NOT NULL)", name="tenant_iff_reseller"),
        CheckConstraint("rate_limit_per_s IS NULL OR rate_limit_per_s > 0", name="rate_positive"),
        CheckConstraint("rate_limit_burst IS NULL OR rate_limit_burst >= 1", name="burst_positive"),
    )

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    rate_limit_per_s: Mapped[float | None] = mapped_column(Float)
    rate_limit_burst: Mapped[int | None] = mapped_column(Integer)
