"""Billing's settings as data: who may change them when, and a fresh database's first values.

docs/domain.md, "Settings as data". The kinds and how a period's terms are read: `adapters/billing_settings.py`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.billing_settings import STORE, seed_from_environment
from billing.adapters.invoice_repository import latest_invoiced_period
from billing.runtime import BillingRuntime
from bss.calendar_months import next_period, period_containing
from bss.effective_settings import SettingKind
from bss.problems import Conflict

__all__ = ["STORE", "refuse_invoiced_months", "seed_settings"]


async def refuse_invoiced_months(
    session: AsyncSession, kind: SettingKind[Any], _scope: str, _value: Any, effective_from: date
) -> None:
    """A change may not reach back into a month already invoiced: invoices stay as they were issued, and
    closing a month again changes nothing. It takes effect from the 1st after the last invoiced month, or later."""
    latest = await latest_invoiced_period(session)
    if latest is None:
        return
    earliest = next_period(period_containing(latest))
    if effective_from < earliest:
        raise Conflict(
            f"{kind.title}: months through {latest:%Y-%m} are invoiced; a change can take effect from "
            f"{earliest.isoformat()} on.",
            earliest_effective_from=earliest.isoformat(),
        )


async def seed_settings(runtime: BillingRuntime) -> None:
    """On start: a fresh database takes its first settings from the environment (`BILLING_TAX_RATES`, ...);
    from then on the settings are data, changed through the admin API."""
    async with runtime.sessions() as session, session.begin():
        await seed_from_environment(session, runtime.settings, runtime.clock.now())
