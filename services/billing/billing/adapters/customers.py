"""The customer registry's rows (`customers`): a name per reseller and customer id."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.domain.customer_names import replaceable_by
from billing.models import CustomerRow
from bss.db import insert_for


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str
    name: str
    source: str
    updated_at: datetime


async def name_customer(
    session: AsyncSession, reseller_id: str, customer_id: str, name: str, *, source: str, now: datetime
) -> None:
    """Set a customer's name, unless the name it has comes from a source of higher precedence
    (`domain.customer_names`: a report's name never replaces one set through the API)."""
    values = {"reseller_id": reseller_id, "customer_id": customer_id, "name": name, "source": source, "updated_at": now}
    insert = insert_for(session)(CustomerRow).values(**values)
    changes = {"name": insert.excluded.name, "source": insert.excluded.source, "updated_at": insert.excluded.updated_at}
    where = CustomerRow.source.in_(replaceable_by(source))
    await session.execute(
        insert.on_conflict_do_update(index_elements=["reseller_id", "customer_id"], set_=changes, where=where)
    )


async def names_of(session: AsyncSession, reseller_id: str, customer_ids: Iterable[str]) -> dict[str, str]:
    wanted = list(set(customer_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(CustomerRow.customer_id, CustomerRow.name).where(
            CustomerRow.reseller_id == reseller_id, CustomerRow.customer_id.in_(wanted)
        )
    )
    return {customer_id: name for customer_id, name in rows}


async def customers_of(session: AsyncSession, reseller_id: str) -> list[Customer]:
    rows = await session.execute(
        select(CustomerRow).where(CustomerRow.reseller_id == reseller_id).order_by(CustomerRow.name)
    )
    return [Customer(r.customer_id, r.name, r.source, r.updated_at) for r in rows.scalars()]
