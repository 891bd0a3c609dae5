"""Routes of usage SKUs, sell prices, reseller custom price lists and FX rates."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query

from bss.api import examples
from bss.api.caller import Admin, CurrentCaller, tenant_scope
from bss.api.idempotency import IdempotencyKey, IdempotentRequest
from bss.api.json_body import JsonBodyRoute
from bss.money import UnknownCurrency, currency_code
from catalog.api import mapping
from catalog.api.examples import TIER_3_PRODUCT_ID
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
SECOND_RESELLER = {"second": {"summary": "The second example reseller", "value": examples.SECOND_RESELLER_ID}}
ON_EXAMPLE = {"day": {"summary": "A day in January 2025", "value": "2025-01-15"}}
PriceCurrency = Annotated[
    str,
    Query(
        description="A price-list currency (ISO 4217); other currencies are billed through FX rates.",
        openapi_examples={"eur": {"summary": "Euro", "value": "EUR"}},
    ),
]
OneProduct = Annotated[
    str | None,
    Query(
        description="Only this product's prices (its id); every product's when left out.",
        openapi_examples={"tier3": {"summary": "csp-commit-1000 (Tier 3)", "value": TIER_3_PRODUCT_ID}},
    ),
]
On = Annotated[
    date | None,
    Query(description="As of this date (YYYY-MM-DD); default today.", openapi_examples=ON_EXAMPLE),
]


def _currency(value: str, field: str, *, price_list: bool) -> str:
    try:
        return price_list_currency(value) if price_list else currency_code(value)
    except (UnknownCurrency, ValueError) as exc:
        raise InvalidField(field, str(exc)) from exc


@router.post(
    "/skus", status_code=201, summary="Create a usage SKU", response_model=SkuRead, responses=problems(409, 422)
)
async def post_sku(body: SkuCreate, runtime: RuntimeDep, caller: Admin, key: IdempotencyKey = None) -> SkuRead:
    """Create a usage SKU of a product type: what usage reports count (its unit) and how a month's reports become
    one quantity (`aggregation`: sum, max, last or average), billed from `effective_from` (today when left out).
    The type's products are announced again with it. Refused: a SKU taken already (409), an unknown product type
    (422). Admins only."""
    request = IdempotentRequest.of(key, caller=caller.subject, route="create-sku", body=body.model_dump(mode="json"))
    ctx = use_case(runtime, caller, body.requested_at)
    return mapping.to_sku_read(await use.create_sku(ctx, mapping.to_create_sku(body), request))


@router.get("/skus", summary="Usage SKUs with unit and aggregation rule", response_model=list[SkuRead])
async def get_skus(runtime: RuntimeDep, _caller: CurrentCaller) -> list[SkuRead]:
    """Every usage SKU with its unit, aggregation rule, product type and first billed day. Any signed-in caller
    but a storefront or usage collector may read them."""
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
    """Publish the vendor's sell prices (a unit price per product, SKU and price-list currency) from
    `effective_from`; earlier days keep theirs, and the other services learn them in batches. Refused (422): an
    unknown product or SKU, a currency without a vendor price list, a price for the same product, SKU and currency
    from that day already. Admins only."""
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
    currency: PriceCurrency = "USD",
    product_id: OneProduct = None,
    on: On = None,
) -> list[PriceRead]:
    """The vendor's sell prices in one price-list currency (USD when left out) in force on `on` (today when left
    out), per product and SKU, optionally of one product. 422 for a currency without a vendor price list. Any
    signed-in caller but a storefront or usage collector may read them."""
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
    reseller_id: Annotated[uuid.UUID, Path(description="The reseller (its id).", openapi_examples=SECOND_RESELLER)],
    body: CustomPriceListCreate,
    runtime: RuntimeDep,
    caller: Admin,
    key: IdempotencyKey = None,
) -> PublicationRead:
    """Publish a reseller's own price list in one price-list currency from `effective_from`: unit prices per
    product and SKU, and an optional adjustment (a discount, markup or margin percent on the sell price) for the
    SKUs the list does not price. The reseller pays these instead of the sell prices from that day. Refused (422):
    an unknown product or SKU, a currency without a vendor price list, a version of this reseller's list in that
    currency from that day already. Admins only."""
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
    reseller_id: Annotated[str, Path(description="The reseller (its id).", openapi_examples=SECOND_RESELLER)],
    runtime: RuntimeDep,
    caller: CurrentCaller,
    currency: PriceCurrency = "USD",
    product_id: OneProduct = None,
    on: On = None,
) -> list[PriceRead]:
    """The unit prices a reseller pays in one price-list currency (USD when left out) on `on` (today when left
    out): its custom list's price where it has one, else the sell price with its list's adjustment, else the sell
    price; `source` says which. A reseller may read only its own (404 for another's); admins and support agents
    any. 422 for a currency without a vendor price list."""
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
    """Publish FX rates from `effective_from`: units of a currency per USD (`rates`) and rates of any other pair
    (`pairs`, 1 base = rate quote). Invoices in a currency without a vendor price list are converted with the
    latest rates on or before their date. Refused (422): neither rates nor pairs, a rate for USD itself, a pair of
    one currency, a pair quoted from that day already (in either direction). Admins only."""
    request = IdempotentRequest.of(key, caller=caller.subject, route="fx-rates", body=body.model_dump(mode="json"))
    ctx = use_case(runtime, caller, body.requested_at)
    return mapping.to_fx_rates_read(await use.publish_fx_rates(ctx, mapping.to_publish_fx_rates(body), request))


@router.get(
    "/fx-rates", summary="FX rates in force on a date", response_model=list[FxRateRead], responses=problems(422)
)
async def get_fx_rates(runtime: RuntimeDep, _caller: CurrentCaller, on: On = None) -> list[FxRateRead]:
    """Every FX rate in force on `on` (today when left out): for each pair the latest rate published on or before
    that day, with the day it took effect and its source. Any signed-in caller but a storefront or usage
    collector may read them."""
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
    amount: Annotated[Decimal, Query(description="The amount to convert.", openapi_examples={"a": {"value": "100"}})],
    from_currency: Annotated[
        str, Query(description="ISO 4217 code of the amount.", openapi_examples={"eur": {"value": "EUR"}})
    ],
    to_currency: Annotated[
        str, Query(description="ISO 4217 code to convert to.", openapi_examples={"chf": {"value": "CHF"}})
    ],
    on: On = None,
) -> ConversionRead:
    """Convert an amount between two currencies through USD with the rates in force on `on` (today when left
    out), answering the rate and the quotes it used. 422 for an unknown currency, an amount that is not a finite
    decimal, or a currency with no rate on or before that day. Any signed-in caller but a storefront or usage
    collector may convert."""
    source = _currency(from_currency, "from_currency", price_list=False)
    target = _currency(to_currency, "to_currency", price_list=False)
    if not amount.is_finite():
        raise InvalidField("amount", "must be a finite decimal")
    converted = await conversion(runtime, amount, source, target, on or runtime.clock.now().date())
    return mapping.to_conversion_read(converted)
