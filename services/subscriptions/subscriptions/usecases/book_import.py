"""Importing an existing book: resellers with their billing profiles and paid subscriptions with the last month
another system invoiced, from another system's records (docs/domain.md, "Importing an existing book").

Each line goes through the same use case as the API (registration at its `registered_at`, an order at its
`started_at`), so the same rules refuse it. A line is one unit: written whole, with its `imported_records` row, or
not at all; one refused line does not stop the others. A line already imported under its source id is compared
with what was imported: unchanged, a billing profile change, or a conflict. A dry run runs every line in one
transaction it rolls back, so later lines see what earlier ones would have created.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bss.api.backdating import FUTURE_TOLERANCE
from bss.db import statement_failure_boundary
from bss.effective_settings import change_setting
from bss.problems import Problem, ValidationProblem, field_error
from subscriptions.adapters.billing_profiles import BILLING_PROFILES
from subscriptions.domain.book_import import (
    ImportedKind,
    LineStatus,
    billed_through_problem,
    reseller_reimport,
    subscription_reimport,
)
from subscriptions.models import CatalogProductVersion, ImportedRecord, Reseller
from subscriptions.runtime import SubscriptionsUseCase
from subscriptions.usecases.orders import PlaceOrder, place_order
from subscriptions.usecases.resellers import RegisterReseller, register_reseller
from subscriptions.usecases.settings import STORE, announce_change, check_change


@dataclass(frozen=True, slots=True)
class ResellerLine:
    source_id: str
    fields: dict[str, Any]
    """The line as JSON, what a re-import is compared with."""
    command: RegisterReseller
    registered_at: datetime
    profile_effective_from: date | None = None
    """When a re-import's profile change applies from (default: the day of the import)."""


@dataclass(frozen=True, slots=True)
class SubscriptionLine:
    source_id: str
    fields: dict[str, Any]
    product: str
    """A contract tier product id, or its code as the catalog publishes it."""
    started_at: datetime
    reseller_source_id: str | None = None
    reseller_id: str | None = None
    billed_through: date | None = None
    ramp_up_cycles: int | None = None


@dataclass(frozen=True, slots=True)
class LineResult:
    kind: ImportedKind
    index: int
    source_id: str
    status: LineStatus
    entity_id: str | None = None
    fields: tuple[str, ...] = ()
    """The fields a `changed` line changed, or a `conflict` line cannot change."""
    problem: dict[str, Any] | None = None
    """Why a line was refused (problem+json)."""


@dataclass(frozen=True, slots=True)
class BookImportResult:
    source: str
    dry_run: bool
    lines: list[LineResult] = field(default_factory=list)

    def count(self, status: LineStatus) -> int:
        return sum(1 for line in self.lines if line.status == status)


async def import_book(
    ctx: SubscriptionsUseCase,
    source: str,
    resellers: Sequence[ResellerLine],
    subscriptions: Sequence[SubscriptionLine],
    *,
    dry_run: bool,
) -> BookImportResult:
    """Resellers first, then subscriptions (which may name a reseller of the same request by its source id)."""
    result = BookImportResult(source=source, dry_run=dry_run)
    async with _units(ctx, dry_run) as unit:
        for index, reseller in enumerate(resellers):
            result.lines.append(await unit("reseller", index, reseller.source_id, _reseller(source, reseller)))
        for index, subscription in enumerate(subscriptions):
            line = _subscription(source, subscription)
            result.lines.append(await unit("subscription", index, subscription.source_id, line))
    if dry_run:  # what a dry run would have created was rolled back: it has no id to name
        result.lines[:] = [replace(line, entity_id=None) if line.status == "created" else line for line in result.lines]
    return result


Apply = Callable[[SubscriptionsUseCase, AsyncSession], Awaitable[tuple[LineStatus, str, list[str]]]]
"""One line's work in a transaction: its verdict, the record it is, and the fields a change or conflict names."""
Unit = Callable[[ImportedKind, int, str, Apply], Awaitable[LineResult]]


@asynccontextmanager
async def _units(ctx: SubscriptionsUseCase, dry_run: bool) -> AsyncIterator[Unit]:
    """How each line runs: in its own committed transaction; or, for a dry run, all in one transaction that is
    rolled back at the end, each line within a `statement_failure_boundary` (a failed line leaves the others)."""
    if not dry_run:

        async def committed(kind: ImportedKind, index: int, source_id: str, apply: Apply) -> LineResult:
            async def run() -> tuple[LineStatus, str, list[str]]:
                async with ctx.runtime.sessions() as session, session.begin():
                    return await apply(ctx, session)

            return await _judged(kind, index, source_id, run)

        yield committed
        return

    async with ctx.runtime.sessions() as session:
        transaction = await session.begin()

        async def rolled_back(kind: ImportedKind, index: int, source_id: str, apply: Apply) -> LineResult:
            async def run() -> tuple[LineStatus, str, list[str]]:
                async with statement_failure_boundary(session):
                    return await apply(ctx, session)

            return await _judged(kind, index, source_id, run)

        try:
            yield rolled_back
        finally:
            await transaction.rollback()


async def _judged(
    kind: ImportedKind, index: int, source_id: str, run: Callable[[], Awaitable[tuple[LineStatus, str, list[str]]]]
) -> LineResult:
    try:
        status, entity_id, fields = await run()
    except Problem as problem:
        return LineResult(kind, index, source_id, "refused", problem=problem.body())
    except DBAPIError:
        return LineResult(kind, index, source_id, "refused", problem=_database_refused())
    return LineResult(kind, index, source_id, status, entity_id, tuple(fields))


