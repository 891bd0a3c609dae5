"""The trial policy as effective-dated data (`bss.effective_settings`): the kind subscriptions owns, how an
order's policy is read from it, and the environment values a fresh database is seeded with.

docs/domain.md, "Trials": a trial's length and auto-conversion are the policy in force on its start day, the
ordered product's if it has one, else the default `*`; an order may choose otherwise.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from sqlalchemy.ext.asyncio import AsyncSession

from bss.effective_settings import SettingKind, SettingsStore, uuid_or_default
from subscriptions.domain.trials import MAX_TRIAL_DAYS, MIN_TRIAL_DAYS, TrialTerms
from subscriptions.models import setting_versions

DEFAULT_SCOPE = "*"
SEED_FROM = date(1970, 1, 1)
"""The effective date of values seeded from the environment: in force for every trial."""

TrialDays = Annotated[StrictInt, Field(ge=MIN_TRIAL_DAYS, le=MAX_TRIAL_DAYS, description="Whole UTC days, 1 to 365.")]


class TrialPolicyValue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    days: TrialDays = Field(description="How long a trial runs, in whole UTC days from its start day (1 to 365).")
    auto_convert: StrictBool = Field(description="At its end, the trial converts to paid (true) or expires (false).")

    def terms(self) -> TrialTerms:
        return TrialTerms(days=self.days, auto_convert=self.auto_convert)


product_or_default = uuid_or_default("a contract tier product id")
"""`*`, or a product id (uuid) in its canonical form."""


TRIAL_POLICIES = SettingKind(
    name="trial-policies",
    title="Trial policy",
    description=(
        "How long a trial of a contract tier product runs and whether it converts to paid at its end: per product, "
        "else the default (`*`). A trial takes the policy in force on its start day; an order may choose its own "
        "`trial.days` and `trial.auto_convert`. Trials already ordered keep their terms."
    ),
    value_type=TrialPolicyValue,
    scope_label="contract tier product id (uuid), or * for products without their own policy",
    normalize_scope=product_or_default,
    # csp-commit-250's own policy (its product id is the uuid5 of its code): `*` cannot be removed, a product's can.
    example_scope="9f7b84a1-6b8c-51f5-b100-3fa5254570e7",
    example_value={"days": 30, "auto_convert": False},
)
_POLICIES = SettingsStore(setting_versions, (TRIAL_POLICIES,))


async def trial_policy(session: AsyncSession, product_id: str, on: date) -> TrialTerms | None:
    """The policy in force on `on` for trials of `product_id`: the product's own, else `*` (None: neither)."""
    for scope in (product_or_default(product_id), DEFAULT_SCOPE):
        value = await _POLICIES.value_of(session, TRIAL_POLICIES, scope, on)
        if value is not None:
            return value.terms()
    return None


async def seed_from_environment(session: AsyncSession, days: int, auto_convert: bool, now: datetime) -> int:
    """A fresh database's default policy (`*`), from `SUBSCRIPTIONS_TRIAL_DAYS` and `..._AUTO_CONVERT`."""
    value = TrialPolicyValue(days=days, auto_convert=auto_convert)
    return await _POLICIES.seed_if_empty(
        session, TRIAL_POLICIES, {DEFAULT_SCOPE: value}, effective_from=SEED_FROM, recorded_at=now
    )
