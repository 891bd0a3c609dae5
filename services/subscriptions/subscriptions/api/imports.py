"""The book import route: resellers and paid subscriptions from another system (admin only, bulk, idempotent on
the source's ids; docs/domain.md, "Importing an existing book")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from bss.api.caller import Admin
from bss.api.json_body import JsonBodyRoute
from subscriptions.api.import_schemas import BookImportIn, BookImportRead, LineRead, line_fields
from subscriptions.api.responses import problems
from subscriptions.deps import RuntimeDep, use_case
from subscriptions.usecases import book_import
from subscriptions.usecases.book_import import ResellerLine, SubscriptionLine

router = APIRouter(prefix="/v1/imports", tags=["imports"], route_class=JsonBodyRoute)


@router.post(
    "/book",
    summary="Import resellers and paid subscriptions from another system (admin; idempotent; ?dry_run=true "
    "answers the same and writes nothing)",
    response_model=BookImportRead,
    responses=problems(401, 403, 422),
    description=(
        "A distributor moving from another system brings its resellers and paid subscriptions, up to 2,000 lines "
        "a request; admins only. Each line is checked by the same rules as a registration at its `registered_at` "
        "or an order at its `started_at`, and answered on its own: `created`, `changed` (a reseller imported "
        "before, whose billing profile differs: recorded as a profile change), `unchanged`, `conflict` (imported "
        "before with facts an import cannot change; `fields` names them) or `refused` (`problem` says why; the "
        "other lines go on). A subscription's `billed_through` is the last month the source system invoiced: no "
        "close here invoices it or a month before it. Resellers are imported before subscriptions, which may name "
        "them by source id. Importing the same book again changes nothing; a malformed request (a time without "
        "its offset, too many lines) is refused whole (422)."
    ),
)
async def import_book(
    body: BookImportIn,
    runtime: RuntimeDep,
    caller: Admin,
    dry_run: Annotated[bool, Query(description="Check and answer line by line, but write nothing")] = False,
) -> BookImportRead:
    resellers = [
        ResellerLine(
            source_id=line.source_id,
            fields=line_fields(line, exclude={"profile_effective_from"}),
            command=line.command(),
            registered_at=line.registered_at,
            profile_effective_from=line.profile_effective_from,
        )
        for line in body.resellers
    ]
    subscriptions = [
        SubscriptionLine(
            source_id=line.source_id,
            fields=line_fields(line, exclude=set()),
            product=line.product,
            started_at=line.started_at,
            reseller_source_id=line.reseller_source_id,
            reseller_id=line.reseller_id,
            billed_through=line.billed_through,
            ramp_up_cycles=line.ramp_up_cycles,
        )
        for line in body.subscriptions
    ]
    result = await book_import.import_book(
        use_case(runtime, caller, None), body.source, resellers, subscriptions, dry_run=dry_run
    )
    return BookImportRead(
        source=result.source,
        dry_run=result.dry_run,
        created=result.count("created"),
        changed=result.count("changed"),
        unchanged=result.count("unchanged"),
        conflict=result.count("conflict"),
        refused=result.count("refused"),
        lines=[
            LineRead(
                kind=line.kind,
                index=line.index,
                source_id=line.source_id,
                status=line.status,
                id=line.entity_id,
                fields=list(line.fields),
                problem=line.problem,
            )
            for line in result.lines
        ],
    )
