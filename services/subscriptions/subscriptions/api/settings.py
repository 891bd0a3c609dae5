"""Subscriptions' settings admin API: the trial policies (`bss.api.settings_routes`; docs/domain.md, "Trials").
Staff read; admins change."""

from __future__ import annotations

from bss.api.settings_routes import settings_router
from subscriptions.usecases.settings import STORE, refuse_unknown_products

router = settings_router(STORE, guard=refuse_unknown_products)
