"""Billing's settings as effective-dated data (`bss.effective_settings`): the kinds billing owns, how a period's
terms are read from them, and the environment values a fresh database is seeded with.

docs/domain.md, "Settings as data": an invoice applies the values in force on its period's first day; the Tier 1
program counts only where it is active for the whole period.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from schwifty import BIC, IBAN
from sqlalchemy.ext.asyncio import AsyncSession

from billing.domain.billing_terms import DEFAULT_SCOPE, VENDOR_BASE_PRICE_LIST, BillingTerms, Seller, TaxRule
from billing.domain.distributor_margin import tier_one_program_active
from billing.models import setting_versions
from billing.settings import BillingSettings
from bss.api import examples
from bss.api.input_text import SingleLine
from bss.calendar_months import next_period, period_containing
from bss.effective_settings import InvalidScope, SettingKind, SettingsStore, canonical_uuid, uuid_or_default
from bss.money import PRICE_LIST_CURRENCIES, UnknownCurrency, currency_code, price_list_currency
from bss.vat_ids import vat_id_problem

Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=9, decimal_places=4)]
SELLER_SCOPE = "distributor"
DEFAULT_FX_BASE_CURRENCY = "USD"
SEED_FROM = date(1970, 1, 1)
"""The effective date of values seeded from the environment: in force for every period."""


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TaxRateValue(_Value):
    rate_percent: Percent = Field(description="The VAT or sales-tax rate, percent.")
    note: SingleLine | None = Field(
        default=None, max_length=300, description="Printed on invoices under this rate, e.g. why no VAT is charged."
    )


class DiscountValue(_Value):
    percent: Percent = Field(description="The distributor's discount on the vendor's price, percent.")


class PriceListCurrencyValue(_Value):
    currency: str = Field(description=f"One of the vendor price lists: {', '.join(PRICE_LIST_CURRENCIES)}.")

    @field_validator("currency")
    @classmethod
    def _known(cls, value: str) -> str:
        return price_list_currency(value)


class FxBaseCurrencyValue(_Value):
    currency: str = Field(description="ISO 4217 code of the currency conversions triangulate through, e.g. USD.")

    @field_validator("currency")
    @classmethod
    def _iso(cls, value: str) -> str:
        try:
            return currency_code(value)
        except UnknownCurrency as exc:
            raise ValueError("not an ISO 4217 currency code") from exc


class TierOneProgramValue(_Value):
    discount_percent: Percent = Field(
        default=Decimal(10), description="The program's discount on the vendor price, percent (0: not in it)."
    )


class SellerValue(_Value):
    legal_name: SingleLine = Field(min_length=1, max_length=200)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2.")
    vat_id: SingleLine | None = Field(default=None, max_length=30, description="Checked when the country is in the EU.")
    address_lines: list[Annotated[SingleLine, Field(max_length=200)]] = Field(default_factory=list, max_length=6)
    iban: SingleLine | None = Field(
        default=None, max_length=42, description="The account invoices are paid to (checked: country, length, digits)."
    )
    bic: SingleLine | None = Field(default=None, max_length=11, description="Its bank's BIC (SWIFT code), if given.")
    bank_name: SingleLine | None = Field(default=None, max_length=200)

    @field_validator("iban")
    @classmethod
    def _iban(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(IBAN(value).compact)
        except ValueError as exc:
            raise ValueError(f"not a valid IBAN ({exc})") from exc

    @field_validator("bic")
    @classmethod
    def _bic(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(BIC(value).compact)
        except ValueError as exc:
            raise ValueError(f"not a valid BIC ({exc})") from exc

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if not value.isascii() or not value.isalpha():
            raise ValueError("two letters, e.g. DE")
        return value.upper()

    @model_validator(mode="after")
    def _vat_id_of_its_country(self) -> SellerValue:
        if problem := vat_id_problem(self.vat_id, self.country):
            raise ValueError(f"vat_id is {problem}")
        return self


def _country_or_default(raw: str) -> str:
    if raw == DEFAULT_SCOPE:
        return raw
    code = raw.upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise InvalidScope("a country code (2 letters, e.g. DE) or * for countries not listed")
    return code


def _discount_scope(raw: str) -> str:
    if raw == DEFAULT_SCOPE:
        return raw
    prefix, _, rest = raw.partition(":")
    if prefix in ("reseller", "tier") and rest:
        try:
            return f"{prefix}:{canonical_uuid(rest, 'an id')}"
        except InvalidScope:
            pass
    raise InvalidScope("reseller:<reseller id>, tier:<tier product id> or * (the default)")


def _only_default(raw: str) -> str:
    if raw != DEFAULT_SCOPE:
        raise InvalidScope(f"{DEFAULT_SCOPE} (one value for the distributor)")
    return raw


def _seller_scope(raw: str) -> str:
    if raw != SELLER_SCOPE:
        raise InvalidScope(f"{SELLER_SCOPE} (there is one seller)")
    return raw


TAX_RATES = SettingKind(
    name="tax-rates",
    title="Tax rate",
    description=(
        "The tax rate of invoices to resellers in a country (`*`: countries not listed). A buyer with a valid VAT "
        "id in another EU member state than the seller's gets the reverse charge (0 %) instead."
    ),
    value_type=TaxRateValue,
    scope_label="country (ISO 3166-1 alpha-2), or * for countries not listed",
    normalize_scope=_country_or_default,
    example_scope="DE",
    example_value={"rate_percent": "19", "note": None},
    # From the first month the examples invoice (January 2025), set before it is closed.
    example_effective_from=date(2025, 1, 1),
)
DISTRIBUTOR_DISCOUNTS = SettingKind(
    name="distributor-discounts",
    title="Distributor discount",
    description=(
        "The distributor's discount on the vendor's price, which its cost and margin are computed with: per "
        "reseller, else per tier product, else the default."
    ),
    value_type=DiscountValue,
    scope_label="reseller:<reseller id>, tier:<tier product id>, or * (the default)",
    normalize_scope=_discount_scope,
    example_scope="*",
    example_value={"percent": "35"},
    example_effective_from=date(2025, 1, 1),  # the examples' January 2025 margins are computed with it
)
PRICE_LIST_CURRENCIES_KIND = SettingKind(
    name="price-list-currencies",
    title="Price-list currency",
    description=(
        "The vendor price list that invoices in a currency without one (CHF, SEK, ...) are rated from before "
        "conversion, where the reseller's billing profile names none (subscriptions' `billing-profiles`)."
    ),
    value_type=PriceListCurrencyValue,
    scope_label="* (the distributor's default; a reseller's own is in its billing profile)",
    normalize_scope=_only_default,
    example_scope="*",
    example_value={"currency": "EUR"},
)
TIER_ONE_PROGRAM = SettingKind(
    name="tier-one-program",
    title="Tier 1 support program",
    description=(
        "The Tier 1 program's discount on the vendor price, from its start; removing it (DELETE with "
        "effective_from) ends it. It counts for a period only when in force for the whole period."
    ),
    value_type=TierOneProgramValue,
    scope_label="reseller id (uuid), or * for every reseller",
    normalize_scope=uuid_or_default("a reseller id"),
    example_scope=examples.RESELLER_ID,
    example_value={"discount_percent": "10"},
    example_effective_from=date(2025, 1, 1),  # in force all of January 2025, the month the examples invoice
)
FX_BASE_CURRENCY = SettingKind(
    name="fx-base-currency",
    title="FX base currency",
    description=(
        "The currency a conversion goes through when no rate table quotes the pair itself (directly or inversely): "
        "source -> base -> target, each leg the latest rate on or before the invoice date."
    ),
    value_type=FxBaseCurrencyValue,
    scope_label="* (one base for every conversion)",
    normalize_scope=_only_default,
    example_scope=DEFAULT_SCOPE,
    example_value={"currency": "USD"},
)
SELLER = SettingKind(
    name="seller",
    title="Seller",
    description="The distributor as invoices name it; its country and VAT id decide the EU reverse charge.",
    value_type=SellerValue,
    scope_label=SELLER_SCOPE,
    normalize_scope=_seller_scope,
    example_scope=SELLER_SCOPE,
    example_value={
        "legal_name": "Cloud Distribution GmbH",
        "country": "DE",
        "vat_id": "DE136695976",
        "address_lines": ["Hauptstrasse 1", "10115 Berlin"],
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "bank_name": "Commerzbank",
    },
    # In force for January 2025, so the examples' invoice of that month has its EN 16931 e-invoice.
    example_effective_from=date(2025, 1, 1),
)
KINDS: tuple[SettingKind[Any], ...] = (
    TAX_RATES,
    DISTRIBUTOR_DISCOUNTS,
    PRICE_LIST_CURRENCIES_KIND,
    TIER_ONE_PROGRAM,
    SELLER,
    FX_BASE_CURRENCY,
)
STORE = SettingsStore(setting_versions, KINDS)


async def terms_for(session: AsyncSession, period: date) -> BillingTerms:
    """The terms of `period` (its first day): values in force on the 1st; Tier 1 where in force all month."""
    first = period_containing(period)
    last = next_period(first) - timedelta(days=1)
    taxes = await STORE.in_force(session, TAX_RATES, first)
    discounts = await STORE.in_force(session, DISTRIBUTOR_DISCOUNTS, first)
    currency = await STORE.value_of(session, PRICE_LIST_CURRENCIES_KIND, DEFAULT_SCOPE, first)
    programs = await STORE.in_force(session, TIER_ONE_PROGRAM, last)
    seller = await STORE.value_of(session, SELLER, SELLER_SCOPE, first)
    fx_base = await STORE.value_of(session, FX_BASE_CURRENCY, DEFAULT_SCOPE, first)
    return BillingTerms(
        tax_rules={s: TaxRule(v.value.rate_percent, v.value.note) for s, v in taxes.items() if v.value},
        discounts={s: v.value.percent for s, v in discounts.items() if v.value},
        default_price_list_currency=currency.currency if currency else VENDOR_BASE_PRICE_LIST,
        tier_one={
            s: v.value.discount_percent
            for s, v in programs.items()
            # read as of the month's last day: in force then, and since its 1st (not started or ended within it)
            if v.value and tier_one_program_active(v.effective_from, first)
        },
        seller=_seller(seller) if seller else None,
        fx_base_currency=fx_base.currency if fx_base else DEFAULT_FX_BASE_CURRENCY,
    )


def _seller(value: SellerValue) -> Seller:
    return Seller(
        country=value.country,
        vat_id=value.vat_id,
        legal_name=value.legal_name,
        address_lines=tuple(value.address_lines),
        iban=value.iban,
        bic=value.bic,
        bank_name=value.bank_name,
    )


async def seed_from_environment(session: AsyncSession, settings: BillingSettings, now: datetime) -> int:
    """A fresh database's first values, from the `BILLING_*` environment (each kind only while it has none)."""
    taxes = {country: TaxRateValue(rate_percent=rate) for country, rate in settings.tax_rates.items()}
    if settings.default_tax_rate:
        taxes[DEFAULT_SCOPE] = TaxRateValue(rate_percent=settings.default_tax_rate)
    seeded = await STORE.seed_if_empty(session, TAX_RATES, taxes, effective_from=SEED_FROM, recorded_at=now)
    discounts = (
        {DEFAULT_SCOPE: DiscountValue(percent=settings.distributor_discount_percent)}
        if settings.distributor_discount_percent
        else {}
    )
    seeded += await STORE.seed_if_empty(
        session, DISTRIBUTOR_DISCOUNTS, discounts, effective_from=SEED_FROM, recorded_at=now
    )
    currency = {DEFAULT_SCOPE: PriceListCurrencyValue(currency=settings.fx_price_list_currency)}
    seeded += await STORE.seed_if_empty(
        session, PRICE_LIST_CURRENCIES_KIND, currency, effective_from=SEED_FROM, recorded_at=now
    )
    base = {DEFAULT_SCOPE: FxBaseCurrencyValue(currency=DEFAULT_FX_BASE_CURRENCY)}
    seeded += await STORE.seed_if_empty(session, FX_BASE_CURRENCY, base, effective_from=SEED_FROM, recorded_at=now)
    return seeded
