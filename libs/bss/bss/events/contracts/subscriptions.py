"""Subscriptions events: resellers, and the life of each reseller's contract-tier subscription.

Every state transition (trial -> active -> cancelled, suspended <-> active, trial -> expired) and every tier
change or ramp-up grant is an event, so billing keeps its own read model of what to bill, at which tier, from
when, and other BSS systems can follow. Times are the business instants the rules applied at (an admin may
backdate them with `requested_at`); the envelope `time` is when the event was recorded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bss.calendar_months import months_between
from bss.events import topics
from bss.events.contracts.value_types import (
    CountryCode,
    Currency,
    Email,
    LocaleTag,
    Name,
    PeriodStart,
    Text,
    UtcDatetime,
    Uuid,
)
from bss.events.envelope import EventData

ResellerStatus = Literal["active", "suspended"]
"""Whether a reseller may order: the one list the subscriptions service's API, use cases and table take."""
SubscriptionKind = Literal["trial", "paid"]
"""How a subscription starts."""
TierChangeDirection = Literal["upgrade", "downgrade"]
"""A move to a higher or a lower commitment."""
SuspensionReason = Literal["non_payment", "other"]
"""Why a subscription was suspended."""

# Ids used by the examples.
_RESELLER = "0190c3a1-2000-7000-8000-000000000200"
_SUBSCRIPTION = "0190c3a1-3000-7000-8000-000000000300"
_TIER1 = "0190c3a0-0001-7000-8000-000000000001"
_TIER3 = "0190c3a0-0003-7000-8000-000000000003"


class PostalAddress(BaseModel):
    """A billing address."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    lines: tuple[Name, ...] = Field(min_length=1, max_length=4, description="Street address lines.")
    city: Name = Field(description="City or locality.")
    postal_code: Name | None = Field(default=None, description="Postal code, where the country has one.")
    region: Name | None = Field(default=None, description="State, province or county, where used.")
    country: CountryCode = Field(description="ISO 3166-1 alpha-2 country code.")


class ResellerRegisteredV1(EventData):
    """A reseller (service provider) joined the distributor: who it is, where, and how it is billed."""

    event_type: ClassVar[str] = "bss.subscriptions.ResellerRegistered.v1"
    topic: ClassVar[str] = topics.SUBSCRIPTIONS

    reseller_id: Uuid = Field(description="The reseller; also its tenant id in the suite.")
    legal_name: Name = Field(description="Legal name, as on invoices.")
    country: CountryCode = Field(description="Country of the reseller: region rules and tax rate.")
    partner_since: date = Field(description="Start of the partnership with the vendor (region rule cut-off).")
    billing_currency: Currency = Field(description="Currency the reseller's invoices are issued in.")
    billing_email: Email = Field(description="Where invoices are sent.")
    billing_address: PostalAddress = Field(description="Address printed on invoices.")
    tax_id: Name | None = Field(default=None, description="VAT or tax registration number, if any.")
    acronis_tenant_id: Uuid | None = Field(
        default=None, description="The reseller's partner tenant in Acronis Cyber Cloud, once provisioned."
    )
    registered_at: UtcDatetime = Field(description="When the reseller was registered (may be backdated).")
    contract_signed_on: date | None = Field(
        default=None,
        description="When the reseller signed its contract: starts the support incident quota windows.",
    )

    def subject(self) -> str:
        return self.reseller_id

    @classmethod
    def example(cls) -> Self:
        return cls.model_validate(
            {
                "reseller_id": _RESELLER,
                "legal_name": "Northwind Managed Services GmbH",
                "country": "DE",
                "partner_since": date(2022, 5, 1),
                "billing_currency": "EUR",
                "billing_email": "billing@northwind.example",
                "billing_address": {
                    "lines": ["Hafenstrasse 12"],
                    "city": "Hamburg",
                    "postal_code": "20457",
                    "country": "DE",
                },
                "tax_id": "DE136695976",
                "registered_at": datetime(2022, 5, 2, 9, 30, tzinfo=UTC),
                "contract_signed_on": date(2022, 5, 2),
            }
        )


DEFAULT_PAYMENT_TERMS_DAYS = 30
"""Days from the invoice date to its due date where a profile does not say otherwise."""
DEFAULT_LOCALE = "en"
"""The language and formats of a reseller's documents where its profile does not say otherwise."""


