"""A reseller's billing profile as effective-dated data (`bss.effective_settings`): the kind subscriptions owns,
how the profile in force on a day is read, and the profile a registration starts with.

docs/domain.md, "Billing profiles": who is billed and where, the invoice currency, the price list of FX-billed
invoices, payment terms and the documents' locale. Billing keeps a copy from `ResellerBillingProfileChanged`.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import ConfigDict, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from bss.api import examples
from bss.effective_settings import SettingKind, SettingsStore, SettingVersion, canonical_uuid
from bss.events.contracts.subscriptions import BillingProfile, PostalAddress
from bss.money import price_list_currency
from subscriptions.models import Reseller, setting_versions


def vendor_price_list(value: str | None) -> str | None:
    """A profile's price list is one the vendor publishes (or null: the distributor's default)."""
    return None if value is None else price_list_currency(value)


class BillingProfileValue(BillingProfile):
    """A profile as the admin API takes it: no unknown fields, a price list the vendor publishes. The VAT id is
    checked against the reseller's country by the change's guard (`usecases/settings.py`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("price_list_currency")
    @classmethod
    def _vendor_price_list(cls, value: str | None) -> str | None:
        return vendor_price_list(value)


def _reseller_scope(raw: str) -> str:
    return canonical_uuid(raw, "a reseller id")


BILLING_PROFILES = SettingKind(
    name="billing-profiles",
    title="Billing profile",
    description=(
        "How a reseller is invoiced from a date: legal name, billing email and address, VAT id, invoice currency, "
        "the vendor price list of FX-billed invoices, payment terms and the documents' locale. The whole profile "
        "is restated with each change. An invoice uses the profile in force on its period's first day; invoices "
        "already issued never change. A registration records the first profile."
    ),
    value_type=BillingProfileValue,
    scope_label="reseller id (uuid)",
    normalize_scope=_reseller_scope,
    example_scope=examples.RESELLER_ID,
    example_value={
        "legal_name": "Northwind Managed Services GmbH",
        "billing_email": "billing@northwind.example",
        "billing_address": {"lines": ["Hafenstrasse 12"], "city": "Hamburg", "postal_code": "20457", "country": "DE"},
        "vat_id": "DE136695976",
        "invoice_currency": "EUR",
        "price_list_currency": None,
        "payment_terms_days": 14,
        "locale": "de-DE",
    },
    removable=False,
)
_PROFILES = SettingsStore(setting_versions, (BILLING_PROFILES,))


def registration_profile(reseller: Reseller) -> BillingProfileValue:
    """The profile a reseller is registered with (also what a reseller registered before profiles existed has)."""
    return BillingProfileValue(
        legal_name=reseller.legal_name,
        billing_email=reseller.billing_email,
        billing_address=PostalAddress.model_validate(reseller.billing_address),
        vat_id=reseller.tax_id,
        invoice_currency=reseller.billing_currency,
    )


async def profile_version(
    session: AsyncSession, reseller_id: str, on: date
) -> SettingVersion[BillingProfileValue] | None:
    """The change in force for `reseller_id` on `on`, if any was recorded."""
    return await _PROFILES.version_of(session, BILLING_PROFILES, reseller_id, on)


async def profile_on(session: AsyncSession, reseller: Reseller, on: date) -> BillingProfileValue:
    """The profile in force on `on`: the latest change effective by then, else the registration's."""
    version = await profile_version(session, reseller.id, on)
    return version.value if version is not None and version.value is not None else registration_profile(reseller)


async def record_profile(
    session: AsyncSession,
    reseller_id: str,
    profile: BillingProfileValue,
    *,
    effective_from: date,
    recorded_by: str,
    recorded_at: datetime,
    reason: str,
) -> SettingVersion[BillingProfileValue]:
    """Record a profile outside the settings API (a registration's first one)."""
    return await _PROFILES.change(
        session,
        BILLING_PROFILES,
        reseller_id,
        profile,
        effective_from=effective_from,
        recorded_by=recorded_by,
        recorded_at=recorded_at,
        reason=reason,
    )