def _database_refused() -> dict[str, Any]:
    return ValidationProblem(
        "The database refused this line (a constraint of a record it would create); nothing of it was written."
    ).body()


def _not_in_the_future(ctx: SubscriptionsUseCase, name: str, at: datetime) -> None:
    if at > ctx.now + FUTURE_TOLERANCE:
        raise ValidationProblem(f"{name} is in the future", errors=[field_error(name, "must not be in the future")])


def _reseller(source: str, line: ResellerLine) -> Apply:
    async def apply(ctx: SubscriptionsUseCase, session: AsyncSession) -> tuple[LineStatus, str, list[str]]:
        record = await session.get(ImportedRecord, ("reseller", source, line.source_id))
        if record is not None:
            status, fields = reseller_reimport(record.line, line.fields)
            if status == "changed":
                await change_setting(
                    ctx.within(session),
                    STORE,
                    BILLING_PROFILES,
                    record.entity_id,
                    line.command.profile(),
                    effective_from=line.profile_effective_from or ctx.today,
                    reason=f"import from {source} ({line.source_id})",
                    guard=check_change,
                    after_change=announce_change,
                )
                record.line, record.imported_at, record.imported_by = line.fields, ctx.now, ctx.caller.subject
                await session.flush()
            return status, record.entity_id, fields
        _not_in_the_future(ctx, "registered_at", line.registered_at)
        reseller = await register_reseller(ctx.within(session, effective=line.registered_at), line.command, None)
        session.add(_record(ctx, "reseller", source, line.source_id, reseller.id, line.fields))
        await session.flush()
        return "created", reseller.id, []

    return apply


def _subscription(source: str, line: SubscriptionLine) -> Apply:
    async def apply(ctx: SubscriptionsUseCase, session: AsyncSession) -> tuple[LineStatus, str, list[str]]:
        record = await session.get(ImportedRecord, ("subscription", source, line.source_id))
        if record is not None:
            status, fields = subscription_reimport(record.line, line.fields)
            return status, record.entity_id, fields
        _not_in_the_future(ctx, "started_at", line.started_at)
        if problem := billed_through_problem(line.started_at, line.billed_through, ctx.today):
            raise ValidationProblem(f"billed_through: {problem}", errors=[field_error("billed_through", problem)])
        reseller_id = await _reseller_id(session, source, line)
        reseller = await session.get(Reseller, reseller_id)
        if reseller is not None and line.started_at < reseller.registered_at:
            message = f"starts before its reseller was registered ({reseller.registered_at.isoformat()})"
            raise ValidationProblem(f"started_at {message}", errors=[field_error("started_at", message)])
        order = PlaceOrder(
            reseller_id=reseller_id,
            product_id=await _product_id(session, line.product, line.started_at.date()),
            kind="paid",
            start_at=line.started_at,
            ramp_up_cycles=line.ramp_up_cycles,
            by_admin=True,
            billed_elsewhere_through=line.billed_through,
        )
        subscription = await place_order(ctx.within(session, effective=line.started_at), order, None)
        session.add(_record(ctx, "subscription", source, line.source_id, subscription.id, line.fields))
        await session.flush()
        return "created", subscription.id, []

    return apply


async def _reseller_id(session: AsyncSession, source: str, line: SubscriptionLine) -> str:
    if line.reseller_id is not None:
        return line.reseller_id
    assert line.reseller_source_id is not None  # the schema asks for one of the two
    record = await session.get(ImportedRecord, ("reseller", source, line.reseller_source_id))
    if record is None:
        message = f"no reseller was imported from {source} as {line.reseller_source_id!r}"
        raise ValidationProblem(message, errors=[field_error("reseller_source_id", message)])
    return record.entity_id


async def _product_id(session: AsyncSession, product: str, on: date) -> str:
    """A product id as it is, or the product whose version in force on `on` has this code."""
    try:
        return str(uuid.UUID(product))
    except ValueError:
        return await _product_by_code(session, product, on)


async def _product_by_code(session: AsyncSession, code: str, on: date) -> str:
    """The product whose version in force on `on` has this code (not one that had it once and was renamed)."""
    in_force = (
        select(CatalogProductVersion.product_id, func.max(CatalogProductVersion.effective_from).label("since"))
        .where(CatalogProductVersion.effective_from <= on)
        .group_by(CatalogProductVersion.product_id)
        .subquery()
    )
    rows = await session.execute(
        select(CatalogProductVersion.product_id)
        .join(
            in_force,
            (CatalogProductVersion.product_id == in_force.c.product_id)
            & (CatalogProductVersion.effective_from == in_force.c.since),
        )
        .where(CatalogProductVersion.code == code)
        .order_by(CatalogProductVersion.product_id)
        .limit(1)
    )
    product_id = rows.scalar_one_or_none()
    if product_id is None:
        message = f"no contract tier product has the code {code!r} on {on.isoformat()} (GET /v1/catalog/products)"
        raise ValidationProblem(message, errors=[field_error("product", message)])
    return str(product_id)


def _record(
    ctx: SubscriptionsUseCase, kind: ImportedKind, source: str, source_id: str, entity_id: str, line: dict[str, Any]
) -> ImportedRecord:
    return ImportedRecord(
        kind=kind,
        source=source,
        source_id=source_id,
        entity_id=entity_id,
        line=line,
        imported_at=ctx.now,
        imported_by=ctx.caller.subject,
    )
