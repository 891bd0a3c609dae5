"""Request and response schemas of product groups and the storefront catalog."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from bss.api.input_text import MultiLine, Name
from bss.events.contracts.value_types import Uuid
from catalog.api.examples import FILES_PRODUCT_ID, TIER_3_PRODUCT_ID
from catalog.api.schemas import RequestedAt


class GroupCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "name": "Acronis Cyber Files Cloud",
                "category": "File Sync & Share",
                "marketing_text": "Secure file sync and share for your customers, billed per user.",
                "product_ids": [FILES_PRODUCT_ID],
            }
        },
    )

    name: Name
    category: Name
    marketing_text: MultiLine = ""
    product_ids: list[Uuid] = Field(default_factory=list)
    requested_at: RequestedAt = None


class GroupPublish(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {}})

    requested_at: RequestedAt = None


class GroupRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "3c2a4e6f-8a1b-4c3d-9e5f-7a9b1c3d5e7f",
                "name": "Acronis Cyber Cloud for Service Providers",
                "category": "Cloud Backup & Cyber Protection",
                "marketing_text": "Pick the monthly commitment that fits your business and pay per use.",
                "published": True,
                "published_at": "2024-01-01T00:00:00Z",
                "product_ids": [TIER_3_PRODUCT_ID],
            }
        }
    )

    id: str
    name: str
    category: str
    marketing_text: str
    published: bool
    published_at: datetime | None
    product_ids: list[str]


class StorefrontCommitment(BaseModel):
    currency: str
    amount: Decimal


class StorefrontProduct(BaseModel):
    id: str
    code: str
    name: str
    tier: str
    description: str
    marketing_text: str
    commitments: list[StorefrontCommitment]


class StorefrontGroup(BaseModel):
    id: str
    name: str
    category: str
    marketing_text: str
    products: list[StorefrontProduct]


class StorefrontCatalog(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "catalog_version": 42,
                "as_of": "2024-02-01",
                "groups": [
                    {
                        "id": "…",
                        "name": "Acronis Cyber Cloud for Service Providers",
                        "category": "Cloud Backup & Cyber Protection",
                        "marketing_text": "…",
                        "products": [
                            {
                                "id": "…",
                                "code": "csp-commit-1000",
                                "name": "Acronis Cyber Cloud for Service Providers - Tier 3",
                                "tier": "Tier 3",
                                "description": "…",
                                "marketing_text": "…",
                                "commitments": [{"currency": "USD", "amount": "1000"}],
                            }
                        ],
                    }
                ],
            }
        }
    )

    catalog_version: int
    as_of: date
    groups: list[StorefrontGroup]
