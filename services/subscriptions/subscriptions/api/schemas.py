"""Request and response schemas: `XCreate` inputs forbid unknown fields; money is a decimal string + currency."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

from bss.api import examples
from bss.api.input_text import Email, Name, Text
from bss.events.contracts.subscriptions import (
    DEFAULT_LOCALE,
    DEFAULT_PAYMENT_TERMS_DAYS,
    BillingProfile,
    ResellerStatus,
    SubscriptionKind,
    SuspensionReason,
    TierChangeDirection,
)
from bss.events.contracts.value_types import CountryCode, Currency, LocaleTag, Uuid
from bss.vat_ids import vat_id_problem
from subscriptions.adapters.billing_profiles import vendor_price_list
from subscriptions.api import examples as own
from subscriptions.domain.countries import country_refusal
from subscriptions.domain.lifecycle import Status
from subscriptions.domain.trials import MAX_TRIAL_DAYS, MIN_TRIAL_DAYS
from subscriptions.usecases.resellers import RegisterReseller

DecimalText = Annotated[Decimal, PlainSerializer(lambda d: format(d, "f"), return_type=str)]
_INPUT = ConfigDict(extra="forbid")


def _iso_country(code: str) -> str:
    if problem := country_refusal(code):
        raise ValueError(problem)
    return code


Country = Annotated[CountryCode, AfterValidator(_iso_country)]


class PostalAddressIn(BaseModel):
    model_config = _INPUT

    lines: list[Name] = Field(min_length=1, max_length=4)
    city: Name
    postal_code: Name | None = None
    region: Name | None = None
    country: Country


class ResellerFields(BaseModel):
    """What a reseller is registered with (a registration, a line of the book import)."""

    model_config = _INPUT

    reseller_id: Uuid | None = Field(default=None, description="Keep an existing tenant id (imports); else new.")
    legal_name: Name
    billing_email: Email
    billing_address: PostalAddressIn
    country: Country = Field(description="ISO 3166-1 alpha-2 (the UK is 'GB').")
    partner_since: date = Field(description="Start of the partnership with the vendor (region rule cut-off).")
    billing_currency: Currency
    contract_signed_on: date
    tax_id: Name | None = Field(
        default=None, description="VAT or tax number; in the EU, a valid VAT id of the reseller's country."
    )
    price_list_currency: Currency | None = Field(
        default=None,
        description="Billing profile: the vendor price list of FX-billed invoices (null: the distributor's default).",
    )
    payment_terms_days: StrictInt = Field(
        default=DEFAULT_PAYMENT_TERMS_DAYS, ge=0, le=365, description="Billing profile: days from invoice to due date."
    )
    locale: LocaleTag = Field(default=DEFAULT_LOCALE, description="Billing profile: the documents' locale (BCP 47).")

    @field_validator("price_list_currency")
    @classmethod
    def _vendor_price_list(cls, value: str | None) -> str | None:
        return vendor_price_list(value)

    @model_validator(mode="after")
    def _vat_id_of_its_country(self) -> Self:
        if problem := vat_id_problem(self.tax_id, self.country):
            raise ValueError(f"tax_id is {problem}")
        return self

    def command(self) -> RegisterReseller:
        return RegisterReseller(
            legal_name=self.legal_name,
            billing_email=self.billing_email,
            billing_address=self.billing_address.model_dump(mode="json"),
            country=self.country,
            partner_since=self.partner_since,
            billing_currency=self.billing_currency,
            contract_signed_on=self.contract_signed_on,
            tax_id=self.tax_id,
            reseller_id=self.reseller_id,
            price_list_currency=self.price_list_currency,
            payment_terms_days=self.payment_terms_days,
            locale=self.locale,
        )


REGISTRATION_EXAMPLES: dict[str, Any] = {
    "northwind": {
        "summary": "A German reseller, registered as of 2025-01-01 with its Acronis tenant id",
        "value": {
            "reseller_id": examples.RESELLER_ID,
            "legal_name": "Northwind Managed Services GmbH",
            "billing_email": "billing@northwind.example",
            "billing_address": {"lines": ["Hafenstrasse 12"], "city": "Hamburg", "country": "DE"},
            "country": "DE",
            "partner_since": "2022-05-01",
            "billing_currency": "EUR",
            "contract_signed_on": "2022-05-02",
            "requested_at": "2025-01-01T00:00:00Z",
        },
    },
    "fabrikam": {
        "summary": "A Dutch reseller with a VAT id, payment terms and a locale of its own",
        "value": {
            "reseller_id": examples.SECOND_RESELLER_ID,
            "legal_name": "Fabrikam Cloud Services B.V.",
            "billing_email": "invoices@fabrikam.example",
            "billing_address": {
                "lines": ["Keizersgracht 241"],
                "city": "Amsterdam",
                "postal_code": "1016 EA",
                "country": "NL",
            },
            "country": "NL",
            "partner_since": "2023-03-01",
            "billing_currency": "EUR",
            "contract_signed_on": "2023-03-06",
            "tax_id": "NL004495445B01",
            "payment_terms_days": 14,
            "locale": "nl-NL",
            "requested_at": "2025-01-01T00:00:00Z",
        },
    },
}
"""`POST /v1/resellers`: the example reseller (`bss.api.examples.RESELLER_ID`) and the second one."""


class ResellerCreate(ResellerFields):
    model_config = _INPUT

    requested_at: AwareDatetime | None = Field(default=None, description="Admin backdating (RFC 3339).")


class ResellerRead(BaseModel):
    id: str
    legal_name: str
    billing_email: str
    billing_address: dict[str, object]
    country: str
    partner_since: date
    billing_currency: str
    contract_signed_on: date
    tax_id: str | None
    status: ResellerStatus
    ramp_up_cycles: int | None
    registered_at: datetime


class BillingProfileRead(BaseModel):
    reseller_id: str
    as_of: date
    profile: BillingProfile
    effective_from: date | None = Field(description="The change the profile comes from (null: as registered).")
    recorded_at: datetime | None
    recorded_by: str | None


class RampUpGrant(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"cycles": 1}})

    cycles: int | None = Field(description="0..3 cycles; the start date caps it (1 from 2023-11-01). null: none.")


class RampUpPolicyRead(BaseModel):
    cycles: int


class TrialChoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"days": 14, "auto_convert": True}})

    days: StrictInt | None = Field(
        default=None,
        ge=MIN_TRIAL_DAYS,
        le=MAX_TRIAL_DAYS,
        description="Whole UTC days from the start day, 1 to 365 (admins only). Default: the trial policy's.",
    )
    auto_convert: StrictBool | None = Field(
        default=None, description="Convert to paid at the trial's end (true) or expire (false). Default: the policy's."
    )


ORDER_EXAMPLES: dict[str, Any] = {
    "paid": {
        "summary": "An admin orders a paid csp-commit-1000 for a reseller, backdated to 2025-01-01",
        "value": {
            "reseller_id": examples.RESELLER_ID,
            "product_id": own.CSP_COMMIT_1000,
            "kind": "paid",
            "start_at": "2025-01-01T00:00:00Z",
            "requested_at": "2025-01-01T00:00:00Z",
        },
    },
    "trial": {
        "summary": "A 14-day trial of csp-commit-250 from now that converts to paid at its end",
        "value": {
            "reseller_id": examples.SECOND_RESELLER_ID,
            "product_id": own.CSP_COMMIT_250,
            "kind": "trial",
            "trial": {"days": 14, "auto_convert": True},
        },
    },
}
"""`POST /v1/subscriptions`: the example subscription (`bss.api.examples.SUBSCRIPTION_ID`) and the second one."""


class SubscriptionCreate(BaseModel):
    model_config = _INPUT

    reseller_id: Uuid | None = Field(default=None, description="Required for admins; a reseller orders for itself.")
    product_id: Uuid
    kind: SubscriptionKind = "paid"
    start_at: AwareDatetime | None = Field(default=None, description="Default: now (or `requested_at`).")
    ramp_up_cycles: int | None = Field(default=None, description="Admin only: overrides the standing grants.")
    trial: TrialChoiceIn | None = Field(
        default=None,
        description=(
            "Trial orders only: this trial's length or auto-conversion, instead of the trial policy in force on the "
            "start day (`/v1/settings/trial-policies`: the product's, else `*`)."
        ),
    )
    requested_at: AwareDatetime | None = Field(default=None, description="Admin backdating (RFC 3339).")


class Commitment(BaseModel):
    amount: DecimalText
    currency: str


class PendingChange(BaseModel):
    to_product_id: str
    direction: str
    effective_from: date


class SubscriptionRead(BaseModel):
    id: str
    reseller_id: str
    product_id: str = Field(description="The product ordered.")
    current_product_id: str = Field(description="The product (tier) in force in the current period.")
    current_tier: str | None
    current_product_name: str | None
    status: Status
    kind: SubscriptionKind
    billing_currency: str
    started_at: datetime
    trial_days: int | None = Field(description="A trial's length in whole UTC days (null for a paid order).")
    trial_ends_at: datetime | None
    trial_last_day: date | None
    auto_convert: bool = Field(description="A trial converts to paid at its end (true) or expires (false).")
    paid_from: datetime | None
    ramp_up_cycles: int
    ramp_up_first_period: date | None
    ends_at: datetime | None
    pending_change: PendingChange | None
    billed_elsewhere_through: date | None = Field(
        default=None, description="Imported: the last month another system invoiced (billing invoices none before)."
    )


class BackdatedAction(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {}})

    requested_at: AwareDatetime | None = Field(default=None, description="Admin backdating (RFC 3339).")


class SuspensionCreate(BackdatedAction):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"reason": "non_payment"}})

    reason: SuspensionReason = "non_payment"
    detail: Text | None = None


class CancellationCreate(BackdatedAction):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"reason": "Moving on."}})

    at_period_end: bool | None = Field(default=None, description="Admin only; default: the service setting.")
    reason: Text | None = None


class TierChangeCreate(BackdatedAction):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"product_id": own.CSP_COMMIT_1000}]})

    product_id: Uuid


class RefusalRead(BaseModel):
    rule: str
    field: str
    message: str


class TierChangePreview(BaseModel):
    allowed: bool
    refusals: list[RefusalRead]
    direction: TierChangeDirection | None
    effective_from: date | None = Field(description="First billing period at the new tier.")
    from_product_id: str | None
    from_tier: str | None
    to_product_id: str
    to_tier: str | None
    from_commitment: Commitment | None
    to_commitment: Commitment | None
    replaces: list[PendingChange]


class TierChangeRead(TierChangePreview):
    subscription: SubscriptionRead


class PeriodRead(BaseModel):
    period: date = Field(description="First day of the billing month.")
    product_id: str
    product_name: str = Field(description="Name of the product as of the 1st of that month.")
    tier: str
    commitment: Commitment | None
    ramp_up: bool
    state: str = Field(description="The state the month ended in.")
    commitment_applies: bool = Field(description="The minimum commitment is owed: a paid month outside ramp-up.")


class SweepRead(BaseModel):
    expired: int
    converted: int


class CatalogProductRead(BaseModel):
    product_id: str
    effective_from: date
    code: str
    name: str
    tier: str
    commitments: list[Commitment]
    upgrade_product_ids: list[str]
    exclusion_set: str | None
    orderable_before: date | None
    deactivated_from: date | None
    new_partner_countries: list[str]
    new_partner_since: date | None