class BillingProfile(BaseModel):
    """How a reseller is invoiced: who is billed and where, in which currency, on what terms, in which language."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    legal_name: Name = Field(description="The buyer's legal name, as invoices print it.")
    billing_email: Email = Field(description="Where invoices are sent.")
    billing_address: PostalAddress = Field(description="The buyer's address, as invoices print it.")
    vat_id: Name | None = Field(
        default=None, description="The buyer's VAT or tax registration number; an EU one decides the reverse charge."
    )
    invoice_currency: Currency = Field(description="The currency invoices are issued in.")
    price_list_currency: Currency | None = Field(
        default=None,
        description=(
            "The vendor price list an invoice in a currency without one (CHF, SEK, ...) is rated from before "
            "conversion; null: the distributor's default (billing's `price-list-currencies`)."
        ),
    )
    payment_terms_days: int = Field(
        default=DEFAULT_PAYMENT_TERMS_DAYS, ge=0, le=365, description="Days from the invoice date to its due date."
    )
    locale: LocaleTag = Field(
        default=DEFAULT_LOCALE, description="BCP 47 tag of the documents' language and number and date formats."
    )


class ResellerBillingProfileChangedV1(EventData):
    """From `effective_from` on, a reseller is invoiced under `profile` (its first profile is announced at its
    registration). Invoices of a period use the profile in force on the period's first day."""

    event_type: ClassVar[str] = "bss.subscriptions.ResellerBillingProfileChanged.v1"
    topic: ClassVar[str] = topics.SUBSCRIPTIONS

    reseller_id: Uuid = Field(description="The reseller.")
    effective_from: date = Field(description="The first day the profile applies to.")
    profile: BillingProfile = Field(description="The whole profile in force from `effective_from`.")
    recorded_at: UtcDatetime = Field(description="When the change was recorded; of two for one day, the later wins.")

    def subject(self) -> str:
        return self.reseller_id

    @classmethod
    def example(cls) -> Self:
        return cls.model_validate(
            {
                "reseller_id": _RESELLER,
                "effective_from": date(2027, 1, 1),
                "profile": {
                    "legal_name": "Northwind Managed Services GmbH",
                    "billing_email": "billing@northwind.example",
                    "billing_address": {
                        "lines": ["Hafenstrasse 12"],
                        "city": "Hamburg",
                        "postal_code": "20457",
                        "country": "DE",
                    },
                    "vat_id": "DE136695976",
                    "invoice_currency": "EUR",
                    "price_list_currency": None,
                    "payment_terms_days": 14,
                    "locale": "de-DE",
                },
                "recorded_at": datetime(2026, 12, 7, 10, 0, tzinfo=UTC),
            }
        )


class ResellerStatusChangedV1(EventData):
    """The distributor suspended a reseller (it cannot order) or reactivated it."""

    event_type: ClassVar[str] = "bss.subscriptions.ResellerStatusChanged.v1"
    topic: ClassVar[str] = topics.SUBSCRIPTIONS

    reseller_id: Uuid = Field(description="The reseller.")
    status: ResellerStatus = Field(description="The reseller's status from `changed_at` on.")
    changed_at: UtcDatetime = Field(description="When the change took effect.")

    def subject(self) -> str:
        return self.reseller_id

    @classmethod
    def example(cls) -> Self:
        return cls(
            reseller_id=_RESELLER,
            status="suspended",
            changed_at=datetime(2024, 5, 15, 0, 0, tzinfo=UTC),
        )


