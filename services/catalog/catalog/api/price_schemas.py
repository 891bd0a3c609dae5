"""Request and response schemas of SKUs, price books, custom price lists and FX rates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from bss.api.input_text import MultiLine, Name, SingleLine, Sku
from bss.events.contracts.catalog import PriceAdjustmentKind
from bss.events.contracts.value_types import (
    Aggregation,
    Currency,
    NonNegativeAmount,
    Percent,
    PositiveRate,
    Uuid,
)
from catalog.api.examples import FILES_PRODUCT_ID, FILES_SKU, FILES_TYPE_CODE, TIER_3_PRODUCT_ID
from catalog.api.schemas import PriceListCurrency, RequestedAt


class SkuCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "sku": FILES_SKU,
                "name": "Files Cloud users",
                "unit": "user",
                "aggregation": "max",
                "product_type": FILES_TYPE_CODE,
                "description": "Licensed Cyber Files Cloud users, peak count.",
                "effective_from": "2025-01-01",
            }
        },
    )

    sku: Sku
    name: Name
    unit: Name
    aggregation: Aggregation
    product_type: SingleLine = "acronis-ccsp"
    description: MultiLine = ""
    effective_from: date | None = Field(default=None, description="First day it is billed; default today.")
    requested_at: RequestedAt = None


class SkuRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "sku": "CSP-SERVERS",
                "name": "Servers",
                "unit": "workload",
                "aggregation": "max",
                "product_type": "acronis-ccsp",
                "description": "Protected physical servers, peak count.",
                "effective_from": "2022-01-01",
            }
        }
    )

    sku: str
    name: str
    unit: str
    aggregation: str
    product_type: str
    description: str
    effective_from: date


class SellPriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: Uuid
    sku: Sku
    currency: PriceListCurrency
    unit_price: NonNegativeAmount


class SellPricesCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "effective_from": "2025-01-01",
                "entries": [
                    {"product_id": FILES_PRODUCT_ID, "sku": FILES_SKU, "currency": "USD", "unit_price": "2.00"},
                    {"product_id": FILES_PRODUCT_ID, "sku": FILES_SKU, "currency": "EUR", "unit_price": "1.84"},
                ],
            }
        },
    )

    effective_from: date
    entries: list[SellPriceIn] = Field(min_length=1)
    requested_at: RequestedAt = None


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: PriceAdjustmentKind
    percent: Percent

    @field_validator("percent")
    @classmethod
    def _margin_below_100(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        if info.data.get("kind") == "margin" and value >= 100:
            raise ValueError("a margin must be below 100 percent (the price would be infinite)")
        return value


class CustomPriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: Uuid
    sku: Sku
    unit_price: NonNegativeAmount


class CustomPriceListCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "currency": "EUR",
                "effective_from": "2025-01-01",
                "adjustment": {"kind": "discount", "percent": "5"},
                "entries": [{"product_id": TIER_3_PRODUCT_ID, "sku": "CSP-SERVERS", "unit_price": "19.00"}],
            }
        },
    )

    currency: PriceListCurrency
    effective_from: date
    adjustment: AdjustmentIn | None = None
    entries: list[CustomPriceIn] = Field(default_factory=list)
    requested_at: RequestedAt = None


class PublicationRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "price_book_id": "0b3c5d7e-9f1a-5b2c-8d4e-6f8a0b2c4d6e",
                "publication_id": "5e1f3a5b-7c9d-4e1f-a3b5-c7d9e1f3a5b7",
                "effective_from": "2025-01-01",
                "entries": 1,
                "batches": 1,
            }
        }
    )

    price_book_id: str
    publication_id: str
    effective_from: date
    entries: int
    batches: int


class PriceRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "product_id": TIER_3_PRODUCT_ID,
                "tier": "Tier 3",
                "sku": "CSP-SERVERS",
                "currency": "EUR",
                "unit_price": "21.896",
                "source": "sell_price",
                "effective_from": "2022-01-01",
            }
        }
    )

    product_id: str
    tier: str
    sku: str
    currency: str
    unit_price: Decimal
    source: str = Field(description="'sell_price', 'custom_price', or 'custom_<adjustment kind>'.")
    effective_from: date


class FxRateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: Currency
    units_per_usd: PositiveRate


class FxPairIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base: Currency = Field(description="ISO 4217 code: one unit of it is worth `rate` units of `quote`.")
    quote: Currency = Field(description="ISO 4217 code, not `base`.")
    rate: PositiveRate = Field(description="Units of `quote` per 1 `base`.")


class FxRatesCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "effective_from": "2024-01-01",
                "rates": [
                    {"currency": "EUR", "units_per_usd": "0.9050"},
                    {"currency": "CHF", "units_per_usd": "0.8412"},
                ],
                "pairs": [{"base": "EUR", "quote": "SEK", "rate": "11.2"}],
                "source": "ECB reference rates",
            }
        },
    )

    effective_from: date
    rates: list[FxRateIn] = Field(
        default_factory=list, description="Units per USD (the pairs with base USD); this or `pairs` is required."
    )
    pairs: list[FxPairIn] = Field(
        default_factory=list,
        description="Rates of any other pair, 1 base = rate quote; a pair is quoted once per date, in one direction.",
    )
    source: Name | None = None
    requested_at: RequestedAt = None


class FxRateRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "currency": "CHF",
                "units_per_usd": "0.8412",
                "base": "USD",
                "quote": "CHF",
                "rate": "0.8412",
                "effective_from": "2024-01-01",
                "source": "ECB reference rates",
            }
        }
    )

    currency: str | None = Field(description="The currency quoted against USD; null for a pair without USD as base.")
    units_per_usd: Decimal | None = Field(description="Units of `currency` per USD; null like `currency`.")
    base: str = Field(default="USD", description="The pair: 1 `base` = `rate` `quote`.")
    quote: str
    rate: Decimal
    effective_from: date
    source: str | None


class FxRatesRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "rate_table_id": "2f0c4e6a-8b1d-5f3a-9c5e-7a9b1d3f5a7c",
                "effective_from": "2024-01-01",
                "rates": [
                    {"currency": "EUR", "units_per_usd": "0.9050"},
                    {"currency": "CHF", "units_per_usd": "0.8412"},
                ],
                "pairs": [{"base": "EUR", "quote": "SEK", "rate": "11.2"}],
                "source": "ECB reference rates",
            }
        }
    )

    rate_table_id: str
    effective_from: date
    rates: list[FxRateIn]
    pairs: list[FxPairIn] = Field(default_factory=list)
    source: str | None


class ConversionRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "amount": "100",
                "currency": "EUR",
                "converted": "92.95",
                "to_currency": "CHF",
                "rate": "0.9295027624309392265193370166",
                "on": "2025-01-15",
                "rates_used": [
                    {
                        "currency": "EUR",
                        "units_per_usd": "0.9050",
                        "base": "USD",
                        "quote": "EUR",
                        "rate": "0.9050",
                        "effective_from": "2024-01-01",
                        "source": None,
                    },
                    {
                        "currency": "CHF",
                        "units_per_usd": "0.8412",
                        "base": "USD",
                        "quote": "CHF",
                        "rate": "0.8412",
                        "effective_from": "2024-01-01",
                        "source": None,
                    },
                ],
            }
        }
    )

    amount: Decimal
    currency: str
    converted: Decimal
    to_currency: str
    rate: Decimal
    on: date
    rates_used: list[FxRateRead]
