"""Routes of usage SKUs, sell prices, reseller custom price lists and FX rates."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query

from bss.api.caller import Admin, CurrentCaller, tenant_scope
from bss.api.idempotency import IdempotencyKey, IdempotentRequest
from bss.api.json_body import JsonBodyRoute
from bss.money import UnknownCurrency, currency_code
from catalog.api import mapping
from catalog.api.price_schemas import (
    ConversionRead,
    CustomPriceListCreate,
    FxRateRead,
    FxRatesCreate,
    FxRatesRead,
    PriceRead,
    PublicationRead,
    SellPricesCreate,
    SkuCreate,
    SkuRead,
)
from catalog.api.responses import problems
from catalog.api.schemas import price_list_currency
from catalog.deps import RuntimeDep, use_case
from catalog.errors import InvalidField
from catalog.usecases import prices as use
from catalog.usecases import structure_reads
from catalog.usecases.price_reads import conversion, fx_rates_on, reseller_prices

router = APIRouter(prefix="/v1", tags=["prices"], route_class=JsonBodyRoute)
On = Annotated[date | None, Query(description="As of this date (YYYY-MM-DD); default today.")]


def _currency(value: str, field: str, *, price_list: bool) -> str:
    try:
        return price_list_currency(value) if price_list else currency_code(value)
    except (UnknownCurrency, ValueError) as exc:
        raise InvalidField(field, str(exc)) from exc


@router.post(
    "/skus", status_code=201, summary="Create a usage SKU", response_model=SkuRead, responses=problems(409, 422)
)
async def post_sku(body: SkuCreate, runtime: RuntimeDep, caller: Admin, key: IdempotencyKey = None) -> SkuRead:
    request = IdempotentRequest.of(key, caller=caller.subject, route="create-sku", body=body.model_dump(mode="json"))
    ctx = use_case(runtime, caller, body.requested_at)
    return mapping.to_sku_read(await use.create_sku(ctx, mapping.to_create_sku(body), request))


@router.get("/skus", summary="Usage SKUs with unit and aggregation rule", response_model=list[SkuRead])
async def get_skus(runtime: RuntimeDep, _caller: CurrentCaller) -> list[SkuRead]:
    return [mapping.to_sku_read(sku) for sku in await structure_reads.usage_skus(runtime)]


@router.post(
    "/price-books/vendor-sell/prices",
    status_code=201,
    summary="Publish sell prices from a date",
    response_model=PublicationRead,
    responses=problems(422),
)
async def post_sell_prices(
    body: SellPricesCreate, runtime: RuntimeDep, caller: Admin, key: IdempotencyKey = None
) -> PublicationRead:
    request = IdempotentRequest.of(key, caller=caller.subject, route="sell-prices", body=body.model_dump(mode="json"))
    ctx = use_case(runtime, caller, body.requested_at)
    return mapping.to_publication_read(
        await use.publish_sell_prices(ctx, mapping.to_publish_sell_prices(body), request)
    )


@router.get(
    "/prices", summary="Sell prices in force on a date", response_model=list[PriceRead], responses=problems(422)
)
async def get_sell_prices(
    runtime: RuntimeDep,
    _caller: CurrentCaller,
    currency: str = "USD",
    product_id: str | None = None,
    on: On = None,
) -> list[PriceRead]:
    code = _currency(currency, "currency", price_list=True)
    found = await reseller_prices(runtime, None, code, on or runtime.clock.now().date(), product_id)
    return [mapping.to_price_read(price) for price in found]


@router.post(
    "/resellers/{reseller_id}/price-lists",
    status_code=201,
    summary="Publish a reseller's custom price list in one currency from a date",
    response_model=PublicationRead,
    responses=problems(422),
)
async def post_custom_price_list(
    reseller_id: uuid.UUID, body: CustomPriceListCreate, runtime: RuntimeDep, caller: Admin, key: IdempotencyKey = None
) -> PublicationRead:
    request = IdempotentRequest.of(
        key, caller=caller.subject, route=f"price-list:{reseller_id}", body=body.model_dump(mode="json")
    )
    ctx = use_case(runtime, caller, body.requested_at)
    command = mapping.to_publish_custom_price_list(body)
    return mapping.to_publication_read(await use.publish_custom_price_list(ctx, str(reseller_id), command, request))


@router.get(
    "/resellers/{reseller_id}/prices",
    summary="The unit prices a reseller pays on a date (custom list, else sell price)",
    response_model=list[PriceRead],
    responses=problems(404, 422),
)
async def get_reseller_prices(
    reseller_id: str,
    runtime: RuntimeDep,
    caller: CurrentCaller,
    currency: str = "USD",
    product_id: str | None = None,
    on: On = None,
) -> list[PriceRead]:
    scoped = tenant_scope(caller, reseller_id) or reseller_id
    code = _currency(currency, "currency", price_list=True)
    found = await reseller_prices(runtime, scoped, code, on or runtime.clock.now().date(), product_id)
    return [mapping.to_price_read(price) for price in found]


@router.post(
    "/fx-rates",
    status_code=201,
    summary="Publish FX rates from a date: units per USD and pairs of any two currencies",
    response_model=FxRatesRead,
    responses=problems(422),
)
async def post_fx_rates(
    body: FxRatesCreate, runtime: RuntimeDep, caller: Admin, key: IdempotencyKey = None
) -> FxRatesRead:
    request = IdempotentRequest.of(key, caller=caller.subject, route="fx-rates", body=body.model_dump(mode="json"))
    ctx = use_case(runtime, caller, body.requested_at)
    return mapping.to_fx_rates_read(await use.publish_fx_rates(ctx, mapping.to_publish_fx_rates(body), request))


@router.get(
    "/fx-rates", summary="FX rates in force on a date", response_model=list[FxRateRead], responses=problems(422)
)
async def get_fx_rates(runtime: RuntimeDep, _caller: CurrentCaller, on: On = None) -> list[FxRateRead]:
    return [mapping.to_fx_rate_read(rate) for rate in await fx_rates_on(runtime, on or runtime.clock.now().date())]


@router.get(
    "/fx-rates/convert",
    summary="Convert an amount, recording the rates used",
    response_model=ConversionRead,
    responses=problems(422),
)
async def get_conversion(
    runtime: RuntimeDep,
    _caller: CurrentCaller,
    amount: Decimal,
    from_currency: str,
    to_currency: str,
    on: On = None,
) -> ConversionRead:
    source = _currency(from_currency, "from_currency", price_list=False)
    target = _currency(to_currency, "to_currency", price_list=False)
    if not amount.is_finite():
        raise InvalidField("amount", "must be a finite decimal")
    converted = await conversion(runtime, amount, source, target, on or runtime.clock.now().date())
    return mapping.to_conversion_read(converted)