def _check_window(first: date | None, last: date | None) -> None:
    """A ramp-up window names both its first and its last waived period, in order, or neither."""
    if (first is None) != (last is None):
        raise ValueError("a ramp-up window names its first and its last period, or neither")
    if first is not None and last is not None and last < first:
        raise ValueError("a ramp-up window's last period comes before its first")


class _SubscriptionEvent(EventData):
    """Fields every subscription event carries; the subscription is the aggregate and the Kafka key."""

    topic: ClassVar[str] = topics.SUBSCRIPTIONS

    subscription_id: Uuid = Field(description="The subscription; keeps its identity across tier changes.")
    reseller_id: Uuid = Field(description="The reseller owning the subscription.")

    def subject(self) -> str:
        return self.subscription_id


class SubscriptionCreatedV1(_SubscriptionEvent):
    """A reseller ordered a contract product, as a free trial or paid; the quantity is always 1."""

    event_type: ClassVar[str] = "bss.subscriptions.SubscriptionCreated.v1"

    product_id: Uuid = Field(description="The contract product (tier) subscribed to.")
    tier: Name = Field(description="Tier name of the product at `started_at`, for people.")
    kind: SubscriptionKind = Field(
        description="'trial': no commitment and usage is not invoiced; 'paid': billed from `started_at`."
    )
    started_at: UtcDatetime = Field(description="When the subscription started (may be backdated).")
    trial_ends_at: UtcDatetime | None = Field(
        default=None, description="End of the trial, for a trial only; conversion is possible until then."
    )
    auto_convert: bool = Field(default=False, description="A trial converts to paid at its end instead of expiring.")
    billing_currency: Currency = Field(description="Currency the subscription is invoiced in.")
    billed_elsewhere_through: PeriodStart | None = Field(
        default=None,
        description=(
            "An imported subscription: the last period another system invoiced. Billing invoices no period at or "
            "before it and refuses usage measured in one."
        ),
    )

    @model_validator(mode="after")
    def _trial_has_an_end(self) -> Self:
        if (self.kind == "trial") != (self.trial_ends_at is not None):
            raise ValueError("trial_ends_at is set for a trial, and only for a trial")
        if self.billed_elsewhere_through is not None and (
            self.kind != "paid" or self.billed_elsewhere_through < self.started_at.date().replace(day=1)
        ):
            raise ValueError("billed_elsewhere_through is a period of a paid subscription, from its start on")
        if self.trial_ends_at is not None and self.trial_ends_at <= self.started_at:
            raise ValueError("a trial ends after it starts")
        if self.kind == "paid" and self.auto_convert:
            raise ValueError("auto_convert applies to trials only")
        return self

    @classmethod
    def example(cls) -> Self:
        return cls(
            subscription_id=_SUBSCRIPTION,
            reseller_id=_RESELLER,
            product_id=_TIER1,
            tier="Tier 1",
            kind="trial",
            started_at=datetime(2023, 10, 10, 8, 0, tzinfo=UTC),
            trial_ends_at=datetime(2023, 11, 9, 8, 0, tzinfo=UTC),
            billing_currency="EUR",
        )


class TrialConvertedV1(_SubscriptionEvent):
    """A trial became a paid subscription; usage measured from `converted_at` is invoiced."""

    event_type: ClassVar[str] = "bss.subscriptions.TrialConverted.v1"

    product_id: Uuid = Field(description="The product (tier) the subscription is paid for from now.")
    converted_at: UtcDatetime = Field(description="When it became paid; its month is ramp-up cycle 1.")
    automatic: bool = Field(default=False, description="Converted by the auto-conversion at trial end.")
    ramp_up_first_period: PeriodStart | None = Field(
        default=None,
        description="First day of the first billing period whose commitment the ramp-up waives (the month of "
        "`converted_at`); null when the subscription has no ramp-up, or on events from before the window was "
        "carried.",
    )
    ramp_up_last_period: PeriodStart | None = Field(
        default=None,
        description="First day of the last billing period whose commitment the ramp-up waives; set together "
        "with `ramp_up_first_period`.",
    )

    @model_validator(mode="after")
    def _one_ramp_up_window(self) -> Self:
        _check_window(self.ramp_up_first_period, self.ramp_up_last_period)
        return self

    @classmethod
    def example(cls) -> Self:
        return cls(
            subscription_id=_SUBSCRIPTION,
            reseller_id=_RESELLER,
            product_id=_TIER1,
            converted_at=datetime(2023, 10, 20, 14, 5, tzinfo=UTC),
            ramp_up_first_period=date(2023, 10, 1),
            ramp_up_last_period=date(2023, 12, 1),
        )


