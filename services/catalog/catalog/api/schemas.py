"""Request and response schemas of products, versions, commitments, exclusion sets and eligibility."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bss import money
from bss.api.input_text import MultiLine, Name, SingleLine, Text
from bss.events.contracts.value_types import CountryCode, NonNegativeAmount, Uuid
from catalog.api.examples import (
    FILES_EXCLUSION_SET,
    FILES_PRODUCT_CODE,
    FILES_PRODUCT_ID,
    FILES_TYPE_CODE,
    TIER_1_PRODUCT_ID,
    TIER_3_PRODUCT_ID,
)

_INPUT = ConfigDict(extra="forbid")


def price_list_currency(value: str) -> str:
    try:
        return money.price_list_currency(value)
    except money.NotAPriceList as exc:
        raise ValueError(f"{exc}; use FX rates") from exc


PriceListCurrency = Annotated[str, AfterValidator(price_list_currency)]
Code = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$", examples=["csp-commit-1000"])]
RequestedAt = Annotated[
    datetime | None,
    Field(description="Admins only: apply the change as of this earlier instant (RFC 3339); the real time is kept."),
]


class CommitmentIn(BaseModel):
    model_config = _INPUT

    currency: PriceListCurrency
    amount: NonNegativeAmount


class RestrictionIn(BaseModel):
    model_config = _INPUT

    countries: list[CountryCode] = Field(min_length=1)
    partners_since: date


class ProductCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "code": FILES_PRODUCT_CODE,
                "name": "Acronis Cyber Files Cloud - Standard",
                "tier": "Standard",
                "product_type": FILES_TYPE_CODE,
                "description": "Acronis Cyber Files Cloud with a minimum commitment of 100 USD a month.",
                "effective_from": "2025-01-01",
                "commitments": [{"currency": "USD", "amount": "100"}, {"currency": "EUR", "amount": "92"}],
            }
        },
    )

    code: Code
    name: Name
    tier: Name
    product_type: SingleLine = Field(default="acronis-ccsp", description="Code of the product type.")
    description: MultiLine = ""
    marketing_text: MultiLine = ""
    effective_from: date | None = Field(default=None, description="First day of the product; default: today.")
    commitments: list[CommitmentIn] = Field(min_length=1)
    orderable_before: date | None = None
    new_partner_restriction: RestrictionIn | None = None
    exclusion_set: SingleLine | None = Field(default=None, description="Name of an existing exclusion set.")
    requested_at: RequestedAt = None


class ProductUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"marketing_text": "Sync and share files securely, from any device."}},
    )

    description: MultiLine | None = None
    marketing_text: MultiLine | None = None
    requested_at: RequestedAt = None


class VersionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "effective_from": "2025-07-01",
                "name": "Acronis Cyber Files Cloud - Advanced",
                "tier": "Advanced",
            }
        },
    )

    effective_from: date
    name: Name
    tier: Name
    orderable_before: date | None = None
    new_partner_restriction: RestrictionIn | None = None
    requested_at: RequestedAt = None


class CommitmentsCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "effective_from": "2025-07-01",
                "commitments": [{"currency": "USD", "amount": "120"}, {"currency": "EUR", "amount": "110"}],
            }
        },
    )

    effective_from: date
    commitments: list[CommitmentIn] = Field(min_length=1)
    requested_at: RequestedAt = None


class Deactivation(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"effective_from": "2026-01-01", "reason": "Replaced by the Cyber Protect Cloud bundle."}
        },
    )

    effective_from: date | None = Field(default=None, description="First day it cannot be ordered; default today.")
    reason: Text | None = None
    requested_at: RequestedAt = None


class ExclusionSetPut(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"product_ids": [FILES_PRODUCT_ID]}})

    product_ids: list[Uuid] = Field(min_length=1)
    requested_at: RequestedAt = None


class CommitmentRead(BaseModel):
    currency: str
    amount: Decimal


class RestrictionRead(BaseModel):
    countries: list[str]
    partners_since: date


class ProductRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": TIER_3_PRODUCT_ID,
                "code": "csp-commit-1000",
                "product_type": "Acronis Cyber Cloud for Service Providers",
                "as_of": "2024-02-01",
                "name": "Acronis Cyber Cloud for Service Providers - Tier 3",
                "tier": "Tier 3",
                "state": "active",
                "commitments": [{"currency": "USD", "amount": "1000"}],
            }
        }
    )

    id: str
    code: str
    product_type: str
    as_of: date
    name: str
    tier: str
    description: str
    marketing_text: str
    state: str = Field(description="'active' or 'deactivated' on `as_of`.")
    available_from: date
    deactivated_on: date | None
    orderable_before: date | None
    new_partner_restriction: RestrictionRead | None
    commitments: list[CommitmentRead]
    upgrade_product_ids: list[str]
    exclusion_set: str | None


class VersionRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "effective_from": "2024-01-01",
                "name": "Acronis Cyber Cloud for Service Providers - Tier 3",
                "tier": "Tier 3",
                "orderable_before": None,
                "new_partner_restriction": None,
            }
        }
    )

    effective_from: date
    name: str
    tier: str
    orderable_before: date | None
    new_partner_restriction: RestrictionRead | None


class DatedCommitmentRead(BaseModel):
    currency: str
    amount: Decimal
    effective_from: date


class ProductHistoryRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": TIER_3_PRODUCT_ID,
                "code": "csp-commit-1000",
                "versions": [
                    {
                        "effective_from": "2022-01-01",
                        "name": "Acronis Cyber Cloud for Service Providers - Tier 2",
                        "tier": "Tier 2",
                        "orderable_before": None,
                        "new_partner_restriction": None,
                    }
                ],
                "commitments": [{"currency": "USD", "amount": "1000", "effective_from": "2022-01-01"}],
                "deactivated_on": None,
            }
        }
    )

    id: str
    code: str
    versions: list[VersionRead]
    commitments: list[DatedCommitmentRead]
    deactivated_on: date | None


class ProductTypeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"code": FILES_TYPE_CODE, "name": "Acronis Cyber Files Cloud", "characteristics": ["Edition"]}
        },
    )

    code: Code
    name: Name
    characteristics: list[Name] = Field(default_factory=list)
    requested_at: RequestedAt = None


class ProductTypeRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "9dce…",
                "code": "acronis-ccsp",
                "name": "Acronis Cyber Cloud for Service Providers",
                "characteristics": ["Tier"],
            }
        }
    )

    id: str
    code: str
    name: str
    characteristics: list[str]


class ReasonRead(BaseModel):
    code: str
    message: str


class EligibilityRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "product_id": TIER_1_PRODUCT_ID,
                "on": "2025-01-01",
                "orderable": False,
                "reasons": [
                    {
                        "code": "new_partner_region",
                        "message": "Partners who joined on or after 2024-01-01 in AU, GB, IE, US cannot buy or "
                        "move to this tier.",
                    }
                ],
            }
        }
    )

    product_id: str
    on: date
    orderable: bool
    reasons: list[ReasonRead]


class ExclusionSetRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"name": FILES_EXCLUSION_SET, "product_ids": [FILES_PRODUCT_ID]}}
    )

    name: str
    product_ids: list[str]


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {}})

    known_on: date | None = Field(
        default=None, description="Load the definition as the vendor had it on this date (e.g. 2023-12-31)."
    )
    requested_at: RequestedAt = None


class SyncReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "products_created": 9,
                "versions_written": 14,
                "commitments_written": 54,
                "skus_created": 14,
                "prices_written": 756,
                "product_events": 16,
                "changed": True,
            }
        }
    )

    products_created: int
    versions_written: int
    commitments_written: int
    skus_created: int
    prices_written: int
    product_events: int
    changed: bool
