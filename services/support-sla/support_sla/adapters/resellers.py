"""The reseller read model: each event writes only the fields it owns, with an upsert, so any order gives one row."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bss.db import insert_for
from support_sla.models import PLACEHOLDER_COUNTRY, Reseller


async def upsert_registration(
    session: AsyncSession, reseller_id: str, legal_name: str, country: str, signed_on: date
) -> None:
    """The reseller's name, country and contract signature (from `ResellerRegistered`)."""
    values = {"legal_name": legal_name, "country": country, "signed_on": signed_on}
    await session.execute(
        insert_for(session)(Reseller)
        .values(id=reseller_id, certified=False, certified_engineers=0, **values)
        .on_conflict_do_update(index_elements=["id"], set_=values)
    )


async def upsert_contract_subscription(session: AsyncSession, reseller_id: str, subscription_id: str) -> Reseller:
    """The reseller's contract subscription; a placeholder row until its registration arrives."""
    await session.execute(
        insert_for(session)(Reseller)
        .values(
            id=reseller_id,
            legal_name="(not registered yet)",
            country=PLACEHOLDER_COUNTRY,
            signed_on=date.min,
            subscription_id=subscription_id,
            certified=False,
            certified_engineers=0,
        )
        .on_conflict_do_update(index_elements=["id"], set_={"subscription_id": subscription_id})
    )
    return await session.get_one(Reseller, reseller_id, populate_existing=True)