class TrialExpiredV1(_SubscriptionEvent):
    """A trial reached its end without conversion; the subscription is over and was never billed."""

    event_type: ClassVar[str] = "bss.subscriptions.TrialExpired.v1"

    product_id: Uuid = Field(description="The product (tier) that was on trial.")
    expired_at: UtcDatetime = Field(description="When the trial ended.")

    @classmethod
    def example(cls) -> Self:
        return cls(
            subscription_id=_SUBSCRIPTION,
            reseller_id=_RESELLER,
            product_id=_TIER1,
            expired_at=datetime(2023, 11, 9, 8, 0, tzinfo=UTC),
        )


class SubscriptionTierChangedV1(_SubscriptionEvent):
    """The subscription moves to another tier from the billing period starting `effective_from`.

    One tier applies to a whole period. An upgrade applies to the period of the request, a downgrade from the
    next one. Read-model rule: the tier from `effective_from` on is `to_product_id`, and this event replaces
    any change with the same or a later `effective_from` received before it (a second change in a period
    replaces the pending one; an upgrade cancels a pending downgrade).
    """

    event_type: ClassVar[str] = "bss.subscriptions.SubscriptionTierChanged.v1"

    from_product_id: Uuid = Field(description="Product (tier) in force before `effective_from`.")
    from_tier: Name = Field(description="Tier name of the from-product at the request, for people.")
    to_product_id: Uuid = Field(description="Product (tier) in force from `effective_from`.")
    to_tier: Name = Field(description="Tier name of the to-product at the request, for people.")
    direction: TierChangeDirection = Field(description="'upgrade': a higher commitment; 'downgrade': a lower one.")
    requested_at: UtcDatetime = Field(description="When the change was requested; it decides the period.")
    effective_from: PeriodStart = Field(
        description="First day of the first billing period billed at the new tier (always a 1st)."
    )

    @model_validator(mode="after")
    def _moves_somewhere(self) -> Self:
        if self.from_product_id == self.to_product_id:
            raise ValueError("a tier change moves to another product")
        return self

    @classmethod
    def example(cls) -> Self:
        return cls(
            subscription_id=_SUBSCRIPTION,
            reseller_id=_RESELLER,
            from_product_id=_TIER1,
            from_tier="Tier 1",
            to_product_id=_TIER3,
            to_tier="Tier 3",
            direction="upgrade",
            requested_at=datetime(2024, 3, 14, 10, 0, tzinfo=UTC),
            effective_from=date(2024, 3, 1),
        )


