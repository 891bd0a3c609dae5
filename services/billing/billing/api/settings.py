"""Billing's settings admin API: tax rates, distributor discounts, price-list currencies, the Tier 1 program,
the seller (`bss.api.settings_routes`; docs/domain.md, "Settings as data")."""

from __future__ import annotations

from billing.usecases.settings import STORE, refuse_invoiced_months
from bss.api.settings_routes import settings_router

router = settings_router(STORE, guard=refuse_invoiced_months)
