"""Between HTTP and the use cases: request schemas to commands, use-case results to response schemas.

The use cases know nothing of these schemas, so the HTTP contract (and its OpenAPI document) changes here only.
"""

from __future__ import annotations

from catalog.api.group_schemas import GroupCreate, GroupRead
from catalog.api.price_schemas import (
    ConversionRead,
    CustomPriceListCreate,
    FxPairIn,
    FxRateIn,
    FxRateRead,
    FxRatesCreate,
    FxRatesRead,
    PriceRead,
    PublicationRead,
    SellPricesCreate,
    SkuCreate,
    SkuRead,
)
from catalog.api.schemas import (
    CommitmentIn,
    CommitmentRead,
    CommitmentsCreate,
    DatedCommitmentRead,
    Deactivation,
    ExclusionSetPut,
    ExclusionSetRead,
    ProductCreate,
    ProductHistoryRead,
    ProductRead,
    ProductTypeCreate,
    ProductTypeRead,
    ProductUpdate,
    RestrictionIn,
    RestrictionRead,
    VersionCreate,
    VersionRead,
)
from catalog.domain.pricing import Adjustment
from catalog.domain.timeline import ProductVersion
from catalog.usecases.groups import CreateGroup, Group
from catalog.usecases.price_publication import NewPrice
from catalog.usecases.price_reads import ConvertedAmount, FxRate, UnitPrice
from catalog.usecases.prices import (
    CreateSku,
    CustomPrice,
    FxRateTable,
    PairRate,
    Publication,
    PublishCustomPriceList,
    PublishFxRates,
    PublishSellPrices,
    UsageSku,
    UsdRate,
)
from catalog.usecases.product_reads import Commitment, ProductAsOf, Restriction
from catalog.usecases.products import (
    AddCommitments,
    AddVersion,
    CreateProduct,
    CreateProductType,
    DeactivateProduct,
    ExclusionSetMembers,
    ProductTypeDetails,
    ReplaceExclusionSet,
    UpdateProduct,
)
from catalog.usecases.structure_reads import ProductHistory

# Products


def _commitments(given: list[CommitmentIn]) -> tuple[Commitment, ...]:
    return tuple(Commitment(currency=c.currency, amount=c.amount) for c in given)


def _restriction(given: RestrictionIn | None) -> Restriction | None:
    return Restriction(countries=tuple(given.countries), partners_since=given.partners_since) if given else None


def to_create_product(body: ProductCreate) -> CreateProduct:
    return CreateProduct(
        code=body.code,
        name=body.name,
        tier=body.tier,
        product_type=body.product_type,
        description=body.description,
        marketing_text=body.marketing_text,
        effective_from=body.effective_from,
        commitments=_commitments(body.commitments),
        orderable_before=body.orderable_before,
        new_partner_restriction=_restriction(body.new_partner_restriction),
        exclusion_set=body.exclusion_set,
    )


def to_create_product_type(body: ProductTypeCreate) -> CreateProductType:
    return CreateProductType(code=body.code, name=body.name, characteristics=tuple(body.characteristics))


def to_update_product(body: ProductUpdate) -> UpdateProduct:
    return UpdateProduct(description=body.description, marketing_text=body.marketing_text)


def to_add_version(body: VersionCreate) -> AddVersion:
    return AddVersion(
        effective_from=body.effective_from,
        name=body.name,
        tier=body.tier,
        orderable_before=body.orderable_before,
        new_partner_restriction=_restriction(body.new_partner_restriction),
    )


def to_add_commitments(body: CommitmentsCreate) -> AddCommitments:
    return AddCommitments(effective_from=body.effective_from, commitments=_commitments(body.commitments))


def to_deactivate_product(body: Deactivation) -> DeactivateProduct:
    return DeactivateProduct(effective_from=body.effective_from, reason=body.reason)


def to_replace_exclusion_set(body: ExclusionSetPut) -> ReplaceExclusionSet:
    return ReplaceExclusionSet(product_ids=tuple(body.product_ids))


def to_product_read(product: ProductAsOf) -> ProductRead:
    restriction = product.new_partner_restriction
    return ProductRead(
        id=product.id,
        code=product.code,
        product_type=product.product_type,
        as_of=product.as_of,
        name=product.name,
        tier=product.tier,
        description=product.description,
        marketing_text=product.marketing_text,
        state=product.state,
        available_from=product.available_from,
        deactivated_on=product.deactivated_on,
        orderable_before=product.orderable_before,
        new_partner_restriction=(
            RestrictionRead(countries=list(restriction.countries), partners_since=restriction.partners_since)
            if restriction
            else None
        ),
        commitments=[CommitmentRead(currency=c.currency, amount=c.amount) for c in product.commitments],
        upgrade_product_ids=list(product.upgrade_product_ids),
        exclusion_set=product.exclusion_set,
    )


def to_product_type_read(product_type: ProductTypeDetails) -> ProductTypeRead:
    return ProductTypeRead(
        id=product_type.id,
        code=product_type.code,
        name=product_type.name,
        characteristics=list(product_type.characteristics),
    )