class RampUpGrantedV1(_SubscriptionEvent):
    """The minimum commitment is waived for the first `cycles` billing periods of a new paid subscription.

    Usage is still billed. A ramp-up starts with the subscription and cannot be paused or added later. The
    waived periods are `first_period` to `last_period`, as subscriptions decided them; for a trial they are
    known at conversion and carried by `TrialConverted`. Consumers read the window and do not count cycles;
    an event without `last_period` (written before it existed) is read as `cycles` months from the month the
    subscription became paid.
    """

    event_type: ClassVar[str] = "bss.subscriptions.RampUpGranted.v1"

    cycles: int = Field(
        ge=1, le=3, description="Billing periods waived: at most 3 before 2023-11-01, at most 1 from then."
    )
    first_period: PeriodStart | None = Field(
        description="First day of cycle 1 (the month the subscription became paid); null while in trial, "
        "when cycle 1 will be the month of conversion."
    )
    last_period: PeriodStart | None = Field(
        default=None,
        description="First day of the last waived billing period (cycle `cycles`); null while in trial, and on "
        "events from before the window was carried.",
    )
    scope: Literal["reseller", "all_new_resellers"] = Field(
        description="Granted to this reseller, or by the distributor's policy for all new resellers."
    )
    granted_at: UtcDatetime = Field(description="When the ramp-up was granted.")

    @model_validator(mode="after")
    def _window_of_the_cycles(self) -> Self:
        if self.last_period is None:
            return self
        _check_window(self.first_period, self.last_period)
        if self.first_period is not None and months_between(self.first_period, self.last_period) + 1 != self.cycles:
            raise ValueError("first_period to last_period spans exactly `cycles` billing periods")
        return self

    @classmethod
    def example(cls) -> Self:
        return cls(
            subscription_id=_SUBSCRIPTION,
            reseller_id=_RESELLER,
            cycles=3,
            first_period=date(2023, 10, 1),
            last_period=date(2023, 12, 1),
            scope="reseller",
            granted_at=datetime(2023, 10, 20, 14, 5, tzinfo=UTC),
        )


class SubscriptionSuspendedV1(_SubscriptionEvent):
    """The subscription is suspended (non-payment); it can be resumed."""

    event_type: ClassVar[str] = "bss.subscriptions.SubscriptionSuspended.v1"

    suspended_at: UtcDatetime = Field(description="When the suspension took effect.")
    reason: SuspensionReason = Field(description="Why it was suspended.")
    detail: Text | None = Field(default=None, description="More on the reason, for people.")

    @classmethod
    def example(cls) -> Self:
        return cls(
            subscription_id=_SUBSCRIPTION,
            reseller_id=_RESELLER,
            suspended_at=datetime(2024, 5, 15, 0, 0, tzinfo=UTC),
            reason="non_payment",
            detail="Invoice INV-2024-000311 overdue by 30 days.",
        )


class SubscriptionResumedV1(_SubscriptionEvent):
    """A suspended subscription is active again."""

    event_type: ClassVar[str] = "bss.subscriptions.SubscriptionResumed.v1"

    resumed_at: UtcDatetime = Field(description="When the subscription became active again.")

    @classmethod
    def example(cls) -> Self:
        return cls(
            subscription_id=_SUBSCRIPTION,
            reseller_id=_RESELLER,
            resumed_at=datetime(2024, 5, 20, 11, 42, tzinfo=UTC),
        )


class SubscriptionCancelledV1(_SubscriptionEvent):
    """The subscription is cancelled; by default it ends with the current billing period, billed in full."""

    event_type: ClassVar[str] = "bss.subscriptions.SubscriptionCancelled.v1"

    product_id: Uuid = Field(description="The product (tier) in force when cancelled.")
    status_before: Literal["trial", "active", "suspended"] = Field(
        description="State the subscription was in when cancelled."
    )
    requested_at: UtcDatetime = Field(description="When the cancellation was requested.")
    effective_at: UtcDatetime = Field(
        description="When the subscription ends: the end of the current billing period by default."
    )
    last_billed_period: PeriodStart | None = Field(
        description="First day of the last billing period to invoice; null when it was never paid."
    )
    reason: Text | None = Field(default=None, description="Why it was cancelled, for people.")

    @model_validator(mode="after")
    def _ends_after_request(self) -> Self:
        if self.effective_at < self.requested_at:
            raise ValueError("a cancellation takes effect at or after its request")
        return self

    @classmethod
    def example(cls) -> Self:
        return cls(
            subscription_id=_SUBSCRIPTION,
            reseller_id=_RESELLER,
            product_id=_TIER3,
            status_before="active",
            requested_at=datetime(2024, 9, 12, 16, 20, tzinfo=UTC),
            effective_at=datetime(2024, 10, 1, 0, 0, tzinfo=UTC),
            last_billed_period=date(2024, 9, 1),
            reason="Moving to another distributor.",
        )
