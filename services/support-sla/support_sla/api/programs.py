"""Certification, incidents, Tier 1 program and report routes."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bss.api import examples
from bss.api.caller import Admin
from bss.api.input_text import SingleLine
from bss.api.json_body import JsonBodyRoute
from bss.problems import PROBLEM_JSON
from support_sla.api import examples as own
from support_sla.deps import RuntimeDep, Staff, use_case
from support_sla.domain.tier_one import STEPS, engineers_required
from support_sla.errors import InvalidField
from support_sla.usecases import certification, reports, tier_one

router = APIRouter(tags=["certification", "tier-one", "reports"], route_class=JsonBodyRoute)
_ERRORS: dict[int, str] = {
    404: "No such reseller or program",
    409: "The step was completed meanwhile",
    422: "Invalid input (problem+json naming the fields)",
}


def _problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """What the route's use case answers (401, 403 and validation come with the dependencies: bss.api)."""
    return {code: {"description": _ERRORS[code], "content": {PROBLEM_JSON: {}}} for code in codes}


ResellerId = Annotated[str, Path(description="The reseller id (its tenant id).", examples=[examples.RESELLER_ID])]
ProgramId = Annotated[str, Path(description="The Tier 1 program id.", examples=[own.PROGRAM_ID])]


class CertifiedEmployeeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Ana Weber", "certified_on": "2025-01-20"}]}
    )
    name: SingleLine = Field(min_length=1, max_length=200)
    certified_on: date


class CertificationRead(BaseModel):
    reseller_id: str
    certified: bool
    certified_engineers: int
    valid_until: date | None


@router.post(
    "/v1/resellers/{reseller_id}/certified-employees",
    status_code=201,
    summary="Record a certified employee",
    response_model=CertificationRead,
    responses=_problems(404, 422),
)
async def add_certified_employee(
    reseller_id: ResellerId, body: CertifiedEmployeeCreate, runtime: RuntimeDep, caller: Staff
) -> CertificationRead:
    """Records that one of the reseller's employees was certified on a day: a certification is valid 18 months,
    and a reseller with at least two valid ones is certified (no ticket fee) until the day the count falls below
    two. Answers the reseller's certification status. Staff only (403 for a reseller); a reseller support does
    not know is 404, a certification date in the future 422."""
    ctx = use_case(runtime, caller)
    r = await certification.add_certified_employee(ctx, reseller_id, body.name, body.certified_on)
    return CertificationRead(
        reseller_id=r.id,
        certified=r.certified,
        certified_engineers=r.certified_engineers,
        valid_until=r.certified_until,
    )


class ResellerRead(CertificationRead):
    country: str
    contract_signed_on: date
    subscription_id: str | None


@router.get(
    "/v1/resellers/{reseller_id}",
    summary="What support knows of a reseller",
    response_model=ResellerRead,
    responses=_problems(404),
)
async def get_reseller(reseller_id: ResellerId, runtime: RuntimeDep, caller: Staff) -> ResellerRead:
    """What support knows of a reseller from subscriptions' events and its own records: its country, contract
    date (the incident quota's year), its contract subscription and its certification (certified engineers,
    valid until). Staff only (403 for a reseller); a reseller support does not know is 404."""
    r = await certification.known_reseller(runtime, reseller_id)
    return ResellerRead(
        reseller_id=r.id,
        certified=r.certified,
        certified_engineers=r.certified_engineers,
        valid_until=r.certified_until,
        country=r.country,
        contract_signed_on=r.signed_on,
        subscription_id=r.subscription_id,
    )


class ProgramCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Tier 1 EU", "accounts": 120}]})
    name: SingleLine = Field(min_length=1, max_length=200)
    accounts: int = Field(ge=0, le=2_147_483_647, description="Accounts served (the column is a 32-bit INTEGER)")


class EngineerCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Ben Ito", "languages": ["en", "ja"]}]}
    )
    name: SingleLine = Field(min_length=1, max_length=200)
    languages: list[SingleLine] = Field(min_length=1, description="ISO 639-1 codes, e.g. ['en', 'de']")


class StepCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"step": 1, "completed_on": "2025-01-15"}]}
    )
    step: int = Field(ge=1, le=7)
    completed_on: date


class ProgramRead(BaseModel):
    id: str
    name: str
    accounts: int
    engineers_required: int
    engineers: list[dict[str, Any]]
    compliant: bool
    missing: list[str]
    steps: dict[str, date | None]
    activated_at: datetime | None


async def _program(runtime: RuntimeDep, program_id: str) -> ProgramRead:
    program = await tier_one.program_with_state(runtime, program_id)
    return ProgramRead(
        id=program.id,
        name=program.name,
        accounts=program.accounts,
        engineers_required=engineers_required(program.accounts),
        engineers=[{"name": e.name, "languages": list(e.languages)} for e in program.engineers],
        compliant=not program.gaps,
        missing=program.gaps,
        steps={f"{n}_{name}": program.steps.get(n) for n, name in STEPS.items()},
        activated_at=program.activated_at,
    )