def to_exclusion_set_read(members: ExclusionSetMembers) -> ExclusionSetRead:
    return ExclusionSetRead(name=members.name, product_ids=list(members.product_ids))


# SKUs, prices and FX rates


def to_create_sku(body: SkuCreate) -> CreateSku:
    return CreateSku(
        sku=body.sku,
        name=body.name,
        unit=body.unit,
        aggregation=body.aggregation,
        product_type=body.product_type,
        description=body.description,
        effective_from=body.effective_from,
    )


def to_publish_sell_prices(body: SellPricesCreate) -> PublishSellPrices:
    return PublishSellPrices(
        effective_from=body.effective_from,
        entries=tuple(NewPrice(e.product_id, e.sku, e.currency, e.unit_price) for e in body.entries),
    )


def to_publish_custom_price_list(body: CustomPriceListCreate) -> PublishCustomPriceList:
    return PublishCustomPriceList(
        currency=body.currency,
        effective_from=body.effective_from,
        adjustment=Adjustment(body.adjustment.kind, body.adjustment.percent) if body.adjustment else None,
        entries=tuple(CustomPrice(e.product_id, e.sku, e.unit_price) for e in body.entries),
    )


def to_publish_fx_rates(body: FxRatesCreate) -> PublishFxRates:
    return PublishFxRates(
        effective_from=body.effective_from,
        rates=tuple(UsdRate(r.currency, r.units_per_usd) for r in body.rates),
        source=body.source,
        pairs=tuple(PairRate(p.base, p.quote, p.rate) for p in body.pairs),
    )


def to_sku_read(sku: UsageSku) -> SkuRead:
    return SkuRead(
        sku=sku.sku,
        name=sku.name,
        unit=sku.unit,
        aggregation=sku.aggregation,
        product_type=sku.product_type,
        description=sku.description,
        effective_from=sku.effective_from,
    )


def to_publication_read(publication: Publication) -> PublicationRead:
    return PublicationRead(
        price_book_id=publication.price_book_id,
        publication_id=publication.publication_id,
        effective_from=publication.effective_from,
        entries=publication.entries,
        batches=publication.batches,
    )


def to_fx_rates_read(table: FxRateTable) -> FxRatesRead:
    return FxRatesRead(
        rate_table_id=table.rate_table_id,
        effective_from=table.effective_from,
        rates=[FxRateIn(currency=r.currency, units_per_usd=r.units_per_usd) for r in table.rates],
        pairs=[FxPairIn(base=p.base, quote=p.quote, rate=p.rate) for p in table.pairs],
        source=table.source,
    )


def to_price_read(price: UnitPrice) -> PriceRead:
    return PriceRead(
        product_id=price.product_id,
        tier=price.tier,
        sku=price.sku,
        currency=price.currency,
        unit_price=price.unit_price,
        source=price.source,
        effective_from=price.effective_from,
    )


def to_fx_rate_read(rate: FxRate) -> FxRateRead:
    per_usd = rate.base == "USD"
    return FxRateRead(
        currency=rate.quote if per_usd else None,
        units_per_usd=rate.rate if per_usd else None,
        base=rate.base,
        quote=rate.quote,
        rate=rate.rate,
        effective_from=rate.effective_from,
        source=rate.source,
    )


def to_conversion_read(conversion: ConvertedAmount) -> ConversionRead:
    return ConversionRead(
        amount=conversion.amount,
        currency=conversion.currency,
        converted=conversion.converted,
        to_currency=conversion.to_currency,
        rate=conversion.rate,
        on=conversion.on,
        rates_used=[to_fx_rate_read(r) for r in conversion.rates_used],
    )


# Groups


def to_create_group(body: GroupCreate) -> CreateGroup:
    return CreateGroup(
        name=body.name, category=body.category, marketing_text=body.marketing_text, product_ids=tuple(body.product_ids)
    )


def to_group_read(group: Group) -> GroupRead:
    return GroupRead(
        id=group.id,
        name=group.name,
        category=group.category,
        marketing_text=group.marketing_text,
        published=group.published,
        published_at=group.published_at,
        product_ids=list(group.product_ids),
    )


def to_product_history_read(history: ProductHistory) -> ProductHistoryRead:
    return ProductHistoryRead(
        id=history.id,
        code=history.code,
        versions=[_version_read(version) for version in history.versions],
        commitments=[
            DatedCommitmentRead(currency=c.currency, amount=c.amount, effective_from=c.effective_from)
            for c in history.commitments
        ],
        deactivated_on=history.deactivated_on,
    )


def _version_read(version: ProductVersion) -> VersionRead:
    rule = version.new_partner_rule
    return VersionRead(
        effective_from=version.effective_from,
        name=version.name,
        tier=version.tier,
        orderable_before=version.orderable_before,
        new_partner_restriction=(
            RestrictionRead(countries=list(rule.countries), partners_since=rule.partners_since) if rule else None
        ),
    )
