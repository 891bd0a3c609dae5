"""Subscriptions' settings as data: which changes are accepted, and a fresh database's first values.

docs/domain.md, "Trials" and "Settings as data". The kind and how an order's policy is read:
`adapters/trial_policies.py`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bss.effective_settings import SettingKind
from bss.problems import Conflict, ValidationProblem, field_error
from subscriptions.adapters.repository import load_product
from subscriptions.adapters.trial_policies import DEFAULT_SCOPE, STORE, seed_from_environment
from subscriptions.runtime import SubscriptionsRuntime

__all__ = ["STORE", "refuse_unknown_products", "seed_settings"]


async def refuse_unknown_products(
    session: AsyncSession, kind: SettingKind[Any], scope: str, value: Any, effective_from: date
) -> None:
    """A product's policy names a contract tier product this service knows (from catalog events); the default
    `*` may be changed but never removed, so every trial has a policy."""
    if scope == DEFAULT_SCOPE:
        if value is None:
            message = "The default policy (*) cannot be removed; set another value from a date instead."
            raise Conflict(f"{kind.title}: {message}", errors=[field_error("scope", message)])
        return
    if await load_product(session, scope) is None:
        message = f"{scope} is not a contract tier product this service knows (GET /v1/catalog/products)."
        raise ValidationProblem(f"{kind.title}: {message}", errors=[field_error("scope", message)])


async def seed_settings(runtime: SubscriptionsRuntime) -> None:
    """On start: a fresh database takes its default trial policy from the environment (`SUBSCRIPTIONS_TRIAL_DAYS`,
    `SUBSCRIPTIONS_TRIAL_AUTO_CONVERT`); from then on it is data, changed through the admin API."""
    settings = runtime.settings
    async with runtime.sessions() as session, session.begin():
        await seed_from_environment(session, settings.trial_days, settings.trial_auto_convert, runtime.clock.now())
