"""Subscriptions' settings admin API: the trial policies and the resellers' billing profiles
(`bss.api.settings_routes`; docs/domain.md, "Trials", "Billing profiles"). Staff read; admins change."""

from __future__ import annotations

from bss.api.settings_routes import settings_router
from subscriptions.usecases.settings import STORE, announce_change, check_change

router = settings_router(STORE, guard=check_change, after_change=announce_change)
