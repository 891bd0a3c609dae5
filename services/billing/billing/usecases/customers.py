"""The customer registry (docs/domain.md, "Customers"): a reseller names its customers, as its usage identifies
them, so that its pages show names instead of ids; an Acronis usage report's tenant names fill it too."""

from __future__ import annotations

from billing.adapters import customers
from billing.adapters.customers import Customer
from billing.domain.customer_names import API
from billing.runtime import BillingRuntime, BillingUseCase


async def name_customer(ctx: BillingUseCase, reseller_id: str, customer_id: str, name: str) -> Customer:
    async with ctx.transaction() as session:
        await customers.name_customer(session, reseller_id, customer_id, name, source=API, now=ctx.now)
    return Customer(customer_id, name, API, ctx.now)


async def list_customers(runtime: BillingRuntime, reseller_id: str) -> list[Customer]:
    async with runtime.sessions() as session:
        return await customers.customers_of(session, reseller_id)