@router.post(
    "/v1/tier-one-programs",
    status_code=201,
    summary="Start a Tier 1 support program",
    response_model=ProgramRead,
    responses=_problems(422),
)
async def create_program(body: ProgramCreate, runtime: RuntimeDep, caller: Admin) -> ProgramRead:
    """Starts the distributor's Tier 1 support program for a number of accounts served: it needs at least one
    support engineer per 50 accounts (at least one), one of them English-speaking, and seven onboarding steps
    completed in order; step 7 activates the 10% discount on the cost price. Answers the program with what it
    still misses. Admins only (403)."""
    return await _program(runtime, await tier_one.create_program(use_case(runtime, caller), body.name, body.accounts))


@router.get(
    "/v1/tier-one-programs/{program_id}/compliance",
    summary="Compliance: what the team is missing",
    response_model=ProgramRead,
    responses=_problems(404),
)
async def compliance(program_id: ProgramId, runtime: RuntimeDep, caller: Staff) -> ProgramRead:
    """Where a Tier 1 program stands: engineers required and present, the steps completed and when, whether it
    is compliant and what it misses, and when it was activated. Staff only (403 for a reseller); an unknown
    program is 404."""
    return await _program(runtime, program_id)


@router.post(
    "/v1/tier-one-programs/{program_id}/engineers",
    status_code=201,
    summary="Add a support engineer",
    response_model=ProgramRead,
    responses=_problems(404, 422),
)
async def add_engineer(program_id: ProgramId, body: EngineerCreate, runtime: RuntimeDep, caller: Admin) -> ProgramRead:
    """Adds a support engineer, with the languages they speak (ISO 639-1), to a Tier 1 program's team; answers the
    program with what it still misses. Admins only (403); an unknown program is 404."""
    languages = [lang.lower() for lang in body.languages]
    await tier_one.add_engineer(use_case(runtime, caller), program_id, body.name, languages)
    return await _program(runtime, program_id)


@router.post(
    "/v1/tier-one-programs/{program_id}/steps",
    status_code=201,
    summary="Complete an onboarding step",
    response_model=ProgramRead,
    responses=_problems(404, 409, 422),
)
async def complete_step(program_id: ProgramId, body: StepCreate, runtime: RuntimeDep, caller: Admin) -> ProgramRead:
    """Completes the next onboarding step of a Tier 1 program on a day: 1 addendum and questionnaire, 2
    certification, 3 advanced trainings, 4 pre-check, 5 mentoring, 6 checkpoint (at least 2 months after 5), 7
    finished, which activates the 10% discount from its date. Admins only (403). Refused (409): a step out of
    order, dated before the previous one, already completed, or step 7 while the team misses a requirement; a
    date in the future is 422."""
    await tier_one.complete_step(use_case(runtime, caller), program_id, body.step, body.completed_on)
    return await _program(runtime, program_id)


@router.get(
    "/v1/reports/{report}",
    summary="Tier 1 reports A-E: count, mean, median, p90, SLA attainment; JSON or CSV",
    response_model=dict[str, Any],
    responses={
        **_problems(422),
        200: {"description": "JSON, or CSV with format=csv", "content": {"text/csv": {"schema": {"type": "string"}}}},
    },
)
async def report(
    report: Annotated[
        Literal["a", "b", "c", "d", "e"],
        Path(description="The report: a, b, c, d or e (see the description).", examples=["a"]),
    ],
    runtime: RuntimeDep,
    caller: Staff,
    start: Annotated[
        AwareDatetime | None,
        Query(alias="from", description="Start of the period (RFC 3339).", examples=["2025-01-01T00:00:00Z"]),
    ] = None,
    end: Annotated[
        AwareDatetime | None,
        Query(alias="to", description="End of the period, excluded (RFC 3339).", examples=["2026-01-01T00:00:00Z"]),
    ] = None,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """The Tier 1 program's reports over an optional period, in JSON or CSV (`format=csv`): (A) cases and
    resolution time per reseller, (B) per reseller's country and month opened, (C) the age of open cases in
    buckets, (D) time to support's first public reply, (E) resolution time less paused time per severity. Each
    row gives the number of cases and, for its measure, the count, mean, median and 90th percentile in seconds,
    the SLA attainment in percent and the number of breaches. Staff only (403 for a reseller); `to` not after
    `from` is refused (422)."""
    if start and end and end <= start:
        raise InvalidField("to", "the period ends after it starts")
    answer = await reports.run_report(runtime, report, reports.Period(start, end))
    if format == "csv":
        return Response(_csv(answer.rows), media_type="text/csv")
    return {
        "report": report.upper(),
        "title": answer.title,
        "from": start,
        "to": end,
        "as_of": answer.as_of,
        "rows": answer.rows,
    }


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()
