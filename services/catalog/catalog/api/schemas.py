"""Request and response schemas of products, versions, commitments, exclusion sets and eligibility."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bss.api.input_text import MultiLine, Name, SingleLine, Text
from bss.events.contracts.value_types import CountryCode, NonNegativeAmount, Uuid
from bss.money import PRICE_LIST_CURRENCIES, currency_code

_INPUT = ConfigDict(extra="forbid")


def price_list_currency(value: str) -> str:
    code = currency_code(value)
    if code not in PRICE_LIST_CURRENCIES:
        raise ValueError(f"{code} is not a price-list currency ({', '.join(PRICE_LIST_CURRENCIES)}); use FX rates")
    return code


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
                "code": "csp-commit-1000",
                "name": "Acronis Cyber Cloud for Service Providers - Tier 3",
                "tier": "Tier 3",
                "effective_from": "2024-01-01",
                "commitments": [{"currency": "USD", "amount": "1000"}, {"currency": "EUR", "amount": "920"}],
                "exclusion_set": "acronis-csp-contracts",
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
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"marketing_text": "Now with DR."}})

    description: MultiLine | None = None
    marketing_text: MultiLine | None = None
    requested_at: RequestedAt = None


class VersionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "effective_from": "2024-01-01",
                "name": "Acronis Cyber Cloud for Service Providers - Tier 3",
                "tier": "Tier 3",
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
            "example": {"effective_from": "2025-01-01", "commitments": [{"currency": "USD", "amount": "1100"}]}
        },
    )

    effective_from: date
    commitments: list[CommitmentIn] = Field(min_length=1)
    requested_at: RequestedAt = None


class Deactivation(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"effective_from": "2025-01-01"}})

    effective_from: date | None = Field(default=None, description="First day it cannot be ordered; default today.")
    reason: Text | None = None
    requested_at: RequestedAt = None


class ExclusionSetPut(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"product_ids": ["<uuid>", "<uuid>"]}})

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
                "id": "8a1d3a52-2f7c-5d8e-9c53-3b0f1e2d4c5a",
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
                "id": "8a1d…",
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
            "example": {
                "code": "acronis-ccsp",
                "name": "Acronis Cyber Cloud for Service Providers",
                "characteristics": ["Tier"],
            }
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
                "product_id": "…",
                "on": "2024-02-01",
                "orderable": False,
                "reasons": [{"code": "new_partner_region", "message": "Partners who joined on or after …"}],
            }
        }
    )

    product_id: str
    on: date
    orderable: bool
    reasons: list[ReasonRead]


class ExclusionSetRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"name": "acronis-csp-contracts", "product_ids": ["8a1d…", "e6f4…"]}}
    )

    name: str
    product_ids: list[str]


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"known_on": None}})

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
                "product_events": 9,
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
